// The preload bridge: one function per API method and one event
// subscription, generated from the contract's method list. Never raw
// ipcRenderer: the page can reach exactly these channels and nothing else,
// and the IpcRendererEvent (whose `sender` is ipcRenderer) never reaches it.
// Sandboxed preloads are CommonJS; electron-vite bundles this file as .cjs.
import { contextBridge, ipcRenderer } from "electron";
import {
  EVENT_CHANNEL,
  methodChannel,
  type BridgeEvent,
  type TabulaBridge,
} from "../shared/api/bridge";
import { API_METHODS } from "../shared/api/contract";

export function buildBridge(
  invoke: (channel: string, args: unknown) => Promise<unknown>,
  on: (
    channel: string,
    listener: (event: unknown, message: unknown) => void,
  ) => void,
  off: (
    channel: string,
    listener: (event: unknown, message: unknown) => void,
  ) => void,
): TabulaBridge {
  const methods = Object.fromEntries(
    API_METHODS.map((method) => [
      method,
      (args: unknown) => invoke(methodChannel(method), args),
    ]),
  );
  return {
    ...methods,
    onEvent(listener: (message: BridgeEvent) => void) {
      const relay = (_event: unknown, message: unknown) =>
        listener(message as BridgeEvent);
      on(EVENT_CHANNEL, relay);
      return () => off(EVENT_CHANNEL, relay);
    },
  } as TabulaBridge;
}

contextBridge.exposeInMainWorld(
  "tabula",
  buildBridge(
    (channel, args) => ipcRenderer.invoke(channel, args),
    (channel, listener) => ipcRenderer.on(channel, listener),
    (channel, listener) => ipcRenderer.removeListener(channel, listener),
  ),
);
