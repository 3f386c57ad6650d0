// The Electron transport's shape, shared by the preload script (which builds
// it) and the renderer (which uses it as `window.tabula`). Each method is a
// function of its arguments that resolves to a reply envelope rather than
// throwing: an error thrown through ipcRenderer.invoke reaches the page
// wrapped in Electron's own prefix, so the server's sentence travels as data.
import type { ApiArgs, ApiMethod, ApiResult } from "./contract";

export type BridgeReply<T> = { result: T } | { error: { message: string } };

export type BridgeMethods = {
  [M in ApiMethod]: (args: ApiArgs<M>) => Promise<BridgeReply<ApiResult<M>>>;
};

/** One event as the main process forwards it to the window. */
export interface BridgeEvent {
  event: string;
  payload: unknown;
}

export type TabulaBridge = BridgeMethods & {
  /** Every backend event goes to `listener`; the returned function unsubscribes. */
  onEvent(listener: (message: BridgeEvent) => void): () => void;
};

/** IPC channel of a method (ipcMain.handle / ipcRenderer.invoke). */
export function methodChannel(method: ApiMethod): string {
  return `tabula:${method}`;
}

/** IPC channel on which the main process sends events to the window. */
export const EVENT_CHANNEL = "tabula:event";
