// Phase migrate without root: with --target naming a folder the user owns
// (the sandbox's pretend partition), steps.sh runs as that user, the kernel
// checking every rename. Everything else still needs root: migrate without
// --target (it mounts), on a folder the user does not own, and every phase
// touching disks. Runs as `nobody` through setpriv (the tests run as root).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { persistedRelatives } from "../../../shared/plan/convert";
import { buildOldRoot, oldRootDesign } from "../../support/old-root";
import { installDesign } from "../../support/designs";
import { describeWith } from "../../support/needs";
import {
  expectedAfterMigrate,
  writePlan,
  type RunResult,
  type WrittenPlan,
} from "../../support/steps";
import {
  diffManifests,
  manifest,
  walkTree,
  type Tree,
} from "../../support/tree";

const tmpRoot = join(import.meta.dirname, "../../.tmp");
const USER = "nobody";
const GROUP = "nogroup";

/** `bash steps.sh ARGS` as USER, with no supplementary groups. */
function runAsUser(script: string, args: string[]): RunResult {
  const r = spawnSync(
    "setpriv",
    [
      `--reuid=${USER}`,
      `--regid=${GROUP}`,
      "--clear-groups",
      "bash",
      script,
      ...args,
    ],
    { encoding: "utf8", cwd: dirname(script), input: "" },
  );
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

/** The lock file steps.sh uses for a target (docs/step-script.md). */
function lockFile(target: string): string {
  const key = createHash("sha256")
    .update(realpathSync(target))
    .digest("hex")
    .slice(0, 16);
  return `/run/lock/tabula-steps-${key}.lock`;
}

/** Every entry of the old root is where migrate puts it, with its inode. */
function expectMigrated(before: Tree, after: Tree): void {
  const persisted = persistedRelatives(oldRootDesign()).filter((p) =>
    before.has(p),
  );
  for (const [rel, entry] of before) {
    const target = expectedAfterMigrate(rel, persisted);
    if (target === null) continue;
    expect(after.get(target)?.ino, `${JSON.stringify(rel)} -> ${target}`).toBe(
      entry.ino,
    );
  }
}

describeWith(["root", "nix", "bash"], "phase migrate as a user", () => {
  let work: string;
  let plan: WrittenPlan;
  const locks: string[] = [];

  beforeAll(() => {
    mkdirSync(tmpRoot, { recursive: true });
    work = mkdtempSync(join(tmpRoot, "review-steps-user-"));
    chmodSync(work, 0o755); // the user must reach the plan and the roots
    plan = writePlan(oldRootDesign(), join(work, "plan"));
  });

  afterAll(() => {
    for (const l of locks) rmSync(l, { force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A synthetic old root owned by USER throughout, as the sandbox makes it. */
  function userRoot(name: string): string {
    const parent = join(work, name);
    mkdirSync(parent);
    chmodSync(parent, 0o755);
    const root = buildOldRoot(parent, {
      migrationJson: plan.files["migration.json"],
    }).dir;
    execFileSync("chown", ["-R", "--no-dereference", `${USER}:${GROUP}`, root]);
    return root;
  }

  it("moves everything by rename in a folder the user owns, even past a lock file root left", () => {
    const root = userRoot("owned");
    // An earlier run as root on the same folder left its lock file (0644,
    // root's): the user can read it, not write it.
    const lock = lockFile(root);
    locks.push(lock);
    writeFileSync(lock, "");
    chmodSync(lock, 0o644);
    const before = walkTree(root);

    const r = runAsUser(plan.script, ["migrate", "--yes", "--target", root]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `Running as ${USER}, not root: only what ${USER} may rename moves`,
    );
    expect(r.stdout).toContain("Phase migrate finished.");
    const after = walkTree(root);
    expectMigrated(before, after);
    expect(after.get("persistent/etc/machine-id")?.uid).toBe(
      before.get("etc/machine-id")!.uid,
    );

    const again = runAsUser(plan.script, [
      "migrate",
      "--yes",
      "--target",
      root,
    ]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/\+ mv /);
  });

  it("stops at the first rename the kernel forbids; root finishes it, nothing lost", () => {
    const root = userRoot("partly-root");
    // A folder of root's inside: the user can neither make its copy under
    // persistent/ with root as owner nor rename what is in it.
    execFileSync("chown", ["0:0", join(root, "srv")]);
    chmodSync(join(root, "srv"), 0o755);
    const before = walkTree(root);
    const r = runAsUser(plan.script, ["migrate", "--yes", "--target", root]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /chown: changing ownership of .*persistent\/srv': Operation not permitted/,
    );
    expect(r.stderr).toMatch(
      /Step \d+ "Move the persisted paths into persistent\/" failed/,
    );
    const done = spawnSync(
      "bash",
      [plan.script, "migrate", "--yes", "--target", root],
      { encoding: "utf8", input: "" },
    );
    expect(done.status, done.stderr).toBe(0);
    expectMigrated(before, walkTree(root));
  });

  it("refuses a folder the user does not own, and a run without --target", () => {
    const parent = join(work, "roots-own");
    mkdirSync(parent);
    chmodSync(parent, 0o755);
    const root = buildOldRoot(parent, {
      migrationJson: plan.files["migration.json"],
    }).dir;
    const before = manifest(walkTree(root));
    const r = runAsUser(plan.script, ["migrate", "--yes", "--target", root]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /Refused: without root, phase migrate only rearranges a folder you own, and .*root is owned by root, not by nobody\. On a real partition run it as root: sudo bash /,
    );
    expect(diffManifests(manifest(walkTree(root)), before)).toEqual([]);

    const mounts = runAsUser(plan.script, ["migrate", "--yes"]);
    expect(mounts.status).toBe(2);
    expect(mounts.stderr).toMatch(
      /Refused: phase migrate mounts the partition and must run as root/,
    );
    expect(existsSync("/mnt/.tabula/journal")).toBe(false);
  });

  it("keeps root required for every phase that touches disks", () => {
    const install = writePlan(installDesign(), join(work, "install-plan"));
    const target = join(work, "install-target");
    mkdirSync(target);
    execFileSync("chown", [`${USER}:${GROUP}`, target]);
    const r = runAsUser(install.script, [
      "install",
      "--yes",
      "--target",
      target,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /Refused: phase install changes disks and system files and must run as root/,
    );
    const boot = runAsUser(plan.script, [
      "bootloader",
      "--yes",
      "--target",
      target,
    ]);
    expect(boot.status).toBe(2);
    expect(boot.stderr).toMatch(/Refused: phase bootloader changes disks/);
  });
});
