// The app's Content-Security-Policy, sent by both shells: the Electron session
// (electron-window.ts) and `tabula serve` (remote/server.ts). It matches the
// <meta> in renderer/index.html plus frame-ancestors, which only a header can
// carry (a test keeps the two in step).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
