// Phase revert on a synthetic old root (the one the migrate tests use): a
// finished migration, then the stateless system's own changes to the
// storage, then revert with --target (a folder; the bootloader step is
// skipped there and tested on loop devices in convert-layouts.test.ts).
// Every entry must be back with its inode, type, owner, mode, xattrs and
// content; the folders the migration made must be gone; a rerun changes
// nothing; a dry run changes nothing; a revert killed at every rename,
// rmdir and mkdir, and a revert of a migration killed half way, end the
// same.
import { execFile, execFileSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileFaultShim } from "../../support/fault-shim";
import { describeWith } from "../../support/needs";
import { buildOldRoot, oldRootDesign } from "../../support/old-root";
import {
  runSteps,
  runStepsDetached,
  writePlan,
  type WrittenPlan,
} from "../../support/steps";
import {
  diffManifests,
  manifest,
  walkTree,
  type Tree,
} from "../../support/tree";

const tmpRoot = join(import.meta.dirname, "../../.tmp");
/** What revert leaves beside the old root's own entries: Tabula's folder. */
const tabulaOwn = (rel: string) =>
  rel === ".tabula/journal" || rel.startsWith(".tabula/plan");

/** Every entry of BEFORE is in AFTER with the same inode and facts (only CHANGED may differ in content). */
function sameEntries(
  before: Tree,
  after: Tree,
  changed: Set<string> = new Set(),
): string[] {
  const out: string[] = [];
  for (const [rel, e] of before) {
    const a = after.get(rel);
    if (!a) {
      out.push(`missing: ${JSON.stringify(rel)}`);
      continue;
    }
    const facts = (x: typeof e) =>
      JSON.stringify({
        ino: x.ino,
        type: x.type,
        mode: x.mode,
        uid: x.uid,
        gid: x.gid,
        target: x.target,
        xattrs: x.xattrs,
        ...(changed.has(rel) ? {} : { content: x.content, size: x.size }),
      });
    if (facts(a) !== facts(e))
      out.push(`differs: ${JSON.stringify(rel)}: ${facts(e)} vs ${facts(a)}`);
  }
  return out;
}

describeWith(
  ["root", "nix", "bash", "cc"],
  "phase revert on an old root folder",
  () => {
    let work: string;
    let plan: WrittenPlan;
    let template: string;
    let shim: string;

    beforeAll(() => {
      mkdirSync(tmpRoot, { recursive: true });
      work = mkdtempSync(join(tmpRoot, "steps-revert-"));
      shim = compileFaultShim(work);
      plan = writePlan(oldRootDesign(), join(work, "plan"));
      const parent = join(work, "template");
      mkdirSync(parent);
      template = buildOldRoot(parent, {
        migrationJson: plan.files["migration.json"],
        topLevelHostile: 4,
      }).dir;
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    async function copy(name: string): Promise<string> {
      const dir = join(work, name);
      mkdirSync(dir);
      await promisify(execFile)("cp", ["-a", template, join(dir, "root")]);
      return join(dir, "root");
    }

    function migrate(root: string): void {
      const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }

    function revert(root: string, extra: string[] = []) {
      return runSteps(plan.script, [
        "revert",
        "--yes",
        "--target",
        root,
        ...extra,
      ]);
    }

    it("puts every entry back with its inode, and removes what the migration made", async () => {
      const root = await copy("full");
      const before = walkTree(root);
      migrate(root);
      expect(existsSync(join(root, "old-root"))).toBe(true);
      // The stateless system lived: it changed kept state and made a
      // persisted folder the old root never had.
      appendFileSync(join(root, "persistent/var/lib/nixos/uid-map"), "x\n");
      mkdirSync(join(root, "persistent/var/lib/bluetooth/AA:BB"), {
        recursive: true,
      });
      const r = revert(root);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("Phase revert finished.");
      expect(r.stdout).toMatch(
        /Skipped: --target was given: the caller owns the mounts; make the old system the default boot entry yourself/,
      );
      const after = walkTree(root);
      expect(
        sameEntries(before, after, new Set(["var/lib/nixos/uid-map"])),
      ).toEqual([]);
      expect(readFileSync(join(root, "var/lib/nixos/uid-map"), "utf8")).toMatch(
        /x\n$/,
      );
      // Nothing but the old root's entries, the kept state's new folder and
      // Tabula's own files.
      const extra = [...after.keys()].filter(
        (k) => !before.has(k) && !tabulaOwn(k),
      );
      expect(extra.sort()).toEqual([
        "var/lib/bluetooth",
        "var/lib/bluetooth/AA:BB",
      ]);
      for (const gone of ["persistent", "old-root", ".tabula/nix-hoisted"])
        expect(existsSync(join(root, gone)), gone).toBe(false);
      // nix/ is the very folder it was.
      expect(after.get("nix")?.ino).toBe(before.get("nix")?.ino);
      const journal = readFileSync(join(root, ".tabula/journal"), "utf8");
      expect(journal).toMatch(/\trevert\tunhoist\tdone\t/);
      expect(journal).toMatch(/\trevert\tunpersist\tdone\t/);

      // Run again: every step is skipped, nothing changes.
      const again = revert(root);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/Skipped: nix\/ is back in its place/);
      expect(again.stdout).toMatch(
        /Skipped: every persisted path is back in its place/,
      );
      expect(
        sameEntries(after, walkTree(root), new Set([".tabula/journal"])),
      ).toEqual([]);
    });

    it("a dry run prints the renames and changes nothing", async () => {
      const root = await copy("dry");
      migrate(root);
      const before = manifest(walkTree(root));
      const r = runSteps(plan.script, [
        "revert",
        "--dry-run",
        "--target",
        root,
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\+ mv .*nix-hoisted .*nix-unhoisting/);
      expect(r.stdout).toContain("Dry run finished; nothing was changed.");
      expect(diffManifests(manifest(walkTree(root)), before)).toEqual([]);
    });

    it("refuses another plan's partition, and a migration its journal does not record, with nothing changed", async () => {
      const root = await copy("refusals");
      migrate(root);
      const before = manifest(walkTree(root));
      writeFileSync(
        join(root, ".tabula/migration.json"),
        '{ "planId": "0000000000000000" }\n',
      );
      const other = revert(root);
      expect(other.status).toBe(2);
      expect(other.stderr).toMatch(
        /migration.json is missing or belongs to another plan, not to [0-9a-f]{16}: revert only undoes the migration of the plan that made it/,
      );
      writeFileSync(
        join(root, ".tabula/migration.json"),
        plan.files["migration.json"]!,
      );
      const journal = join(root, ".tabula/journal");
      const saved = readFileSync(journal, "utf8");
      writeFileSync(
        journal,
        saved.replace(/\tmigrate\tcheck-old-root\tbegun\t/g, "\tx\tx\tx\t"),
      );
      const unrecorded = revert(root);
      expect(unrecorded.status).toBe(2);
      expect(unrecorded.stderr).toMatch(
        /does not record that this plan's migration began, yet the partition is not in its old layout \(stage: hoisted\)/,
      );
      writeFileSync(journal, saved);
      const changed = (rel: string) =>
        rel === ".tabula/journal" || rel === ".tabula/migration.json";
      expect(
        diffManifests(
          manifest(walkTree(root, changed)),
          new Map([...before].filter(([k]) => !changed(k))),
        ),
      ).toEqual([]);
    });

    it("stops at a name in both places and overwrites nothing; goes on once it is moved aside", async () => {
      const root = await copy("conflict");
      migrate(root);
      // Something made /etc/machine-id in the quarantine after the migration.
      writeFileSync(join(root, "old-root/etc/machine-id"), "impostor\n");
      const r = revert(root);
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).toMatch(
        /Stopped: both .*persistent\/etc\/machine-id and .*\/etc\/machine-id exist, so the first cannot move back\. Tabula never overwrites/,
      );
      expect(readFileSync(join(root, "etc/machine-id"), "utf8")).toBe(
        "impostor\n",
      );
      execFileSync("mv", [
        join(root, "etc/machine-id"),
        join(root, "machine-id.impostor"),
      ]);
      const again = revert(root);
      expect(again.status, again.stderr).toBe(0);
      expect(readFileSync(join(root, "etc/machine-id"), "utf8")).toMatch(
        /^0123456789abcdef/,
      );
    });

    /** Kills a run of PHASE at the Nth counted call (before or after it). */
    async function killedRun(
      root: string,
      phase: string,
      at: number,
      when: string,
      counter: string,
    ) {
      writeFileSync(counter, "0\n");
      const r = await runStepsDetached(
        plan.script,
        [phase, "--yes", "--target", root],
        {
          LD_PRELOAD: shim,
          TABULA_FAULT_DIRS: "1",
          TABULA_FAULT_COUNTER: counter,
          TABULA_FAULT_AT: String(at),
          TABULA_FAULT_WHEN: when,
        },
      );
      expect(r.signal, `${phase} should die at call ${at} ${when}`).toBe(
        "SIGKILL",
      );
    }

    it("loses nothing when revert is killed just before or just after any rename, rmdir or mkdir", async () => {
      const reference = await copy("counted");
      const before = walkTree(reference);
      migrate(reference);
      const counter = join(work, "counted.count");
      const r = await runStepsDetached(
        plan.script,
        ["revert", "--yes", "--target", reference],
        {
          LD_PRELOAD: shim,
          TABULA_FAULT_DIRS: "1",
          TABULA_FAULT_COUNTER: counter,
        },
      );
      expect(r.status, r.stderr).toBe(0);
      const calls = Number(readFileSync(counter, "utf8"));
      expect(calls).toBeGreaterThan(20);
      const ok = manifest(walkTree(reference, tabulaOwn));
      const cases: [number, string][] = [];
      for (let n = 1; n <= calls; n++)
        for (const when of ["before", "after"]) cases.push([n, when]);
      const next = async (): Promise<void> => {
        const c = cases.shift();
        if (!c) return;
        const name = `r${c[0]}-${c[1]}`;
        const root = await copy(name);
        const own = walkTree(root);
        migrate(root);
        await killedRun(root, "revert", c[0], c[1], join(work, `${name}.n`));
        const resumed = revert(root);
        expect(resumed.status, `${name}: ${resumed.stderr}`).toBe(0);
        const after = walkTree(root, tabulaOwn);
        expect(diffManifests(manifest(after), ok), name).toEqual([]);
        expect(sameEntries(own, walkTree(root)), name).toEqual([]);
        rmSync(join(work, name), { recursive: true });
        return next();
      };
      await Promise.all([next(), next(), next()]);
      expect(sameEntries(before, walkTree(reference))).toEqual([]);
    }, 900_000);

    it("undoes a migration that was killed half way, at any of several instants", async () => {
      const probe = await copy("migrate-count");
      const counter = join(work, "migrate.count");
      const r = await runStepsDetached(
        plan.script,
        ["migrate", "--yes", "--target", probe],
        { LD_PRELOAD: shim, TABULA_FAULT_COUNTER: counter },
      );
      expect(r.status, r.stderr).toBe(0);
      const renames = Number(readFileSync(counter, "utf8"));
      const points = [1, 3, Math.floor(renames / 3), Math.floor(renames / 2)];
      points.push(renames - 3, renames - 1, renames);
      for (const at of points)
        for (const when of ["before", "after"]) {
          const name = `m${at}-${when}`;
          const root = await copy(name);
          const before = walkTree(root);
          writeFileSync(join(work, `${name}.n`), "0\n");
          const killed = await runStepsDetached(
            plan.script,
            ["migrate", "--yes", "--target", root],
            {
              LD_PRELOAD: shim,
              TABULA_FAULT_COUNTER: join(work, `${name}.n`),
              TABULA_FAULT_AT: String(at),
              TABULA_FAULT_WHEN: when,
            },
          );
          expect(killed.signal, name).toBe("SIGKILL");
          const back = revert(root);
          expect(back.status, `${name}: ${back.stdout}${back.stderr}`).toBe(0);
          const after = walkTree(root);
          expect(sameEntries(before, after), name).toEqual([]);
          const extra = [...after.keys()].filter(
            (k) => !before.has(k) && !tabulaOwn(k),
          );
          expect(extra, name).toEqual([]);
          rmSync(join(work, name), { recursive: true });
        }
    }, 600_000);
  },
);
