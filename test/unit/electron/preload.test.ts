// electron/preload.ts with `electron` mocked: what the page gets as
// window.tabula. One function per method and an event subscription; never
// ipcRenderer, never an IpcRendererEvent.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { EVENT_CHANNEL } from "../../../shared/api/bridge";
import type { TabulaBridge } from "../../../shared/api/bridge";
import { API_METHODS } from "../../../shared/api/contract";

const fake = vi.hoisted(() => {
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  const ipcRenderer = {
    invoked: [] as [string, unknown][],
    invoke(channel: string, args: unknown) {
      ipcRenderer.invoked.push([channel, args]);
      return Promise.resolve({ result: channel });
    },
    on(channel: string, fn: (...a: unknown[]) => void) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    removeListener(channel: string, fn: (...a: unknown[]) => void) {
      listeners.get(channel)?.delete(fn);
    },
    send() {
      throw new Error("the preload must not use send");
    },
  };
  const exposed = new Map<string, unknown>();
  const contextBridge = {
    exposeInMainWorld(key: string, api: unknown) {
      exposed.set(key, api);
    },
  };
  return { ipcRenderer, contextBridge, exposed, listeners };
});

vi.mock("electron", () => ({
  ipcRenderer: fake.ipcRenderer,
  contextBridge: fake.contextBridge,
}));

let bridge: TabulaBridge;

beforeAll(async () => {
  await import("../../../electron/preload");
  bridge = fake.exposed.get("tabula") as TabulaBridge;
});

describe("preload bridge", () => {
  it("exposes only window.tabula", () => {
    expect([...fake.exposed.keys()]).toEqual(["tabula"]);
  });

  it("has one function per API method plus onEvent, and no IPC object", () => {
    expect(Object.keys(bridge).sort()).toEqual(
      [...API_METHODS, "onEvent"].sort(),
    );
    for (const value of Object.values(bridge)) {
      expect(typeof value).toBe("function");
      expect(value).not.toBe(fake.ipcRenderer.invoke);
    }
  });

  it("invokes the method's own channel with the arguments as given", async () => {
    expect(await bridge.openDesign({ name: "laptop" })).toEqual({
      result: "tabula:openDesign",
    });
    expect(fake.ipcRenderer.invoked).toEqual([
      ["tabula:openDesign", { name: "laptop" }],
    ]);
  });

  it("delivers events without the IpcRendererEvent, until unsubscribed", () => {
    const seen: unknown[][] = [];
    const off = bridge.onEvent((...args: unknown[]) => seen.push(args));
    const relay = [...fake.listeners.get(EVENT_CHANNEL)!][0]!;
    const ipcEvent = { sender: fake.ipcRenderer };
    relay(ipcEvent, { event: "terminal.data", payload: { data: "x" } });
    expect(seen).toEqual([
      [{ event: "terminal.data", payload: { data: "x" } }],
    ]);
    off();
    expect(fake.listeners.get(EVENT_CHANNEL)!.size).toBe(0);
  });
});
