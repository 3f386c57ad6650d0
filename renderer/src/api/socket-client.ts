// The browser transport: a WebSocket to /api on the page's own origin (the
// server checks the token cookie and the Origin). It reconnects after a lost
// connection with a growing delay and reports its state so the UI can show
// "disconnected" instead of hanging.
import type { ApiClient } from "../../../shared/api/contract";
import { createWireClient } from "../../../shared/api/wire-client";

export type ConnectionState = "connecting" | "connected" | "disconnected";

/** The subset of the browser's WebSocket this client uses. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(text: string): void;
  close(): void;
}

const OPEN = 1;

/** Delays before each reconnection attempt, in ms; the last one repeats. */
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 10000];

export const LOST_CONNECTION =
  "The connection to the Tabula backend was lost; Tabula is reconnecting. Check that `tabula serve` is still running.";
export const NOT_CONNECTED =
  "Not connected to the Tabula backend; Tabula is reconnecting. Check that `tabula serve` is still running.";

export interface SocketClientOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  onState?: (state: ConnectionState) => void;
  /** Protocol errors and failing event handlers; console.error by default. */
  onProtocolError?: (message: string) => void;
  delays?: number[];
}

export interface SocketClient {
  client: ApiClient;
  state(): ConnectionState;
  /** Try again now instead of waiting for the next scheduled attempt. */
  retry(): void;
  /** Close for good: no more reconnection. */
  close(): void;
}

/** ws:// or wss:// URL of /api on the page's own origin. */
export function apiUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api`;
}

export function createSocketClient(options: SocketClientOptions): SocketClient {
  const createSocket =
    options.createSocket ??
    ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const delays = options.delays ?? RECONNECT_DELAYS_MS;
  let state: ConnectionState = "connecting";
  let socket: SocketLike | null = null;
  let queue: string[] = [];
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const wire = createWireClient(
    (text) => {
      if (state === "connected" && socket?.readyState === OPEN) {
        socket.send(text);
      } else if (state === "connecting") {
        queue.push(text);
      } else {
        throw new Error(NOT_CONNECTED);
      }
    },
    {
      onProtocolError:
        options.onProtocolError ??
        ((message) => console.error(`Tabula API: ${message}`)),
    },
  );

  function setState(next: ConnectionState): void {
    if (state === next) return;
    state = next;
    options.onState?.(next);
  }

  function connect(): void {
    timer = null;
    setState("connecting");
    let ws: SocketLike;
    try {
      ws = createSocket(options.url);
    } catch {
      lost();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      setState("connected");
      const pending = queue;
      queue = [];
      for (const text of pending) ws.send(text);
    };
    ws.onmessage = (event) => {
      if (socket !== ws) return;
      if (typeof event.data === "string") wire.receive(event.data);
    };
    // Browsers fire `error` then `close`; only `close` drives the state.
    ws.onerror = () => {};
    ws.onclose = () => {
      if (socket !== ws) return;
      lost();
    };
  }

  function lost(): void {
    socket = null;
    queue = [];
    wire.failAll(LOST_CONNECTION);
    setState("disconnected");
    if (closed) return;
    const delay = delays[Math.min(attempt, delays.length - 1)] ?? 1000;
    attempt++;
    timer = setTimeout(connect, delay);
  }

  connect();

  return {
    client: { call: wire.call, on: wire.on },
    state: () => state,
    retry() {
      if (closed || state !== "disconnected") return;
      if (timer) clearTimeout(timer);
      connect();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const ws = socket;
      socket = null;
      queue = [];
      wire.failAll("The connection to the Tabula backend was closed.");
      setState("disconnected");
      ws?.close();
    },
  };
}
