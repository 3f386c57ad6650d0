// electron/main.ts with `electron` mocked: which window it opens, what it
// lets that window do, how it binds the API to IPC, and what it stops on
// quit. Electron itself never runs here; this checks our use of its API.
import { EventEmitter } from "node:events";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EVENT_CHANNEL, methodChannel } from "../../../shared/api/bridge";
import { API_METHODS } from "../../../shared/api/contract";
import type { Backend } from "../../../electron/backend/services";
import type * as BackendOptions from "../../../electron/cli/backend-options";
import { CONTENT_SECURITY_POLICY } from "../../../electron/content-security-policy";
import { UNTRUSTED_SENDER } from "../../../electron/electron-ipc";

const fake = await vi.hoisted(async () => {
  const { EventEmitter } = await import("node:events");
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    sandboxed: false,
    enableSandbox() {
      app.sandboxed = true;
    },
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    getVersion: () => "0.1.0",
    quits: 0,
    quit() {
      app.quits++;
      app.emit("will-quit", {
        prevented: false,
        preventDefault() {
          this.prevented = true;
        },
      });
    },
    exit: () => {},
  });
  const contents = Object.assign(new EventEmitter(), {
    sent: [] as [string, unknown][],
    send(channel: string, message: unknown) {
      contents.sent.push([channel, message]);
    },
    isDestroyed: () => false,
  });
  const windows: {
    options: Record<string, unknown>;
    loaded: string[];
  }[] = [];
  class BrowserWindow extends EventEmitter {
    options: Record<string, unknown>;
    loaded: string[] = [];
    webContents = contents;
    constructor(options: Record<string, unknown>) {
      super();
      this.options = options;
      windows.push(this);
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    show() {}
    static getAllWindows = () => windows;
  }
  const handlers = new Map<
    string,
    (event: unknown, args: unknown) => unknown
  >();
  const ipcMain = {
    handle(channel: string, fn: (event: unknown, args: unknown) => unknown) {
      if (handlers.has(channel))
        throw new Error(`second handler for ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
  };
  const sessionState = {
    permissionRequest: null as null | ((...a: unknown[]) => void),
    permissionCheck: null as null | ((...a: unknown[]) => boolean),
    headers: null as
      null | ((details: unknown, cb: (r: unknown) => void) => void),
  };
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (fn: (...a: unknown[]) => void) =>
        (sessionState.permissionRequest = fn),
      setPermissionCheckHandler: (fn: (...a: unknown[]) => boolean) =>
        (sessionState.permissionCheck = fn),
      webRequest: {
        onHeadersReceived: (
          fn: (details: unknown, cb: (r: unknown) => void) => void,
        ) => (sessionState.headers = fn),
      },
    },
  };
  const dialog = { showErrorBox: () => {} };
  return {
    app,
    contents,
    windows,
    BrowserWindow,
    handlers,
    ipcMain,
    session,
    sessionState,
    dialog,
    backend: null as unknown,
  };
});

vi.mock("electron", () => ({
  app: fake.app,
  BrowserWindow: fake.BrowserWindow,
  ipcMain: fake.ipcMain,
  session: fake.session,
  dialog: fake.dialog,
}));

// Keep the real backend, but let the test see it (to emit events, watch close).
vi.mock("../../../electron/cli/backend-options", async (importOriginal) => {
  const real = await importOriginal<typeof BackendOptions>();
  return {
    ...real,
    openBackend: async (...args: Parameters<typeof real.openBackend>) => {
      const backend = await real.openBackend(...args);
      fake.backend = backend;
      return backend;
    },
  };
});

let workspace: string;
const argv = process.argv;

beforeAll(async () => {
  workspace = mkdtempSync(path.join(tmpdir(), "api-main-"));
  process.argv = [
    "/usr/bin/electron",
    "/opt/tabula",
    "--workspace",
    workspace,
    "--sandbox",
  ];
  await import("../../../electron/main");
  await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
});
afterAll(() => {
  process.argv = argv;
  rmSync(workspace, { recursive: true, force: true });
});

function trusted() {
  return { senderFrame: { url: fake.windows[0]!.loaded[0]!, parent: null } };
}

describe("Electron main process", () => {
  it("opens one isolated, sandboxed window without Node", () => {
    expect(fake.app.sandboxed).toBe(true);
    expect(fake.windows).toHaveLength(1);
    const prefs = fake.windows[0]!.options.webPreferences as Record<
      string,
      unknown
    >;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      disableBlinkFeatures: "Auxclick",
    });
    expect(prefs.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
  });

  it("loads only the app's own bundle, from a file URL", () => {
    const [url] = fake.windows[0]!.loaded;
    expect(url).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
    expect(fake.windows[0]!.loaded).toHaveLength(1);
  });

  it("denies navigation, redirects, new windows and webviews everywhere", () => {
    const contents = Object.assign(new EventEmitter(), {
      openHandler: null as null | ((d: { url: string }) => unknown),
      setWindowOpenHandler(fn: (d: { url: string }) => unknown) {
        contents.openHandler = fn;
      },
    });
    fake.app.emit("web-contents-created", {}, contents);
    const event = () => ({
      prevented: false,
      preventDefault() {
        this.prevented = true;
      },
    });
    const nav = event();
    contents.emit("will-navigate", nav, "https://example.com/");
    expect(nav.prevented).toBe(true);
    const local = event();
    contents.emit("will-navigate", local, "file:///etc/passwd");
    expect(local.prevented).toBe(true);
    const redirect = event();
    contents.emit("will-redirect", redirect, "https://example.com/");
    expect(redirect.prevented).toBe(true);
    const webview = event();
    contents.emit("will-attach-webview", webview, {}, {});
    expect(webview.prevented).toBe(true);
    expect(contents.openHandler!({ url: "https://example.com/" })).toEqual({
      action: "deny",
    });
  });

  it("refuses every permission and sends the strict CSP on every response", () => {
    let granted: boolean | null = null;
    fake.sessionState.permissionRequest!(
      {},
      "media",
      (ok: boolean) => (granted = ok),
    );
    expect(granted).toBe(false);
    expect(fake.sessionState.permissionCheck!({}, "clipboard-read")).toBe(
      false,
    );
    let reply: { responseHeaders: Record<string, string[]> } | null = null;
    fake.sessionState.headers!(
      { responseHeaders: { "Content-Type": ["text/html"] } },
      (r) => (reply = r as typeof reply),
    );
    expect(reply!.responseHeaders).toEqual({
      "Content-Type": ["text/html"],
      "Content-Security-Policy": [CONTENT_SECURITY_POLICY],
    });
  });

  it("binds every API method to its own IPC channel, and nothing else", () => {
    expect([...fake.handlers.keys()].sort()).toEqual(
      API_METHODS.map(methodChannel).sort(),
    );
  });

  it("answers the app's own page through the shared schemas", async () => {
    const hello = fake.handlers.get(methodChannel("hello"))!;
    expect(await hello(trusted(), {})).toEqual({
      result: {
        version: "0.1.0",
        machine: "sandbox",
        transport: "electron",
        controlling: true,
      },
    });
    const save = fake.handlers.get(methodChannel("saveDesign"))!;
    expect(
      await save(trusted(), { name: "a", design: { format: "tabula/1" } }),
    ).toEqual({
      result: { path: path.join(workspace, "a.json") },
    });
    expect(await save(trusted(), { name: 5 })).toEqual({
      error: {
        message:
          'Invalid arguments to "saveDesign": "args.name" must be a string (got a number); "args.design" is required.',
      },
    });
  });

  it("refuses messages from any other frame before touching the backend", async () => {
    const save = fake.handlers.get(methodChannel("saveDesign"))!;
    const own = trusted().senderFrame.url;
    for (const senderFrame of [
      { url: own, parent: { url: own } }, // a sub-frame of our page
      { url: "file:///tmp/evil.html", parent: null },
      { url: "https://example.com/", parent: null },
      null,
    ]) {
      expect(
        await save(
          { senderFrame },
          { name: "evil", design: { format: "tabula/1" } },
        ),
      ).toEqual({ error: { message: UNTRUSTED_SENDER } });
    }
    expect(existsSync(path.join(workspace, "evil.json"))).toBe(false);
  });

  it("forwards backend events to the window", () => {
    const backend = fake.backend as Backend;
    backend.events.emit("terminal.data", { terminalId: "t1", data: "hi" });
    expect(fake.contents.sent).toContainEqual([
      EVENT_CHANNEL,
      { event: "terminal.data", payload: { terminalId: "t1", data: "hi" } },
    ]);
  });

  it("closes the backend (terminals, runs) before quitting", async () => {
    const backend = fake.backend as Backend;
    const close = vi.spyOn(backend, "close");
    fake.app.quit();
    expect(close).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(fake.app.quits).toBe(2));
    expect(close).toHaveBeenCalledTimes(1);
    expect(readdirSync(workspace)).toEqual(["a.json"]);
  });
});
