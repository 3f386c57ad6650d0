// The Electron adapter: one hardened window showing the bundled renderer, and
// the backend API bound to IPC. Keep this file thin: everything that can run
// in plain Node lives in electron/backend and is tested there; the IPC binding
// and window settings live in electron-ipc.ts and electron-window.ts.
import { app, BrowserWindow, dialog, ipcMain, session } from "electron";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createDispatch } from "./backend/api-dispatch";
import type { Backend } from "./backend/services";
import { openBackend, takeBackendOptions } from "./cli/backend-options";
import { CONTENT_SECURITY_POLICY } from "./content-security-policy";
import { bindApi, forwardEvents } from "./electron-ipc";

const rendererIndex = path.join(import.meta.dirname, "../renderer/index.html");
const appUrl = pathToFileURL(rendererIndex).toString();

// Every renderer sandboxed, whatever a window's own options say.
app.enableSandbox();

let win: BrowserWindow | null = null;
let backend: Backend | null = null;

function createWindow(): BrowserWindow {
  // The options are written out here, not built elsewhere, so that the
  // static checks of electronegativity (the CI gate) can read them.
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    title: "Tabula",
    backgroundColor: "#1b1d23",
    webPreferences: {
      preload: path.join(import.meta.dirname, "../preload/index.cjs"),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click would otherwise open links in a new window.
      disableBlinkFeatures: "Auxclick",
    },
  });
  window.once("ready-to-show", () => window.show());
  window.on("closed", () => {
    if (win === window) win = null;
  });
  void window.loadURL(appUrl);
  return window;
}

// Only the app's own bundle is ever shown: no navigation away from it, no
// new windows, no <webview>, in this window or any other web contents.
app.on("web-contents-created", (_event, contents) => {
  contents.on("will-navigate", (event, url) => {
    if (url !== appUrl) event.preventDefault();
  });
  contents.on("will-redirect", (event) => event.preventDefault());
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: "deny" }));
});

async function start(): Promise<void> {
  // Electron's argv: [electron, app path, ...ours] unpackaged; [app, ...ours] packaged.
  const args = process.argv.slice(app.isPackaged ? 1 : 2);
  try {
    backend = await openBackend(
      takeBackendOptions(args).choice,
      app.getVersion(),
    );
  } catch (error) {
    dialog.showErrorBox("Tabula cannot start", (error as Error).message);
    app.exit(1);
    return;
  }
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(false),
  );
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        "Content-Security-Policy": [CONTENT_SECURITY_POLICY],
      },
    });
  });
  const dispatch = createDispatch(
    backend.handlersFor({ transport: "electron", controlling: () => true }),
  );
  bindApi(ipcMain, dispatch, appUrl);
  forwardEvents(backend.events, () => win?.webContents ?? null);
  win = createWindow();
}

// One window: a second launch focuses the first and exits.
if (app.requestSingleInstanceLock()) void app.whenReady().then(start);
else app.quit();
app.on("second-instance", () => {
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

app.on("window-all-closed", () => app.quit());

// Terminals and runs end with the app: no orphaned processes. will-quit
// stops them gently; "exit" is the last resort if Electron exits otherwise.
process.on("exit", () => backend?.killAllNow());
let closing = false;
app.on("will-quit", (event) => {
  if (closing || !backend) return;
  closing = true;
  event.preventDefault();
  void backend.close().finally(() => app.quit());
});
