// Backend events (terminal output, run progress) fan out to whichever
// transports are listening: the Electron window, the controlling WebSocket.
import type { ApiEvent, ApiEvents } from "../../shared/api/contract";

export type EventListener = (event: ApiEvent, payload: unknown) => void;

export interface EventBus {
  emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void;
  subscribe(listener: EventListener): () => void;
}

export function createEventBus(): EventBus {
  const listeners = new Set<EventListener>();
  return {
    emit(event, payload) {
      for (const listener of [...listeners]) {
        try {
          listener(event, payload);
        } catch (error) {
          // One broken transport must not starve the others.
          console.error(`tabula: a listener of "${event}" failed:`, error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
