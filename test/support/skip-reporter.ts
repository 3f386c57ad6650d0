// Prints, after the run, every suite skipped for a missing tool and why.
import { existsSync, readFileSync, rmSync } from "node:fs";
import type { Reporter } from "vitest/reporters";

export default class SkipReporter implements Reporter {
  onTestRunEnd(): void {
    const log = process.env.TABULA_SKIP_LOG;
    if (!log || !existsSync(log)) return;
    const lines = [
      ...new Set(readFileSync(log, "utf8").split("\n").filter(Boolean)),
    ];
    rmSync(log, { force: true });
    if (lines.length === 0) return;
    process.stdout.write(
      `\nSkipped suites (set TABULA_REQUIRE_ALL=1 to make these failures):\n`,
    );
    for (const line of lines) process.stdout.write(`  - ${line}\n`);
  }
}
