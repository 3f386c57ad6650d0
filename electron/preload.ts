// The preload bridge: one function per operation, never raw ipcRenderer.
// Sandboxed preloads are CommonJS; electron-vite bundles this file as .cjs.
import { contextBridge, ipcRenderer } from "electron";

const bridge = {
  version: (): Promise<string> => ipcRenderer.invoke("tabula:version"),
};

contextBridge.exposeInMainWorld("tabula", bridge);

export type TabulaBridge = typeof bridge;
