// The generated steps.sh: valid bash for every mode, the embedded library in
// sync with shared/plan/steps-lib/*.sh, the markers the runner reads (decoded with
// markers.ts from a real dry run), and the usage refusals.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
// @ts-expect-error -- a plain ES module without types
import { librarySource, render } from "../../../../build/gen-steps-lib.mjs";
import type { Design } from "../../../../shared/design/types";
import { decodeOscBody, type Marker } from "../../../../shared/plan/markers";
import { planStepFiles } from "../../../../shared/plan/files";
import { renderScript } from "../../../../shared/plan/script";
import type { Plan } from "../../../../shared/plan/types";
import { describeWith } from "../../../support/needs";
import {
  convertDesign,
  installDesign,
  recoverDesign,
} from "../../../support/designs";

const work = mkdtempSync(join(tmpdir(), "steps-script-"));
chmodSync(work, 0o755); // readable by the unprivileged user of one test
afterAll(() => rmSync(work, { recursive: true, force: true }));

function written(design: Design, name: string): { plan: Plan; script: string } {
  const r = planStepFiles(design);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const script = join(work, `${name}.sh`);
  writeFileSync(script, r.files.find((f) => f.path === "steps.sh")!.content);
  return { plan: r.plan, script };
}

function run(script: string, args: string[], asUser?: number) {
  const cmd = asUser === undefined ? "bash" : "setpriv";
  const argv =
    asUser === undefined
      ? [script, ...args]
      : [
          `--reuid=${asUser}`,
          `--regid=${asUser}`,
          "--clear-groups",
          "bash",
          script,
          ...args,
        ];
  return spawnSync(cmd, argv, { encoding: "utf8", cwd: work });
}

/** The markers in a terminal stream, in order. */
function markers(output: string): Marker[] {
  const out: Marker[] = [];
  // eslint-disable-next-line no-control-regex -- OSC sequences are what it finds
  for (const m of output.matchAll(/\u001b\]([^\u0007]*)\u0007/g)) {
    const decoded = decodeOscBody(m[1]!);
    if (decoded) out.push(decoded);
  }
  return out;
}

it("embeds shared/plan/steps-lib/*.sh unchanged (run node build/gen-steps-lib.mjs after editing them)", () => {
  expect(readFileSync("shared/plan/steps-lib.ts", "utf8")).toBe(
    render(librarySource()),
  );
});

describeWith(["bash"], "steps.sh", () => {
  const samples: [string, Design][] = [
    ["install", installDesign()],
    ["convert", convertDesign()],
    ["recover-live", recoverDesign("live")],
    ["recover-old-root", recoverDesign("old-root")],
  ];

  it.each(samples)("is valid bash (%s)", (name, design) => {
    const { script } = written(design, name);
    const r = spawnSync("bash", ["-n", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(script, "utf8")).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(readFileSync(script, "utf8")).toContain("set -euo pipefail\n");
  });

  it("prints the markers of every step, in order, with rising progress, in a dry run", () => {
    const { plan, script } = written(convertDesign(), "markers");
    const r = run(script, [
      "bootloader",
      "--dry-run",
      "--target",
      join(work, "nowhere"),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const phase = plan.phases.find((p) => p.name === "bootloader")!;
    const seen = markers(r.stdout);
    const events = seen.filter(
      (m) => m.kind !== "progress" && m.kind !== "dry-stop",
    );
    // "nowhere" is no converted partition, and nixos-enter is missing here:
    // the steps where the real run would stop say so to the runner.
    const stops = seen.flatMap((m) => (m.kind === "dry-stop" ? [m.step] : []));
    expect(stops).toContain("check-new-layout");
    for (const id of stops) expect(phase.steps.map((s) => s.id)).toContain(id);
    expect(events[0]).toEqual({
      kind: "phase-start",
      phase: "bootloader",
      steps: phase.steps.length,
    });
    const steps = events.slice(1, -1);
    expect(steps).toHaveLength(phase.steps.length * 2);
    phase.steps.forEach((s, i) => {
      expect(steps[2 * i]).toEqual({ kind: "step-start", step: s.id });
      expect(steps[2 * i + 1]).toMatchObject({ kind: "step-end", step: s.id });
      expect(["done", "skipped"]).toContain(
        (steps[2 * i + 1] as { result: string }).result,
      );
    });
    expect(events.at(-1)).toEqual({
      kind: "phase-end",
      phase: "bootloader",
      result: "ok",
    });
    const percents = seen.flatMap((m) =>
      m.kind === "progress" && m.state === 1 ? [m.percent] : [],
    );
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(seen.at(-2)).toEqual({ kind: "progress", state: 0, percent: 100 });
    // The dry run names the tool this machine lacks instead of failing.
    if (spawnSync("sh", ["-c", "command -v nixos-enter"]).status !== 0)
      expect(r.stdout).toMatch(
        /\(dry run\) Step \d+ "Make the stateless system the default boot entry" needs nixos-enter/,
      );
  });

  it("prints each step's title and commands", () => {
    const { plan, script } = written(convertDesign(), "titles");
    const r = run(script, [
      "migrate",
      "--dry-run",
      "--force",
      "--target",
      join(work, "absent"),
    ]);
    const phase = plan.phases.find((p) => p.name === "migrate")!;
    phase.steps.forEach((s, i) => {
      expect(r.stdout).toContain(
        `==> [${i + 1}/${phase.steps.length}] ${s.title}`,
      );
      for (const c of s.commands) expect(r.stdout).toContain(`$ ${c}`);
    });
  });

  it.each([
    [[], /name the phase to run \(prepare migrate bootloader revert\)/],
    [
      ["install"],
      /this plan has no phase install; its phases are: prepare migrate bootloader/,
    ],
    [["migrate", "--frobnicate"], /unknown option --frobnicate/],
    [["migrate", "--target"], /--target needs a folder/],
    [["migrate", "--target="], /--target is empty/],
    [["migrate", "bootloader"], /one phase at a time/],
    [["prepare", "--target", "/mnt"], /phase prepare takes no --target/],
    [["prepare", "--mountpoint", "/mnt"], /phase prepare mounts nothing/],
    [
      ["migrate", "--target", "/a", "--mountpoint", "/b"],
      /give --target .* or --mountpoint .*, not both/,
    ],
  ])("refuses %j with status 2", (args, message) => {
    const { script } = written(convertDesign(), "usage");
    const r = run(script, args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  describeWith(["root"], "locked", () => {
    it("refuses a second run on the same target while one is running", () => {
      const { script } = written(convertDesign(), "lock");
      const target = mkdtempSync(join(work, "locked-"));
      // Hold the same lock steps.sh takes, from another process.
      const holder = spawn(
        "bash",
        [
          "-c",
          'dir=/run/lock; [[ -d $dir && -w $dir ]] || dir=${TMPDIR:-/tmp}; key=$(printf %s "$1" | sha256sum); exec {fd}>>"$dir/tabula-steps-${key:0:16}.lock"; flock "$fd"; sleep 30',
          "bash",
          target,
        ],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      try {
        execFileSync("bash", ["-c", "sleep 0.5"]);
        const r = run(script, ["migrate", "--yes", "--target", target]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(
          /another run of a Tabula step script is working on/,
        );
      } finally {
        holder.kill("SIGKILL");
      }
    });
  });

  describeWith(["root"], "interrupted", () => {
    it("reports an interrupt (Ctrl-C at a prompt) as cancelled, status 130", async () => {
      const { script } = written(convertDesign(), "interrupt");
      // The least that passes the checks: a store folder and /etc/NIXOS.
      const target = mkdtempSync(join(work, "target-"));
      mkdirSync(join(target, "nix/store"), { recursive: true });
      mkdirSync(join(target, "etc"));
      writeFileSync(join(target, "etc/NIXOS"), "");
      const child = spawn(
        "bash",
        [script, "migrate", "--force", "--target", target],
        {
          cwd: work,
          stdio: ["pipe", "pipe", "pipe"],
        },
      );
      let out = "";
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      const prompted = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes("to go ahead")) resolve();
        });
        child.on("close", () =>
          reject(new Error(`no prompt:\n${out}\n${err}`)),
        );
      });
      await prompted;
      child.kill("SIGINT");
      const status = await new Promise<number | null>((resolve) =>
        child.on("close", (code) => resolve(code)),
      );
      expect(status).toBe(130);
      expect(err).toContain("Interrupted (INT).");
      expect(markers(out).at(-1)).toEqual({
        kind: "phase-end",
        phase: "migrate",
        result: "cancelled",
      });
      // Only the journal of the finished check step was written.
      expect(readdirSync(target).sort()).toEqual([".tabula", "etc", "nix"]);
      expect(readdirSync(join(target, "nix")).sort()).toEqual(["store"]);
    });
  });

  it("prints its usage with --help", () => {
    const { plan, script } = written(convertDesign(), "help");
    const r = run(script, ["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      "Usage: bash steps.sh PHASE [--yes] [--dry-run] [--target DIR] [--force] [--mountpoint DIR]",
    );
    expect(r.stdout).toContain(plan.planId);
  });

  describeWith(["root"], "as another user", () => {
    it("refuses to run for real without root, but dry-runs", () => {
      const { script } = written(convertDesign(), "user");
      const real = run(
        script,
        ["bootloader", "--target", "/tmp/steps-x"],
        65534,
      );
      expect(real.status).toBe(2);
      expect(real.stderr).toMatch(/must run as root: sudo bash .* bootloader/);
      const dry = run(
        script,
        ["bootloader", "--dry-run", "--target", "/tmp/steps-x"],
        65534,
      );
      expect(dry.status, dry.stderr).toBe(0);
    });
  });
});

it("refuses ids the markers cannot carry", () => {
  const { plan } = written(convertDesign(), "ids");
  const bad = structuredClone(plan);
  bad.phases[0]!.steps[0]!.id = "Bad Id";
  expect(() => renderScript(bad)).toThrow(/must match/);
  const twice = structuredClone(plan);
  twice.phases[0]!.steps[1]!.id = twice.phases[0]!.steps[0]!.id;
  expect(() => renderScript(twice)).toThrow(/appears twice/);
});
