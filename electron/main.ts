// The Electron adapter: one hardened window showing the bundled renderer, and
// the backend API bound to IPC. Keep this file thin: everything that can run
// in plain Node lives in electron/backend and is tested there.
import { app, BrowserWindow, ipcMain, session } from "electron";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  CONTENT_SECURITY_POLICY,
  isTrustedSender,
  windowOptions,
} from "./electron-window";

const rendererIndex = path.join(import.meta.dirname, "../renderer/index.html");
const appUrl = pathToFileURL(rendererIndex).toString();

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(
    windowOptions(path.join(import.meta.dirname, "../preload/index.cjs")),
  );
  win.once("ready-to-show", () => win.show());
  // Only the app's own bundle is ever shown: no navigation, no new windows.
  win.webContents.on("will-navigate", (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: "deny" }));
  void win.loadURL(appUrl);
  return win;
}

app.on("web-contents-created", (_event, contents) => {
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.on("will-navigate", (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: "deny" }));
});

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler(
    (_wc, _permission, callback) => callback(false),
  );
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        "Content-Security-Policy": [CONTENT_SECURITY_POLICY],
      },
    });
  });
  ipcMain.handle("tabula:version", (event) => {
    if (!isTrustedSender(event.senderFrame, appUrl))
      throw new Error("refused: untrusted sender");
    return app.getVersion();
  });
  createWindow();
  app.on("activate", () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on("window-all-closed", () => app.quit());
