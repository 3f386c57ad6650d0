// The Electron window's security settings, kept apart from main.ts so unit
// tests can check them in plain Node (with `electron` mocked). Every setting
// here follows Electron's security checklist (docs/security.md).
import type { BrowserWindowConstructorOptions } from "electron";

export { CONTENT_SECURITY_POLICY } from "./content-security-policy";

export function windowOptions(
  preloadPath: string,
): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    title: "Tabula",
    backgroundColor: "#1b1d23",
    webPreferences: {
      preload: preloadPath,
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
    },
  };
}

/**
 * True when a message comes from the app's own top-level page. `appUrl` is
 * the URL the window loaded (a file:// URL of the bundled renderer); any other
 * origin, or a sub-frame, is refused.
 */
export function isTrustedSender(
  frame: { url: string; parent: unknown } | null | undefined,
  appUrl: string,
): boolean {
  if (!frame || frame.parent) return false;
  let sender: URL;
  let app: URL;
  try {
    sender = new URL(frame.url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (sender.protocol !== app.protocol) return false;
  if (app.protocol === "file:") return sender.pathname === app.pathname;
  return sender.origin === app.origin;
}
