// Picks the transport: the Electron preload bridge when the page runs inside
// Tabula's window, else a WebSocket to the server that served the page.
import { shallowRef, type Ref } from "vue";
import type { ApiClient } from "../../../shared/api/contract";
import { createBridgeClient, isBridge } from "./bridge-client";
import {
  apiUrl,
  createSocketClient,
  type ConnectionState,
  type SocketLike,
} from "./socket-client";

export interface ApiConnection {
  transport: "electron" | "websocket";
  client: ApiClient;
  /** "disconnected" while the WebSocket is down (the UI shows it). */
  state: Readonly<Ref<ConnectionState>>;
  /** Reconnect now rather than at the next scheduled attempt. */
  retry(): void;
  close(): void;
}

interface PageLike {
  tabula?: unknown;
  location: { protocol: string; host: string };
}

export function connectApi(
  page: PageLike = window as unknown as PageLike,
  createSocket?: (url: string) => SocketLike,
): ApiConnection {
  if (isBridge(page.tabula)) {
    return {
      transport: "electron",
      client: createBridgeClient(page.tabula),
      state: shallowRef<ConnectionState>("connected"),
      retry: () => {},
      close: () => {},
    };
  }
  const state = shallowRef<ConnectionState>("connecting");
  const socket = createSocketClient({
    url: apiUrl(page.location),
    createSocket,
    onState: (next) => {
      state.value = next;
    },
  });
  state.value = socket.state();
  return {
    transport: "websocket",
    client: socket.client,
    state,
    retry: socket.retry,
    close: socket.close,
  };
}
