import { describe, expect, it } from "vitest";
import {
  CONTENT_SECURITY_POLICY,
  isTrustedSender,
  windowOptions,
} from "../../../electron/electron-window";

describe("Electron window security", () => {
  it("isolates and sandboxes the renderer", () => {
    const prefs = windowOptions("/app/preload.cjs").webPreferences!;
    expect(prefs).toMatchObject({
      preload: "/app/preload.cjs",
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it("allows no remote content or eval", () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it("trusts only the app's own top-level page", () => {
    const app = "file:///opt/tabula/out/renderer/index.html";
    expect(isTrustedSender({ url: app, parent: null }, app)).toBe(true);
    expect(isTrustedSender({ url: `${app}#/review`, parent: null }, app)).toBe(
      true,
    );
    expect(isTrustedSender({ url: app, parent: {} }, app)).toBe(false);
    expect(
      isTrustedSender({ url: "file:///tmp/evil.html", parent: null }, app),
    ).toBe(false);
    expect(
      isTrustedSender({ url: "https://example.com/", parent: null }, app),
    ).toBe(false);
    expect(isTrustedSender(null, app)).toBe(false);
    expect(isTrustedSender({ url: "not a url", parent: null }, app)).toBe(
      false,
    );
  });
});
