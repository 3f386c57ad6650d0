// Phase migrate on a btrfs old root holding nested subvolumes (not mounted
// on their own, like systemd-nspawn's /var/lib/machines): a subvolume that is
// itself a persisted path, or sits inside a quarantined folder, moves by
// rename (a subvolume's root may be renamed within its parent subvolume); a
// persisted path inside a nested subvolume cannot be renamed out of it (the
// kernel says EXDEV, and mv would then copy), so it is refused before
// anything moves. Real btrfs on a loop disk, undone in afterAll.
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import { LoopDisks, type LoopDisk } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import { buildOldRoot, oldRootDesign } from "../../support/old-root";
import { runSteps, writePlan, type WrittenPlan } from "../../support/steps";
import { diffManifests, manifest, walkTree } from "../../support/tree";

/** btrfs gives every subvolume's root folder inode 256. */
const SUBVOLUME_ROOT_INO = 256;

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "nix", "bash"],
  "phase migrate with nested btrfs subvolumes in the old root",
  () => {
    const disks = new LoopDisks("review-steps-subvol");
    let disk: LoopDisk;
    let top: string;
    let plan: WrittenPlan;

    beforeAll(() => {
      disk = disks.create("review-subvol", 1024, ["-n1:0:0", "-t1:8300"]);
      execFileSync("mkfs.btrfs", ["-q", "-f", disk.part(1)]);
      top = disks.mount(disk.part(1));
      const base = oldRootDesign();
      const design: Design = {
        ...base,
        persistence: {
          ...base.persistence,
          directories: [...base.persistence.directories, "/var/lib/machines"],
        },
      };
      plan = writePlan(design, join(disks.dir, "plan"));
    });

    afterAll(() => disks.cleanup());

    /** An old root in its own top-level subvolume NAME, mounted on its own. */
    function oldRoot(name: string, nested: string[]): string {
      execFileSync("btrfs", ["-q", "subvolume", "create", join(top, name)]);
      for (const rel of nested) {
        mkdirSync(join(top, name, rel, ".."), { recursive: true });
        execFileSync("btrfs", [
          "-q",
          "subvolume",
          "create",
          join(top, name, rel),
        ]);
      }
      const parent = join(disks.dir, `${name}-parent`);
      mkdirSync(parent);
      // buildOldRoot builds PARENT/root: mount the subvolume there.
      mkdirSync(join(parent, "root"));
      execFileSync("mount", [
        "-o",
        `subvol=${name}`,
        disk.part(1),
        join(parent, "root"),
      ]);
      buildOldRoot(parent, { migrationJson: plan.files["migration.json"] });
      return join(parent, "root");
    }

    it("moves nested subvolumes by rename: a persisted one into persistent/, others with their folder", () => {
      const root = oldRoot("moves", ["var/lib/machines", "opt/vm"]);
      try {
        writeFileSync(join(root, "var/lib/machines/container.raw"), "img\n");
        writeFileSync(join(root, "opt/vm/disk.qcow2"), "vm\n");
        const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        for (const moved of ["persistent/var/lib/machines", "old-root/opt/vm"])
          expect(statSync(join(root, moved)).ino, moved).toBe(
            SUBVOLUME_ROOT_INO,
          );
        expect(
          statSync(join(root, "persistent/var/lib/machines/container.raw"))
            .size,
        ).toBe(4);
        expect(statSync(join(root, "old-root/opt/vm/disk.qcow2")).size).toBe(3);
      } finally {
        execFileSync("umount", [root]);
      }
    });

    it("refuses, with nothing changed, a persisted path inside a nested subvolume", () => {
      const root = oldRoot("refuses", ["home"]);
      try {
        const before = manifest(walkTree(root));
        const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
        expect(r.status, r.stdout + r.stderr).toBe(2);
        expect(r.stderr).toMatch(
          /home\/mira\/\.bash_history is on a btrfs subvolume of its own \(or another filesystem\), so it cannot be renamed into persistent\//,
        );
        expect(r.stdout).not.toMatch(/\+ mv /);
        expect(diffManifests(manifest(walkTree(root)), before)).toEqual([]);
      } finally {
        execFileSync("umount", [root]);
      }
    });
  },
);
