// Real nix-instantiate calls for tests, batched: one process parses many
// files, one evaluation returns many values as JSON.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tabula-design-${prefix}-`));
}

function run(args: string[]): {
  status: number;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync("nix-instantiate", args, {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Parses every file with `nix-instantiate --parse`; throws with nix's message on the first error. */
export function nixParse(files: string[]): void {
  if (files.length === 0) return;
  const r = run(["--parse", ...files]);
  if (r.status !== 0)
    throw new Error(`nix-instantiate --parse failed:\n${r.stderr}`);
}

/** Evaluates a Nix expression (strictly) and returns its JSON value. */
export function nixEval(expr: string): unknown {
  const dir = tempDir("eval");
  const file = join(dir, "eval.nix");
  writeFileSync(file, expr);
  const r = run(["--eval", "--strict", "--json", file]);
  if (r.status !== 0)
    throw new Error(
      `nix-instantiate --eval failed:\n${r.stderr}\nexpression:\n${expr.slice(0, 2000)}`,
    );
  return JSON.parse(r.stdout) as unknown;
}

/** A Nix string literal for a path of a test's temporary file (plain characters only). */
export function nixPathLiteral(path: string): string {
  if (!/^\/[A-Za-z0-9._/+-]+$/.test(path))
    throw new Error(`unusual temp path: ${path}`);
  return path;
}
