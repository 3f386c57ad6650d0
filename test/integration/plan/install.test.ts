// Phase install on a loop-device disk image, for real, up to the first step
// that needs NixOS tools (nixos-generate-config, which this machine lacks,
// and the product never imitates; install-to-end.test.ts runs it to its end
// through the test stand-ins): the partitions, labels, filesystems and
// mounts must be as designed. This
// kernel cannot mount vfat, so the ESP is checked with blkid and
// `fsck.vfat -n` only; it has no device-mapper either, so the encrypted
// variant is checked up to the LUKS2 header (luksFormat with the passphrase
// on stdin) and the `cryptsetup open` step must then fail clearly.
// Loop devices and mounts are undone in afterAll, also after a failure.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import {
  FILESYSTEM_LABELS,
  LUKS_HEADER_LABEL,
  PARTITION_LABELS,
} from "../../../shared/plan/labels";
import { diskGuid } from "../../../shared/plan/install";
import { encodeMarker } from "../../../shared/plan/markers";
import { installDesign } from "../../support/designs";
import { imageDigest } from "../../support/image-digest";
import { LoopDisks, type LoopDisk } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import { runSteps, writePlan, type WrittenPlan } from "../../support/steps";

const IMAGE_MIB = 9 * 1024;

function blkid(device: string, tag: string): string {
  const r = spawnSync("blkid", ["-p", "-o", "value", "-s", tag, device], {
    encoding: "utf8",
  });
  return r.stdout.trim();
}

function findmnt(target: string, column: string): string {
  const r = spawnSync("findmnt", ["-n", "-o", column, "--mountpoint", target], {
    encoding: "utf8",
  });
  return r.stdout.trim();
}

/** Unmounts everything below `target` (the script's mounts) and closes our LUKS mapping. */
function undoInstall(target: string): void {
  if (existsSync(target))
    spawnSync("umount", ["-R", target], { stdio: "ignore" });
}

function design(device: string, overrides: Partial<Design["disk"]> = {}) {
  const base = installDesign();
  return {
    ...base,
    hostname: "steps-install",
    root: { size: "1G" },
    disk: {
      ...base.disk!,
      device,
      esp: { size: "256M" },
      swap: { size: "64M" },
      encrypt: false,
      ...overrides,
    },
  } satisfies Design;
}

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "bash"],
  "phase install on a loop-device disk",
  () => {
    const disks = new LoopDisks("steps-install");
    const targets: string[] = [];
    let disk: LoopDisk;
    let plan: WrittenPlan;
    let target: string;
    let first: ReturnType<typeof runSteps>;

    beforeAll(() => {
      disk = disks.create("steps-disk", IMAGE_MIB);
      plan = writePlan(design(disk.path), join(disks.dir, "plan"));
      target = join(disks.dir, "mnt");
      targets.push(target);
      first = runSteps(plan.script, [
        "install",
        "--yes",
        "--force",
        "--target",
        target,
      ]);
    });

    afterAll(() => {
      for (const t of targets) undoInstall(t);
      disks.cleanup();
    });

    it("runs until the first step that needs NixOS tools, and stops there naming the step and the tool", () => {
      expect(first.status, first.stderr).toBe(3);
      expect(first.stdout).toContain(
        "Note: this machine has no nixos-generate-config",
      );
      expect(first.stderr).toMatch(
        /Missing tool: Step \d+ "Detect the hardware \(nixos-generate-config\)" needs nixos-generate-config, which this machine does not have/,
      );
      expect(first.stderr).toMatch(
        /Warning: this machine did not boot in UEFI mode .* going on because of --force/,
      );
      expect(first.stdout).toContain(
        encodeMarker({
          kind: "step-end",
          step: "hardware-config",
          result: "failed",
        }),
      );
      for (const step of [
        "check-disk",
        "partition",
        "format-boot",
        "format-swap",
        "format-nix",
        "mount-root",
        "mount-nix",
        "seed",
      ])
        expect(first.stdout, step).toContain(
          encodeMarker({ kind: "step-end", step, result: "done" }),
        );
    });

    it("partitions with this plan's disk GUID and the designed partition names", () => {
      const table = execFileSync("sgdisk", ["-p", disk.path], {
        encoding: "utf8",
      });
      expect(table).toContain(
        `Disk identifier (GUID): ${diskGuid(plan.plan.planId)}`,
      );
      expect(blkid(disk.part(1), "PART_ENTRY_NAME")).toBe(
        PARTITION_LABELS.boot,
      );
      expect(blkid(disk.part(1), "PART_ENTRY_TYPE")).toBe(
        "c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
      );
      expect(blkid(disk.part(2), "PART_ENTRY_NAME")).toBe(
        PARTITION_LABELS.swap,
      );
      expect(blkid(disk.part(3), "PART_ENTRY_NAME")).toBe(PARTITION_LABELS.nix);
      // 256 MiB ESP, 64 MiB swap, the rest for /nix.
      expect(Number(blkid(disk.part(1), "PART_ENTRY_SIZE")) * 512).toBe(
        256 * 1024 ** 2,
      );
      expect(Number(blkid(disk.part(2), "PART_ENTRY_SIZE")) * 512).toBe(
        64 * 1024 ** 2,
      );
      expect(
        Number(blkid(disk.part(3), "PART_ENTRY_SIZE")) * 512,
      ).toBeGreaterThan(8 * 1024 ** 3);
    });

    it("makes the filesystems with their labels (the ESP checked with blkid and fsck.vfat -n: vfat cannot be mounted here)", () => {
      expect(blkid(disk.part(1), "TYPE")).toBe("vfat");
      expect(blkid(disk.part(1), "LABEL")).toBe(FILESYSTEM_LABELS.boot);
      expect(blkid(disk.part(1), "VERSION")).toBe("FAT32");
      const fsck = spawnSync("fsck.vfat", ["-n", disk.part(1)], {
        encoding: "utf8",
      });
      expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
      expect(blkid(disk.part(2), "TYPE")).toBe("swap");
      expect(blkid(disk.part(2), "LABEL")).toBe(FILESYSTEM_LABELS.swap);
      expect(blkid(disk.part(3), "TYPE")).toBe("btrfs");
      expect(blkid(disk.part(3), "LABEL")).toBe(FILESYSTEM_LABELS.nix);
    });

    it("mounts a tmpfs (mode 755, the designed size) at the target and /nix with the designed options", () => {
      expect(findmnt(target, "FSTYPE")).toBe("tmpfs");
      const rootOptions = findmnt(target, "OPTIONS");
      expect(rootOptions).toMatch(/(^|,)mode=755(,|$)/);
      expect(rootOptions).toMatch(/(^|,)size=1048576k(,|$)/);
      const nix = join(target, "nix");
      expect(findmnt(nix, "SOURCE")).toBe(disk.part(3));
      expect(findmnt(nix, "FSTYPE")).toBe("btrfs");
      expect(findmnt(nix, "OPTIONS")).toMatch(/compress-force=zstd/);
      expect(findmnt(nix, "OPTIONS")).toMatch(/noatime/);
      // /boot is mounted last, right before nixos-install (which never ran).
      expect(findmnt(join(target, "boot"), "SOURCE")).toBe("");
    });

    it("seeds persistent storage with the generated flake and the root-owned persisted folders", () => {
      const config = join(target, "nix/persistent/etc/nixos");
      expect(readFileSync(join(config, "flake.nix"), "utf8")).toBe(
        plan.files["flake.nix"],
      );
      for (const f of Object.keys(plan.files).filter((p) =>
        p.startsWith("nixos/"),
      ))
        expect(readFileSync(join(config, f), "utf8"), f).toBe(plan.files[f]);
      expect(existsSync(join(target, "nix/persistent/var/log"))).toBe(true);
      expect(existsSync(join(target, "nix/persistent/var/lib/nixos"))).toBe(
        true,
      );
      // Owned by a user or group: impermanence creates it at first boot.
      expect(existsSync(join(target, "nix/persistent/var/lib/colord"))).toBe(
        false,
      );
      const journal = readFileSync(join(target, "nix/.tabula/journal"), "utf8");
      expect(journal).toMatch(/\tinstall\tpartition\tdone\t/);
      expect(journal).toMatch(/\tinstall\thardware-config\tfailed\tstatus 3/);
    });

    it("resumes: a second run skips what is done (no repartitioning or reformatting) and stops at the same step", () => {
      const uuid = blkid(disk.part(3), "UUID");
      const again = runSteps(plan.script, [
        "install",
        "--yes",
        "--force",
        "--target",
        target,
      ]);
      expect(again.status, again.stderr).toBe(3);
      expect(again.stdout).toMatch(
        /Skipped: .* already has the partitions of this plan/,
      );
      expect(again.stdout).toMatch(/Skipped: .* already holds btrfs labelled/);
      expect(again.stdout).toMatch(/Skipped: .* is mounted \(none, tmpfs\)/);
      expect(again.stdout).not.toContain("$ sgdisk --zap-all");
      expect(blkid(disk.part(3), "UUID")).toBe(uuid);
    });

    it("run again, never overwrites the seeded configuration you edited: asks, and keeps your version as FILE.~1~", () => {
      const config = join(target, "nix/persistent/etc/nixos");
      const edited = `${plan.files["flake.nix"]}# my fix\n`;
      writeFileSync(join(config, "flake.nix"), edited);
      const declined = runSteps(
        plan.script,
        ["install", "--force", "--target", target],
        { input: "no\n" },
      );
      expect(declined.status, declined.stderr).toBe(4);
      expect(declined.stdout).toContain("-# my fix");
      expect(readFileSync(join(config, "flake.nix"), "utf8")).toBe(edited);

      const agreed = runSteps(plan.script, [
        "install",
        "--yes",
        "--force",
        "--target",
        target,
      ]);
      expect(agreed.status, agreed.stderr).toBe(3);
      expect(readFileSync(join(config, "flake.nix"), "utf8")).toBe(
        plan.files["flake.nix"],
      );
      expect(readFileSync(join(config, "flake.nix.~1~"), "utf8")).toBe(edited);
    });

    it("refuses a disk that is mounted elsewhere, with nothing changed", () => {
      const other = disks.create("steps-busy", IMAGE_MIB);
      execFileSync("sgdisk", ["-n1:0:+64M", "-t1:8300", other.path]);
      execFileSync("partx", ["-u", other.path]);
      execFileSync("mkfs.ext4", ["-q", other.part(1)]);
      // Read-only: a read-write ext4 keeps writing (lazy inode tables).
      const where = disks.mount(other.part(1), ["-o", "ro"]);
      const p = writePlan(design(other.path), join(disks.dir, "plan-busy"));
      const before = imageDigest(other.image);
      const r = runSteps(p.script, [
        "install",
        "--yes",
        "--force",
        "--target",
        join(disks.dir, "mnt-busy"),
      ]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        `${other.part(1)} (on ${other.path}) is mounted at ${where}. Unmount it`,
      );
      expect(r.stderr).toContain("Nothing was changed by the refused step.");
      expect(imageDigest(other.image)).toBe(before);
      disks.umount(where);
    });

    it("refuses a missing device and a disk too small, with nothing changed", () => {
      const missing = writePlan(
        design("/dev/steps-no-such-disk"),
        join(disks.dir, "plan-missing"),
      );
      const r = runSteps(missing.script, ["install", "--yes", "--force"]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        "/dev/steps-no-such-disk does not exist or is not a block device. Check disk.device",
      );
      const small = disks.create("steps-small", 1024);
      const p = writePlan(design(small.path), join(disks.dir, "plan-small"));
      const before = imageDigest(small.image);
      const s = runSteps(p.script, [
        "install",
        "--yes",
        "--force",
        "--target",
        join(disks.dir, "mnt-small"),
      ]);
      expect(s.status).toBe(2);
      expect(s.stderr).toMatch(
        /holds 1024 MiB, but this design needs at least \d+ MiB/,
      );
      expect(imageDigest(small.image)).toBe(before);
      expect(existsSync(join(disks.dir, "mnt-small"))).toBe(false);
    });

    it("refuses the disk the LiveCD booted from, with nothing changed", () => {
      const stick = disks.create("steps-livecd", IMAGE_MIB, [
        "-n1:0:+64M",
        "-t1:8300",
      ]);
      execFileSync("mkfs.ext4", ["-q", stick.part(1)]);
      const p = writePlan(design(stick.path), join(disks.dir, "plan-livecd"));
      const before = imageDigest(stick.image);
      // A private mount namespace with its own /run, where the "LiveCD" is
      // mounted the way NixOS's stage 1 mounts it: nothing outside sees it.
      const r = spawnSync(
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "sh",
          "-c",
          'mount -t tmpfs steps-run /run && mkdir /run/rootfsbase && mount -o ro "$1" /run/rootfsbase && bash "$2" install --yes --force --target "$3"',
          "sh",
          stick.part(1),
          p.script,
          join(disks.dir, "mnt-livecd"),
        ],
        { encoding: "utf8" },
      );
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `${stick.path} holds the LiveCD you booted from (mounted at /run/rootfsbase). Choose another disk.`,
      );
      expect(imageDigest(stick.image)).toBe(before);
    });

    it("refuses systemd-boot without UEFI firmware unless --force", () => {
      if (existsSync("/sys/firmware/efi")) return; // a UEFI machine: nothing to refuse
      const fresh = disks.create("steps-uefi", IMAGE_MIB);
      const p = writePlan(design(fresh.path), join(disks.dir, "plan-uefi"));
      const r = runSteps(p.script, ["install", "--yes"]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        "did not boot in UEFI mode (/sys/firmware/efi is missing) and the design uses systemd-boot",
      );
    });

    it("--dry-run prints every command and changes nothing (image checksum, target untouched)", () => {
      const fresh = disks.create("steps-dry", IMAGE_MIB);
      const p = writePlan(
        design(fresh.path, { encrypt: true }),
        join(disks.dir, "plan-dry"),
      );
      const dryTarget = join(disks.dir, "mnt-dry");
      const before = imageDigest(fresh.image);
      const r = runSteps(p.script, [
        "install",
        "--dry-run",
        "--target",
        dryTarget,
      ]);
      expect(r.status, r.stderr).toBe(0);
      for (const step of p.plan.phases[0]!.steps)
        for (const command of step.commands)
          expect(r.stdout, step.id).toContain(`$ ${command}`);
      expect(r.stdout).toContain("Dry run finished; nothing was changed.");
      expect(imageDigest(fresh.image)).toBe(before);
      expect(existsSync(dryTarget)).toBe(false);
      expect(readdirSync(disks.dir)).not.toContain("mnt-dry");
    });

    it("encrypts with LUKS2 (the passphrase typed on stdin); opening needs device-mapper", () => {
      const luksDisk = disks.create("steps-luks", IMAGE_MIB);
      const p = writePlan(
        design(luksDisk.path, { encrypt: true }),
        join(disks.dir, "plan-luks"),
      );
      const luksTarget = join(disks.dir, "mnt-luks");
      targets.push(luksTarget);
      mkdirSync(luksTarget);
      const r = runSteps(
        p.script,
        ["install", "--yes", "--force", "--target", luksTarget],
        { input: "steps passphrase\nsteps passphrase\n" },
      );
      const container = luksDisk.part(3);
      expect(blkid(container, "TYPE")).toBe("crypto_LUKS");
      expect(blkid(container, "VERSION")).toBe("2");
      expect(blkid(container, "LABEL")).toBe(LUKS_HEADER_LABEL);
      expect(blkid(container, "PART_ENTRY_TYPE")).toBe(
        "ca7d7ccb-63ed-4c53-861c-1742536059cc",
      );
      // The passphrase from stdin opens the header.
      const test = spawnSync(
        "cryptsetup",
        ["open", "--test-passphrase", container],
        { input: "steps passphrase\n" },
      );
      expect(test.status).toBe(0);
      if (existsSync("/dev/mapper/control") && dmWorks()) {
        expect(r.status, r.stderr).toBe(3);
        spawnSync("umount", ["-R", luksTarget]);
        spawnSync("cryptsetup", ["close", "tabula-nix"]);
      } else {
        // No device-mapper in this kernel: the open step fails and says so.
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(
          /Step \d+ "Open the encrypted partition as \/dev\/mapper\/tabula-nix" failed: this command exited with status \d+:\n\s+\$ cryptsetup open/,
        );
        expect(r.stdout).toContain(
          encodeMarker({
            kind: "step-end",
            step: "open-luks",
            result: "failed",
          }),
        );
      }
    });
  },
);

/** Can this kernel create device-mapper devices at all? */
function dmWorks(): boolean {
  return (
    spawnSync("dmsetup", ["version"], { stdio: "ignore" }).status === 0 &&
    existsSync("/sys/module/dm_mod")
  );
}
