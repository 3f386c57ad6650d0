#!/usr/bin/env node
// `npm test`: build the app (the end-to-end suite drives the built renderer),
// then run every suite with vitest. Suites whose system tool is missing are
// skipped with the reason; TABULA_REQUIRE_ALL=1 turns such a skip into a failure.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const run = (cmd, args, env = process.env) =>
  spawnSync(cmd, args, { cwd: root, stdio: "inherit", env }).status ?? 1;

if (!process.argv.includes("--no-build")) {
  const built = run("npx", [
    "electron-vite",
    "build",
    "--config",
    "build/electron.vite.config.ts",
    "--logLevel",
    "warn",
  ]);
  if (built !== 0) process.exit(built);
}
const args = process.argv.slice(2).filter((a) => a !== "--no-build");
const skipLog = join(mkdtempSync(join(tmpdir(), "tabula-skips-")), "skips.txt");
process.exit(
  run("npx", ["vitest", "run", "--config", "test/vitest.config.ts", ...args], {
    ...process.env,
    TABULA_SKIP_LOG: skipLog,
  }),
);
