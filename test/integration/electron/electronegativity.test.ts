// The CI gate: electronegativity over the built app finds nothing HIGH or
// MEDIUM that has not been reviewed; and the gate does catch a bad window.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWith } from "../../support/needs";
// @ts-expect-error: a plain .mjs build script without type declarations
import { scan, REVIEWED } from "../../../build/electronegativity.mjs";

interface Finding {
  id: string;
  severity: string;
  file: string;
  manualReview: boolean;
}
interface Report {
  findings: Finding[];
  blocking: Finding[];
  reviewed: Finding[];
  sarifResults: number;
  checks: number;
}
const runScan = scan as (input: string, sarif: string) => Promise<Report>;

let base: string;
beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), "api-eng-"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describeWith(["build"], "electronegativity gate", () => {
  it("finds nothing HIGH or MEDIUM in the built app beyond the reviewed preload", async () => {
    const sarif = path.join(base, "app.sarif");
    const report = await runScan(path.resolve("out"), sarif);
    expect(report.checks).toBeGreaterThan(30);
    expect(report.blocking).toEqual([]);
    expect(report.reviewed.map((f) => f.id)).toEqual(Object.keys(REVIEWED));
    // The SARIF written holds the same findings.
    const written = JSON.parse(readFileSync(sarif, "utf8")) as {
      runs: { results: { ruleId: string }[] }[];
    };
    expect(written.runs[0]!.results.map((r) => r.ruleId).sort()).toEqual(
      report.findings.map((f) => f.id).sort(),
    );
  });

  it("fails a window that drops isolation and the sandbox", async () => {
    const app = path.join(base, "bad");
    mkdirSync(path.join(app, "main"), { recursive: true });
    writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({
        name: "bad",
        main: "main/index.js",
        devDependencies: { electron: "41.7.0" },
      }),
    );
    writeFileSync(
      path.join(app, "main", "index.js"),
      `const { BrowserWindow } = require("electron");
new BrowserWindow({ webPreferences: { contextIsolation: false, nodeIntegration: true, sandbox: false } });
`,
    );
    const report = await runScan(app, path.join(base, "bad.sarif"));
    const ids = report.blocking.map((f) => `${f.severity} ${f.id}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        "HIGH CONTEXT_ISOLATION_JS_CHECK",
        "MEDIUM SANDBOX_JS_CHECK",
        "MEDIUM AUXCLICK_JS_CHECK",
      ]),
    );
  });
});
