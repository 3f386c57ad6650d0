import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { appRoot } from "../../../electron/app-root";

const checkout = resolve(import.meta.dirname, "../../..");
let made: string[] = [];
afterEach(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made = [];
});

function layout(files: Record<string, string>): string {
  const top = mkdtempSync(join(tmpdir(), "app-root-"));
  made.push(top);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(top, path, ".."), { recursive: true });
    writeFileSync(join(top, path), text);
  }
  return top;
}

describe("appRoot", () => {
  it("finds the checkout from a source module's URL", () => {
    const source = pathToFileURL(join(checkout, "electron/cli/serve.ts"));
    expect(appRoot(source.href)).toBe(checkout);
  });

  it("finds a packaged app from its bundle, past other package.json files", () => {
    const top = layout({
      "package.json": JSON.stringify({ name: "tabula", version: "0.1.0" }),
      "out/package.json": JSON.stringify({ name: "not-tabula" }),
      "out/main/cli.js": "",
    });
    expect(appRoot(join(top, "out/main/cli.js"))).toBe(top);
  });

  it("names the starting point when no Tabula package.json is above it", () => {
    const top = layout({ "package.json": "{ not json", "a/b.js": "" });
    expect(() => appRoot(join(top, "a/b.js"))).toThrow(
      `no package.json named "tabula" at or above ${join(top, "a/b.js")}`,
    );
  });
});
