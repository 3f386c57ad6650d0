// Phase migrate on a synthetic old root holding a real Nix store: every
// persisted entry ends under persistent/ and everything else under old-root/
// with its inode unchanged, parents get the original owner and mode, nothing
// is missing, the store verifies, reruns change nothing, and bad input is
// refused with nothing changed.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { persistedRelatives } from "../../../shared/plan/convert";
import { encodeMarker } from "../../../shared/plan/markers";
import { describeWith } from "../../support/needs";
import { verifyStore } from "../../support/store";
import { buildOldRoot, oldRootDesign } from "../../support/old-root";
import {
  expectedAfterMigrate,
  runSteps,
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

describeWith(
  ["root", "nix", "bash"],
  "phase migrate on a synthetic old root",
  () => {
    let work: string;
    let plan: WrittenPlan;
    let root: string;
    let before: Tree;
    let persisted: string[];

    beforeAll(() => {
      mkdirSync(tmpRoot, { recursive: true });
      work = mkdtempSync(join(tmpRoot, "steps-migrate-"));
      plan = writePlan(oldRootDesign(), join(work, "plan"));
      root = buildOldRoot(work, {
        migrationJson: plan.files["migration.json"],
      }).dir;
      before = walkTree(root);
      persisted = persistedRelatives(oldRootDesign()).filter((p) =>
        before.has(p),
      );
      // Sanity: the store verifies before, and the fixture holds what it should.
      verifyStore(join(root, "nix"), work);
      expect(
        before.get("home/mira/Documents/report.txt")?.xattrs["user.tabula"],
      ).toBeDefined();
      expect(
        before.get("home/mira/Documents")?.xattrs["system.posix_acl_access"],
      ).toBeDefined();
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("dry run prints the moves and changes nothing", () => {
      const r = runSteps(plan.script, [
        "migrate",
        "--dry-run",
        "--target",
        root,
      ]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(
        "Dry run: every command is printed, nothing is changed.",
      );
      expect(r.stdout).toMatch(
        /\+ mv -T -- \S*root\/var\/log \S*root\/persistent\/var\/log/,
      );
      expect(r.stdout).toMatch(
        /\+ mv -T -- \S*root\/nix \S*root\/\.tabula\/nix-hoisting/,
      );
      expect(r.stdout).toContain("Dry run finished; nothing was changed.");
      expect(diffManifests(manifest(walkTree(root)), manifest(before))).toEqual(
        [],
      );
      expect(existsSync(join(root, ".tabula/journal"))).toBe(false);
    });

    it("moves every entry by rename: persisted ones to persistent/, the rest to old-root/, nix/* to the top", () => {
      const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain("Phase migrate finished.");
      const after = walkTree(root);

      const expectedPaths = new Set<string>();
      for (const [rel, entry] of before) {
        const target = expectedAfterMigrate(rel, persisted);
        if (target === null) continue;
        expectedPaths.add(target);
        const moved = after.get(target);
        expect(
          moved,
          `${JSON.stringify(rel)} should be at ${JSON.stringify(target)}`,
        ).toBeDefined();
        expect(moved!.ino, `inode of ${JSON.stringify(rel)}`).toBe(entry.ino);
        expect(moved!.type).toBe(entry.type);
        if (target !== "") {
          expect(moved!.mode.toString(8), JSON.stringify(rel)).toBe(
            entry.mode.toString(8),
          );
          expect([moved!.uid, moved!.gid]).toEqual([entry.uid, entry.gid]);
          expect(moved!.xattrs, `xattrs of ${JSON.stringify(rel)}`).toEqual(
            entry.xattrs,
          );
        }
      }
      expect(after.has("nix")).toBe(false);

      // Created: persistent/ and the parents of persisted paths (with the
      // original owner and mode), old-root/, the journal. Nothing else.
      const parents = new Set<string>();
      for (const p of persisted) {
        const segs = p.split("/");
        for (let i = 1; i < segs.length; i++)
          parents.add(segs.slice(0, i).join("/"));
      }
      for (const parent of parents) {
        if (persisted.some((p) => parent === p || parent.startsWith(`${p}/`)))
          continue;
        const made = after.get(`persistent/${parent}`);
        const original = before.get(parent)!;
        expect(made?.type, parent).toBe("dir");
        expect(made!.mode.toString(8), `mode of persistent/${parent}`).toBe(
          original.mode.toString(8),
        );
        expect([made!.uid, made!.gid], `owner of persistent/${parent}`).toEqual(
          [original.uid, original.gid],
        );
        expectedPaths.add(`persistent/${parent}`);
      }
      expect(after.get("persistent")?.mode.toString(8)).toBe("755");
      expect(after.get("old-root")?.mode.toString(8)).toBe("700");
      for (const made of ["persistent", "old-root", ".tabula/journal"])
        expectedPaths.add(made);
      const unexpected = [...after.keys()].filter((k) => !expectedPaths.has(k));
      expect(unexpected).toEqual([]);
      expect(after.size).toBe(expectedPaths.size);

      // Spot checks a person would make.
      expect(after.get("persistent/srv")?.uid).toBe(5);
      expect(after.get("persistent/home/mira")?.mode.toString(8)).toBe("700");
      expect(after.get("persistent/etc/ssh")?.mode.toString(8)).toBe("711");
      expect(after.get("persistent/var/log/journal")?.mode.toString(8)).toBe(
        "2755",
      );
      expect(after.get("persistent/etc/localtime")?.type).toBe("symlink");
      expect(after.get("persistent/var/lib/postgresql/16/.s.fifo")?.type).toBe(
        "fifo",
      );
      expect(after.get("persistent/home/mira/Documents/report.txt")!.ino).toBe(
        after.get("old-root/home/mira/Downloads/report-link.txt")!.ino,
      );
      expect(after.get("old-root/new\nline")?.type).toBe("file");
      expect(after.get("old-root/-rf")?.type).toBe("file");
      expect(after.get("store")?.type).toBe("dir");
      expect(after.get("var/nix/db")?.type).toBe("dir");
      verifyStore(root, work);

      const journal = readFileSync(join(root, ".tabula/journal"), "utf8");
      expect(journal).toMatch(/\tmigrate\tcheck-old-root\tbegun\t/);
      expect(journal).toMatch(/\tmigrate\thoist\tdone\t/);
    });

    it("a second run skips every step and changes nothing", () => {
      const first = manifest(
        walkTree(root, (rel) => rel === ".tabula/journal"),
      );
      const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Skipped: the quarantine has begun/);
      expect(r.stdout).toMatch(/Skipped: nix\/ is already hoisted/);
      expect(r.stdout).not.toMatch(/\+ mv /);
      expect(
        diffManifests(
          manifest(walkTree(root, (rel) => rel === ".tabula/journal")),
          first,
        ),
      ).toEqual([]);
    });
  },
);

describeWith(
  ["root", "nix", "bash"],
  "phase migrate refuses bad input and changes nothing",
  () => {
    let work: string;
    let plan: WrittenPlan;

    beforeAll(() => {
      mkdirSync(tmpRoot, { recursive: true });
      work = mkdtempSync(join(tmpRoot, "steps-refuse-"));
      plan = writePlan(oldRootDesign(), join(work, "plan"));
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    function fresh(name: string, migrationJson?: string): string {
      const parent = join(work, name);
      mkdirSync(parent);
      return buildOldRoot(parent, { migrationJson }).dir;
    }

    function refused(root: string, args: string[], message: RegExp) {
      const before = manifest(walkTree(root));
      const r = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--target",
        root,
        ...args,
      ]);
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("Nothing was changed by the refused step.");
      expect(r.stdout).toContain(
        encodeMarker({
          kind: "step-end",
          step: "check-old-root",
          result: "failed",
        }),
      );
      expect(r.stdout).toContain(
        encodeMarker({ kind: "phase-end", phase: "migrate", result: "failed" }),
      );
      expect(diffManifests(manifest(walkTree(root)), before)).toEqual([]);
    }

    it("without .tabula/migration.json", () => {
      refused(
        fresh("no-json"),
        [],
        /migration\.json is missing: phase prepare of this plan has not finished/,
      );
    });

    it("with another plan's migration.json", () => {
      const other = plan.files["migration.json"]!.replace(
        /"planId": "[0-9a-f]+"/,
        '"planId": "0000000000000000"',
      );
      refused(
        fresh("other-plan", other),
        [],
        /belongs to another plan, not to/,
      );
    });

    it("when the target is not a NixOS root", () => {
      const root = fresh("not-nixos", plan.files["migration.json"]);
      rmSync(join(root, "etc/NIXOS"));
      refused(
        root,
        [],
        /does not look like a NixOS root: .*etc\/NIXOS is missing/,
      );
    });

    it("when a name the migration creates already exists", () => {
      const root = fresh("exists", plan.files["migration.json"]);
      mkdirSync(join(root, "old-root"));
      refused(
        root,
        [],
        /old-root already exists and the migration would create it/,
      );
    });

    it("when another plan's migration began here and did not finish: names that plan", () => {
      const root = fresh("other-plan-began", plan.files["migration.json"]);
      // The state an interrupted migration by another plan leaves: its
      // journal record, and a first path moved into persistent/.
      writeFileSync(
        join(root, ".tabula/journal"),
        "2026-01-01T00:00:00Z\tmigrate\tcheck-old-root\tbegun\t00000000000000aa\n",
      );
      mkdirSync(join(root, "persistent/etc"), { recursive: true });
      execFileSync("mv", [
        "-T",
        join(root, "etc/machine-id"),
        join(root, "persistent/etc/machine-id"),
      ]);
      refused(
        root,
        ["--force"],
        /persistent already exists: a migration by another plan \(00000000000000aa\) began here and did not finish\. Finish it with that plan's steps\.sh/,
      );
    });

    it("on a partition that is already converted, says so (another plan, --force)", () => {
      const root = fresh("converted", plan.files["migration.json"]);
      const done = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--target",
        root,
      ]);
      expect(done.status, done.stderr).toBe(0);
      const other = writePlan(
        { ...oldRootDesign(), root: { size: "3G" } },
        join(work, "plan-other"),
      );
      const before = manifest(walkTree(root));
      const r = runSteps(other.script, [
        "migrate",
        "--yes",
        "--force",
        "--target",
        root,
      ]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /converted already: store\/ is at its top and there is no nix\/\. There is nothing to migrate; to reinstall the bootloader, run phase bootloader/,
      );
      expect(diffManifests(manifest(walkTree(root)), before)).toEqual([]);
    });

    it("when nix/ holds a name that would collide on hoisting", () => {
      const root = fresh("nix-collision", plan.files["migration.json"]);
      mkdirSync(join(root, "nix/persistent"));
      refused(
        root,
        [],
        /nix\/persistent would land on .*persistent when nix\/ is hoisted/,
      );
    });

    it("when nix/ holds its own nix/, which would make a finished hoist look unfinished", () => {
      const root = fresh("nix-nix", plan.files["migration.json"]);
      mkdirSync(join(root, "nix/nix"));
      writeFileSync(join(root, "nix/nix/kept"), "data\n");
      refused(root, [], /nix\/nix would land on .*\/nix when nix\/ is hoisted/);
    });

    it("when nix/ is back after this plan's migration finished (the store is never quarantined)", () => {
      const root = fresh("nix-again", plan.files["migration.json"]);
      const done = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--target",
        root,
      ]);
      expect(done.status, done.stderr).toBe(0);
      // Something made a nix/ at the top of the converted partition later.
      mkdirSync(join(root, "nix"));
      const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
      expect(r.stdout).not.toMatch(/\+ mv /);
      expect(existsSync(join(root, "store"))).toBe(true);
      expect(existsSync(join(root, "old-root/store"))).toBe(false);
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /already hoisted nix\/ .* but .*nix exists again/,
      );
    });

    it("when .tabula/ is a symbolic link that leads out of the target", () => {
      const root = fresh("tabula-link", plan.files["migration.json"]);
      const outside = join(root, "../outside");
      execFileSync("mv", ["-T", join(root, ".tabula"), outside]);
      execFileSync("ln", ["-s", "../outside", join(root, ".tabula")]);
      const outsideBefore = manifest(walkTree(outside));
      refused(
        root,
        ["--force"],
        /\.tabula is a symbolic link \(to \.\.\/outside\)/,
      );
      expect(diffManifests(manifest(walkTree(outside)), outsideBefore)).toEqual(
        [],
      );
    });

    it("when nix/ or nix/store is a symbolic link", () => {
      const root = fresh("nix-link", plan.files["migration.json"]);
      execFileSync("mv", ["-T", join(root, "nix"), join(root, "../real-nix")]);
      execFileSync("ln", ["-s", "../real-nix", join(root, "nix")]);
      refused(root, [], /nix is a symbolic link \(to \.\.\/real-nix\)/);
      const store = fresh("store-link", plan.files["migration.json"]);
      execFileSync("mv", ["-T", join(store, "nix/store"), join(store, "../s")]);
      execFileSync("ln", ["-s", "../../s", join(store, "nix/store")]);
      refused(store, [], /nix\/store is a symbolic link/);
    });

    it("when a persisted path runs through a symlink", () => {
      const root = fresh("symlink-parent", plan.files["migration.json"]);
      rmSync(join(root, "srv"), { recursive: true });
      writeFileSync(join(work, "elsewhere"), "");
      execFileSync("ln", ["-s", "/tmp", join(root, "srv")]);
      refused(root, [], /srv is a symbolic link, so persisting/);
    });

    it("when something is mounted inside the target", () => {
      const root = fresh("mounted", plan.files["migration.json"]);
      execFileSync("mount", ["-t", "tmpfs", "steps-inner", join(root, "mnt")]);
      try {
        refused(root, [], /something is mounted inside/);
      } finally {
        execFileSync("umount", [join(root, "mnt")]);
      }
    });

    it("when the target is missing or is /", () => {
      const missing = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--target",
        join(work, "absent"),
      ]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(
        /absent is not a folder: mount the old root partition there/,
      );
      const slash = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--target",
        "/",
      ]);
      expect(slash.status).toBe(2);
      expect(slash.stderr).toMatch(
        /--target is "\/", the running system itself/,
      );
    });

    it("warns when a persisted path is a link to something not persisted (it would lead nowhere after the reboot)", () => {
      const root = fresh("persisted-link", plan.files["migration.json"]);
      // /etc/nixos kept as a link to a flake in a home that is not persisted.
      rmSync(join(root, "etc/nixos"), { recursive: true });
      mkdirSync(join(root, "home/mira/flake"));
      writeFileSync(join(root, "home/mira/flake/flake.nix"), "{ }\n");
      execFileSync("ln", ["-s", "../home/mira/flake", join(root, "etc/nixos")]);
      const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /Warning: \/etc\/nixos on the old root is a symbolic link to \/home\/mira\/flake, which is not persisted: the link moves to persistent\/ and what it points to goes to old-root\/ with the rest/,
      );
      // Links into the store (/etc/localtime here) are fine: no warning.
      expect(r.stderr).not.toMatch(/\/etc\/localtime on the old root/);
      expect(existsSync(join(root, "old-root/home/mira/flake/flake.nix"))).toBe(
        true,
      );
    });

    it("runs as the docs show it, `bash steps.sh` from inside the plan folder", () => {
      const root = fresh("from-plan-folder", plan.files["migration.json"]);
      const r = spawnSync(
        "bash",
        ["steps.sh", "migrate", "--dry-run", "--target", root],
        { cwd: plan.dir, encoding: "utf8", input: "" },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("Dry run finished; nothing was changed.");
    });

    it("takes a --target ending in a newline as named, never as the folder without it", () => {
      const root = fresh("newline-target", plan.files["migration.json"]);
      const before = manifest(walkTree(root));
      const r = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--target",
        `${root}\n`,
      ]);
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stdout).toContain(`TARGET=$'${root}\\n'`);
      expect(r.stderr).toMatch(/root\\n' is not a folder/);
      expect(diffManifests(manifest(walkTree(root)), before)).toEqual([]);
    });

    it("--force goes on without migration.json, with a warning", () => {
      const root = fresh("forced");
      const r = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--force",
        "--target",
        root,
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /Warning: .*migration\.json is missing .*going on because of --force/,
      );
      expect(existsSync(join(root, "persistent/etc/machine-id"))).toBe(true);
    });

    it("asks to type the device name before moving anything, and stops when it is not typed", () => {
      const root = fresh("confirm", plan.files["migration.json"]);
      const before = manifest(
        walkTree(root, (rel) => rel.startsWith(".tabula/journal")),
      );
      const r = runSteps(plan.script, ["migrate", "--target", root], {
        input: "yes\n",
      });
      expect(r.status).toBe(4);
      expect(r.stdout).toContain(
        `Type ${oldRootDesign().convert!.device} to go ahead`,
      );
      // The one answer confirms the quarantine and the hoist too: their
      // commands are shown before it is asked for.
      const prompt = r.stdout.slice(0, r.stdout.indexOf("to go ahead"));
      expect(prompt).toMatch(
        /also runs these later steps on it:\n.*Move the rest of the old root into old-root\/\n\s+tabula_quarantine persistent old-root /,
      );
      expect(prompt).toMatch(
        /Hoist nix\/\* to the top of the partition\n\s+tabula_hoist persistent old-root ''\n/,
      );
      expect(r.stderr).toMatch(/Not confirmed: stopping before step 3/);
      expect(r.stdout).toMatch(/phase-end;migrate;cancelled/);
      expect(
        diffManifests(
          manifest(walkTree(root, (rel) => rel.startsWith(".tabula/journal"))),
          before,
        ),
      ).toEqual([]);
      const ok = runSteps(plan.script, ["migrate", "--target", root], {
        input: `${oldRootDesign().convert!.device}\n`,
      });
      expect(ok.status, ok.stderr).toBe(0);
      // One typed confirmation covers the later destructive steps on the same device.
      expect(ok.stdout.match(/to go ahead/g)).toHaveLength(1);
      expect(existsSync(join(root, "store"))).toBe(true);
    });
  },
);
