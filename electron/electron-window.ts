// The Electron adapter's security decisions that need no Electron at run
// time, kept apart from main.ts so unit tests check them in plain Node. The
// window's own options stay in main.ts, written out where electronegativity
// can read them (docs/security.md).
export { CONTENT_SECURITY_POLICY } from "./content-security-policy";

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
