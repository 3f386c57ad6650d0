#!/usr/bin/env node
// The Electron security gate: Doyensec's electronegativity over the built app
// (out/: main, preload, renderer), offline, with our Electron version given
// (its -e), writing SARIF to out/electronegativity.sarif. It fails on any
// HIGH or MEDIUM finding.
//
// Run through its programmatic runner rather than its CLI: the 1.10 CLI
// requires `commander` without declaring it and breaks on whichever version
// npm hoists (14 here: "commander.version is not a function"). The runner is
// what the CLI calls, with the same options. It also keeps the severities,
// which its SARIF drops (every result there is "warning" or "note"), so the
// gate reads them from the runner's result and checks that the SARIF holds
// the same findings. Offline it prints that it could not fetch translations
// and Electron's release list; neither affects the checks.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/**
 * Findings that only ask for a human review (electronegativity marks them
 * "review required") and that we have reviewed. A definite finding can never
 * be waived here, and a reviewed check that turns up somewhere new fails.
 */
export const REVIEWED = {
  PRELOAD_JS_CHECK: {
    file: "main/index.js",
    reason:
      "The one preload (electron/preload.ts) exposes one function per API method, generated from API_METHODS, plus an event subscription; never ipcRenderer itself. docs/security.md.",
  },
};
const root = path.resolve(import.meta.dirname, "..");

/** Our Electron version, as the checks need it (offline they cannot look it up). */
export function electronVersion() {
  return require("electron/package.json").version;
}

// The runner writes the SARIF with a fire-and-forget fs.writeFile.
async function readWhenWritten(file) {
  for (let i = 0; i < 100; i++) {
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`electronegativity wrote no readable SARIF at ${file}`);
}

export async function scan(input, sarifPath) {
  rmSync(sarifPath, { force: true });
  const run = require("@doyensec/electronegativity/dist/runner.js");
  const result = await run(
    {
      input,
      output: sarifPath,
      isSarif: true,
      customScan: [],
      excludeFromScan: [],
      severitySet: "INFORMATIONAL",
      confidenceSet: "TENTATIVE",
      isRelative: true,
      isVerbose: false,
      electronUpgrade: undefined,
      electronVersionOverride: electronVersion(),
      parserPlugins: [],
    },
    false,
  );
  const sarif = await readWhenWritten(sarifPath);
  const findings = result.issues.map((issue) => ({
    id: issue.id,
    severity: issue.severity.name,
    confidence: issue.confidence.name,
    file: issue.file,
    line: issue.location.line,
    description: issue.description,
    manualReview: Boolean(issue.manualReview),
  }));
  const serious = findings.filter(
    (f) => f.severity === "HIGH" || f.severity === "MEDIUM",
  );
  const isReviewed = (f) =>
    f.manualReview && REVIEWED[f.id] && REVIEWED[f.id].file === f.file;
  return {
    findings,
    reviewed: serious.filter(isReviewed),
    blocking: serious.filter((f) => !isReviewed(f)),
    sarifResults: sarif.runs[0].results.length,
    errors: result.errors,
    checks: result.globalChecks + result.atomicChecks,
  };
}

if (process.argv[1] === import.meta.filename) {
  const input = path.join(root, "out");
  if (!existsSync(path.join(input, "main", "index.js"))) {
    console.error(
      "electronegativity: the app is not built (out/main/index.js is missing); run npm run build first.",
    );
    process.exit(2);
  }
  const sarifPath = path.join(input, "electronegativity.sarif");
  const report = await scan(input, sarifPath);
  for (const f of report.findings) {
    const note = report.reviewed.includes(f)
      ? ` [reviewed: ${REVIEWED[f.id].reason}]`
      : "";
    console.log(
      `${f.severity.padEnd(13)} ${f.id} ${f.file}:${f.line} ${f.description}${note}`,
    );
  }
  console.log(
    `electronegativity: ${report.checks} checks, ${report.findings.length} findings (${report.blocking.length} HIGH or MEDIUM not reviewed), SARIF in ${path.relative(root, sarifPath)}`,
  );
  if (report.sarifResults !== report.findings.length) {
    console.error(
      `electronegativity: the SARIF holds ${report.sarifResults} results but the scan found ${report.findings.length}; not trusting either.`,
    );
    process.exit(1);
  }
  process.exit(report.blocking.length > 0 ? 1 : 0);
}
