// Phase install checks that the disk it is about to erase is the disk the
// design was made for: device names such as /dev/sda can point at another
// disk after a reboot or a USB stick plugged in. The facts probed when the
// design was made (disk.probed: size, model, serial) must match the disk at
// disk.device, or nothing is written. A dry run changes nothing, not even
// the kernel's view of the partitions.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import { installDesign } from "../../support/designs";
import { imageDigest } from "../../support/image-digest";
import { LoopDisks } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import { runSteps, writePlan } from "../../support/steps";

const IMAGE_MIB = 9 * 1024;
const IMAGE_BYTES = IMAGE_MIB * 1024 * 1024;

function design(
  device: string,
  probed: NonNullable<Design["disk"]>["probed"],
): Design {
  const base = installDesign();
  return {
    ...base,
    hostname: "review-identity",
    root: { size: "1G" },
    disk: {
      ...base.disk!,
      device,
      esp: { size: "256M" },
      swap: { size: "64M" },
      encrypt: false,
      probed,
    },
  };
}

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "bash"],
  "phase install erases only the disk the design was made for",
  () => {
    const disks = new LoopDisks("review-steps-identity");
    const targets: string[] = [];
    afterAll(() => {
      // A run that was not refused mounts under its target: undo that too.
      for (const t of targets)
        spawnSync("umount", ["-R", t], { stdio: "ignore" });
      disks.cleanup();
    });

    function refused(
      probed: NonNullable<Design["disk"]>["probed"],
      message: RegExp,
    ) {
      const disk = disks.create("review-identity", IMAGE_MIB);
      const name = `refused-${targets.length}`;
      const plan = writePlan(
        design(disk.path, probed),
        join(disks.dir, `plan-${name}`),
      );
      const target = join(disks.dir, `mnt-${name}`);
      targets.push(target);
      const before = imageDigest(disk.image);
      const r = runSteps(plan.script, [
        "install",
        "--yes",
        "--force",
        "--target",
        target,
      ]);
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("Nothing was changed by the refused step.");
      expect(imageDigest(disk.image)).toBe(before);
      expect(existsSync(target)).toBe(false);
    }

    it("refuses a disk whose size differs from the probed one", () => {
      refused(
        { sizeBytes: IMAGE_BYTES + 1024 ** 3, model: "Samsung SSD 980" },
        /\/dev\/loop\d+ is not the disk this design was made for: the design expects 10240 MiB \(Samsung SSD 980\), but \/dev\/loop\d+ is 9216 MiB \(no model\)/,
      );
    });

    it("refuses a disk whose serial number differs (or cannot be read)", () => {
      refused(
        { sizeBytes: IMAGE_BYTES, serial: "S5GXNX0T123456A" },
        /is not the disk this design was made for: the design expects 9216 MiB \(serial S5GXNX0T123456A\), but .* is 9216 MiB \(no serial\)/,
      );
    });

    it("--dry-run leaves even the kernel's view of the partitions alone", () => {
      const disk = disks.create("review-identity-dry", IMAGE_MIB);
      const plan = writePlan(
        design(disk.path, { sizeBytes: IMAGE_BYTES }),
        join(disks.dir, "plan-dry"),
      );
      // This plan's partition table is on the disk (as after an earlier
      // run), but the kernel does not list its partitions.
      const partition = plan.plan.phases[0]!.steps.find(
        (s) => s.id === "partition",
      )!;
      execFileSync("bash", ["-c", partition.commands[2]!]);
      spawnSync("partx", ["-d", disk.path], { stdio: "ignore" });
      expect(existsSync(disk.part(1))).toBe(false);
      const before = imageDigest(disk.image);
      const r = runSteps(plan.script, [
        "install",
        "--dry-run",
        "--force",
        "--target",
        join(disks.dir, "mnt-dry"),
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(disk.part(1))).toBe(false);
      expect(imageDigest(disk.image)).toBe(before);
    });

    it("goes ahead with the disk the design was made for", () => {
      const disk = disks.create("review-identity-ok", IMAGE_MIB);
      const plan = writePlan(
        design(disk.path, { sizeBytes: IMAGE_BYTES }),
        join(disks.dir, "plan-ok"),
      );
      const r = runSteps(plan.script, [
        "install",
        "--dry-run",
        "--force",
        "--target",
        join(disks.dir, "mnt-ok"),
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /\/dev\/loop\d+: 9216 MiB, not in use, big enough/,
      );
      expect(r.stderr).not.toMatch(/is not the disk/);
    });
  },
);
