// A fake API connection for renderer tests: handlers you pass answer calls,
// every call is recorded, and `emit` delivers an event to subscribers.
// Provide it with `app.provide(API_KEY, fake)` or mount's `global.provide`.
import { shallowRef } from "vue";
import type {
  ApiArgs,
  ApiEvent,
  ApiEvents,
  ApiHandlers,
  ApiMethod,
  ApiResult,
} from "../../shared/api/contract";
import type { ApiConnection } from "../../renderer/src/api";
import type { ConnectionState } from "../../renderer/src/api/socket-client";

export interface FakeApi extends ApiConnection {
  calls: { method: ApiMethod; args: unknown }[];
  emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void;
  setState(state: ConnectionState): void;
}

export function fakeApi(
  handlers: Partial<ApiHandlers> = {},
  transport: "electron" | "websocket" = "websocket",
): FakeApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const calls: { method: ApiMethod; args: unknown }[] = [];
  const state = shallowRef<ConnectionState>("connected");
  return {
    transport,
    state,
    calls,
    retry: () => {},
    close: () => {},
    setState: (next) => {
      state.value = next;
    },
    client: {
      async call<M extends ApiMethod>(
        method: M,
        args: ApiArgs<M>,
      ): Promise<ApiResult<M>> {
        calls.push({ method, args });
        const handler = handlers[method] as
          ((args: ApiArgs<M>) => Promise<ApiResult<M>>) | undefined;
        if (!handler)
          throw new Error(`fakeApi: no handler for "${method}" in this test`);
        return handler(args);
      },
      on<E extends ApiEvent>(
        event: E,
        handler: (payload: ApiEvents[E]) => void,
      ) {
        let set = listeners.get(event);
        if (!set) listeners.set(event, (set = new Set()));
        const listener = handler as (payload: unknown) => void;
        set.add(listener);
        return () => void set.delete(listener);
      },
    },
    emit(event, payload) {
      for (const listener of [...(listeners.get(event) ?? [])])
        listener(payload);
    },
  };
}
