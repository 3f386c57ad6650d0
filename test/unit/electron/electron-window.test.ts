import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CONTENT_SECURITY_POLICY,
  isTrustedSender,
} from "../../../electron/electron-window";

describe("Electron security helpers", () => {
  it("allows no remote content or eval", () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it("sends the same policy as renderer/index.html, plus frame-ancestors", () => {
    const html = readFileSync("renderer/index.html", "utf8");
    const meta =
      /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(
        html,
      )?.[1];
    expect(meta).toBeDefined();
    // frame-ancestors is ignored in <meta>; only the header can carry it.
    expect(`${meta}; frame-ancestors 'none'`).toBe(CONTENT_SECURITY_POLICY);
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
