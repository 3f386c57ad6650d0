// Running a generated steps.sh in tests: write a plan folder, run a phase,
// and say where every entry of an old root must be after phase migrate.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Design } from "../../shared/design/types";
import { validateDesign } from "../../shared/design/validate";
import { planFiles, type PlanContext } from "../../shared/plan-files";
import type { Plan } from "../../shared/plan/types";

export interface WrittenPlan {
  dir: string;
  plan: Plan;
  script: string;
  files: Record<string, string>;
}

/**
 * Writes the whole plan folder the way `tabula plan` does (planFiles: the
 * generated NixOS files, design.json, plan.json, steps.sh, migration.json).
 */
export function writePlan(
  design: Design,
  dir: string,
  context: PlanContext = {},
): WrittenPlan {
  const { design: valid, problems } = validateDesign(design);
  if (!valid)
    throw new Error(`the test design is invalid: ${JSON.stringify(problems)}`);
  const files: Record<string, string> = {};
  for (const f of planFiles(valid, context)) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content, {
      mode: f.path.endsWith(".sh") ? 0o755 : 0o644,
    });
    files[f.path] = f.content;
  }
  const plan = JSON.parse(files["plan.json"]!) as Plan;
  return { dir, plan, script: join(dir, "steps.sh"), files };
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `bash steps.sh ARGS...` synchronously; `input` is fed on stdin. */
export function runSteps(
  script: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): RunResult {
  const r = spawnSync("bash", [script, ...args], {
    input: options.input ?? "",
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    cwd: dirname(script),
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

/** Like runSteps, but in its own process group (the fault shim kills the whole group). */
export function runStepsDetached(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, ...args], {
      env: { ...process.env, ...env },
      cwd: dirname(script),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status, signal) =>
      resolve({ status, signal, stdout, stderr }),
    );
  });
}

function segs(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

function within(rel: string, outer: string): boolean {
  const a = segs(rel);
  const b = segs(outer);
  return b.length <= a.length && b.every((s, i) => a[i] === s);
}

/**
 * Where an entry of the old root (relative path) must be after phase
 * migrate; nix/ itself, emptied by the hoist, is kept as .tabula/nix-hoisted
 * (phase revert makes it nix/ again).
 * `persisted`: the persisted paths (relative) that existed before.
 */
export function expectedAfterMigrate(
  rel: string,
  persisted: string[],
  store = "persistent",
): string | null {
  if (rel === "") return "";
  const [top, ...rest] = segs(rel);
  if (top === "nix")
    return rest.length ? rest.join("/") : ".tabula/nix-hoisted";
  if (top === ".tabula") return rel;
  if (persisted.some((p) => within(rel, p))) return `${store}/${rel}`;
  return `old-root/${rel}`;
}
