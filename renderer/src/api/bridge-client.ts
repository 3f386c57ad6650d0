// The Electron transport: the preload script exposes `window.tabula` with one
// function per method (each resolving to a reply envelope) and one event
// subscription. This turns it into an ApiClient.
import type { BridgeReply, TabulaBridge } from "../../../shared/api/bridge";
import type {
  ApiArgs,
  ApiClient,
  ApiEvent,
  ApiEvents,
  ApiMethod,
  ApiResult,
} from "../../../shared/api/contract";

/** True when `value` looks like the bridge the preload exposes. */
export function isBridge(value: unknown): value is TabulaBridge {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { onEvent?: unknown }).onEvent === "function" &&
    typeof (value as { hello?: unknown }).hello === "function"
  );
}

export function createBridgeClient(bridge: TabulaBridge): ApiClient {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let unsubscribe: (() => void) | null = null;

  // One subscription to the bridge, shared by every handler.
  function ensureSubscribed(): void {
    if (unsubscribe) return;
    unsubscribe = bridge.onEvent(({ event, payload }) => {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        try {
          listener(payload);
        } catch (error) {
          console.error(`A handler of "${event}" failed:`, error);
        }
      }
    });
  }

  return {
    async call<M extends ApiMethod>(
      method: M,
      args: ApiArgs<M>,
    ): Promise<ApiResult<M>> {
      const fn = bridge[method] as unknown as
        ((args: ApiArgs<M>) => Promise<BridgeReply<ApiResult<M>>>) | undefined;
      if (typeof fn !== "function")
        throw new Error(
          `The Electron bridge has no "${method}" method: the preload script is older than this page.`,
        );
      const reply = await fn(args);
      if ("error" in reply) throw new Error(reply.error.message);
      return reply.result;
    },
    on<E extends ApiEvent>(
      event: E,
      handler: (payload: ApiEvents[E]) => void,
    ): () => void {
      ensureSubscribed();
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      const listener = handler as (payload: unknown) => void;
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
  };
}
