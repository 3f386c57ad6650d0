// A conversion on a real partition: a btrfs loop disk whose subvolume "root"
// holds the old NixOS root (with a real Nix store), and a separate ext4
// /boot (this kernel cannot mount vfat). Phase migrate mounts the partition
// with the design's options, moves everything, unmounts it, assembles the new
// layout (tmpfs root, the partition at /nix, /boot) and stops at the first
// step that needs NixOS (nixos-enter), naming it: on a machine without
// NixOS's tools the product says so and never imitates them (the stand-ins
// run these phases to their end in convert-layouts.test.ts). Mounts and loop devices are
// undone in afterAll, also after a failure.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import { LoopDisks, type LoopDisk } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import { makeSystemInStore, setSystemProfile } from "../../support/nixos-tools";
import { buildOldRoot, oldRootDesign } from "../../support/old-root";
import { runSteps, writePlan, type WrittenPlan } from "../../support/steps";
import { verifyStore } from "../../support/store";

function findmnt(target: string, column: string): string {
  return spawnSync("findmnt", ["-n", "-o", column, "--mountpoint", target], {
    encoding: "utf8",
  }).stdout.trim();
}

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "nix", "bash"],
  "phase migrate and bootloader on a btrfs partition",
  () => {
    const disks = new LoopDisks("steps-convert");
    let disk: LoopDisk;
    let plan: WrittenPlan;
    let mountpoint: string;
    let migrate: ReturnType<typeof runSteps>;

    beforeAll(() => {
      disk = disks.create("steps-convert", 2048, [
        "-n1:0:+64M",
        "-t1:8300",
        "-n2:0:0",
        "-t2:8300",
      ]);
      execFileSync("mkfs.ext4", ["-q", "-L", "steps-boot", disk.part(1)]);
      execFileSync("mkfs.btrfs", ["-q", "-f", disk.part(2)]);
      const base = oldRootDesign();
      const design: Design = {
        ...base,
        convert: {
          ...base.convert!,
          device: disk.part(2),
          fsType: "btrfs",
          options: ["subvol=root", "compress=zstd"],
          boot: { device: disk.part(1), fsType: "ext4", options: [] },
        },
      };
      plan = writePlan(design, join(disks.dir, "plan"));
      // The old root: subvolume "root" on the partition.
      const top = disks.mount(disk.part(2));
      execFileSync("btrfs", ["-q", "subvolume", "create", join(top, "root")]);
      buildOldRoot(top, { migrationJson: plan.files["migration.json"] });
      // What phase prepare leaves: the built system, and .tabula/result to it.
      const root = join(top, "root");
      const built = makeSystemInStore(root, { loader: "systemd-boot" });
      setSystemProfile(root, built);
      symlinkSync(built, join(root, ".tabula/result"));
      disks.umount(top);
      mountpoint = join(disks.dir, "mnt");
      migrate = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--mountpoint",
        mountpoint,
      ]);
    });

    afterAll(() => {
      if (mountpoint) spawnSync("umount", ["-R", mountpoint]);
      disks.cleanup();
    });

    it("moves everything, assembles the new layout, and stops at nixos-enter", () => {
      expect(migrate.status, migrate.stderr).toBe(3);
      expect(migrate.stdout).toMatch(
        /\$ mount -t btrfs -o 'subvol=root,compress=zstd' \/dev\/loop\d+p2 "\$TARGET"/,
      );
      expect(migrate.stderr).toMatch(
        /Missing tool: Step 11 "Make the stateless system the default boot entry" needs nixos-enter/,
      );
      expect(findmnt(mountpoint, "FSTYPE")).toBe("tmpfs");
      expect(findmnt(mountpoint, "OPTIONS")).toMatch(/mode=755/);
      const nix = join(mountpoint, "nix");
      expect(findmnt(nix, "SOURCE")).toBe(`${disk.part(2)}[/root]`);
      expect(findmnt(nix, "OPTIONS")).toMatch(/compress=zstd/);
      expect(findmnt(join(mountpoint, "boot"), "SOURCE")).toBe(disk.part(1));
      for (const kept of [
        "store",
        "var/nix/db",
        "persistent/etc/machine-id",
        "old-root/etc/passwd",
        ".tabula/migration.json",
      ])
        expect(existsSync(join(nix, kept)), kept).toBe(true);
      expect(existsSync(join(nix, "nix"))).toBe(false);
      verifyStore(nix, disks.dir);
      const journal = readFileSync(join(nix, ".tabula/journal"), "utf8");
      expect(journal).toMatch(/\tmigrate\thoist\tdone\t/);
      expect(journal).toMatch(/\tmigrate\tunmount-old-root\tdone\t/);
      expect(journal).toMatch(/\tmigrate\tmount-boot\tdone\t/);
      expect(journal).toMatch(
        /\tmigrate\tinstall-bootloader\tfailed\tstatus 3/,
      );
    });

    it("run again, migrate refuses the assembled mount point and points to phase bootloader", () => {
      const again = runSteps(plan.script, [
        "migrate",
        "--yes",
        "--mountpoint",
        mountpoint,
      ]);
      expect(again.status).toBe(2);
      expect(again.stderr).toContain("is already a mount point (of none)");
      expect(again.stderr).toContain("run phase bootloader");
    });

    it("phase bootloader finds everything mounted and stops at nixos-enter", () => {
      const r = runSteps(plan.script, [
        "bootloader",
        "--yes",
        "--mountpoint",
        mountpoint,
      ]);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stdout).toMatch(/Skipped: .* is mounted \(none, tmpfs\)/);
      expect(r.stdout).toMatch(/Skipped: .*\/nix is mounted/);
      expect(r.stdout).toMatch(/Skipped: .*\/boot is mounted/);
      expect(r.stdout).toContain(
        "==> [3/6] Check the new layout and the system phase prepare built",
      );
      expect(r.stderr).toMatch(
        /needs nixos-enter, which this machine does not have/,
      );
    });

    it("phase bootloader with --target mounts nothing and checks the layout there", () => {
      const r = runSteps(plan.script, [
        "bootloader",
        "--yes",
        "--target",
        mountpoint,
      ]);
      expect(r.status).toBe(3);
      expect(r.stdout).toMatch(
        /Skipped: --target was given: it is already mounted there/,
      );
    });
  },
);
