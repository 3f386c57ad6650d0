// An ApiClient over any text transport: the caller supplies `send(text)` and
// feeds every incoming text to `receive(text)`. It owns request ids, the map
// of pending calls, error replies (rejected with the server's own sentence)
// and event dispatch. No sockets, no timers: the transport decides when the
// connection is lost and calls `failAll`.
import type {
  ApiArgs,
  ApiClient,
  ApiEvent,
  ApiEvents,
  ApiMethod,
  ApiResult,
  WireRequest,
} from "./contract";

export interface WireClient extends ApiClient {
  /** Hand over one message received from the server. */
  receive(text: string): void;
  /** Reject every call still waiting for a reply (the connection is gone). */
  failAll(message: string): void;
  /** Calls sent and not yet answered. */
  pending(): number;
}

export interface WireClientOptions {
  /**
   * Told about messages that break the protocol (not JSON, no id, a reply to
   * nothing) and about event handlers that threw. Nothing is thrown at the
   * transport either way.
   */
  onProtocolError?: (message: string) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

type Listener = (payload: unknown) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function createWireClient(
  send: (text: string) => void,
  options: WireClientOptions = {},
): WireClient {
  const report = options.onProtocolError ?? (() => {});
  const waiting = new Map<number, Pending>();
  const listeners = new Map<string, Set<Listener>>();
  let nextId = 1;

  function call<M extends ApiMethod>(
    method: M,
    args: ApiArgs<M>,
  ): Promise<ApiResult<M>> {
    const id = nextId++;
    const request: WireRequest = { id, method, args };
    return new Promise<ApiResult<M>>((resolve, reject) => {
      let text: string;
      try {
        text = JSON.stringify(request);
      } catch (error) {
        reject(
          new Error(
            `The arguments of "${method}" cannot be sent: ${messageOf(error)}.`,
          ),
        );
        return;
      }
      waiting.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      try {
        send(text);
      } catch (error) {
        waiting.delete(id);
        reject(new Error(messageOf(error)));
      }
    });
  }

  function on<E extends ApiEvent>(
    event: E,
    handler: (payload: ApiEvents[E]) => void,
  ): () => void {
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
    }
    const listener = handler as Listener;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  function receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      report(`The server sent a message that is not JSON: ${clip(text)}`);
      return;
    }
    if (!isRecord(message)) {
      report(`The server sent a message that is not an object: ${clip(text)}`);
      return;
    }
    if (typeof message.event === "string") {
      dispatch(message.event, message.payload);
      return;
    }
    const id = message.id;
    if (typeof id !== "number") {
      const error = isRecord(message.error) ? message.error.message : undefined;
      report(
        typeof error === "string"
          ? `The server refused a message: ${error}`
          : `The server sent a message with neither an id nor an event: ${clip(text)}`,
      );
      return;
    }
    const entry = waiting.get(id);
    if (!entry) {
      report(`The server answered request ${id}, which is not waiting.`);
      return;
    }
    waiting.delete(id);
    if ("error" in message) {
      const error = isRecord(message.error) ? message.error.message : undefined;
      entry.reject(
        new Error(
          typeof error === "string"
            ? error
            : "The server reported an error without a message.",
        ),
      );
    } else {
      entry.resolve(message.result);
    }
  }

  function dispatch(event: string, payload: unknown): void {
    const set = listeners.get(event);
    if (!set) return;
    // A copy: a handler may unsubscribe itself (or another) while we iterate.
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        report(`A handler of "${event}" failed: ${messageOf(error)}`);
      }
    }
  }

  function failAll(message: string): void {
    const entries = [...waiting.values()];
    waiting.clear();
    for (const entry of entries) entry.reject(new Error(message));
  }

  return { call, on, receive, failAll, pending: () => waiting.size };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
