// The probe on real loop-device disks: real lsblk, blkid and findmnt, real
// filesystems, a real private read-only mount to look inside unmounted ones,
// and a stand-in LiveCD boot medium mounted where /iso would be.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { probeMachine } from "../../../../electron/backend/probe";
import { LoopDisks, sh, type LoopDisk } from "../../../support/loop-disks";
import { describeWith } from "../../../support/needs";

const fixtures = new URL("../../../fixtures/machine/", import.meta.url)
  .pathname;

/** Mounts a fresh filesystem, writes into it, unmounts it again. */
function seed(device: string, files: (top: string) => void) {
  const top = disks.mount(device);
  try {
    files(top);
  } finally {
    disks.umount(top);
  }
}

let disks: LoopDisks;
let target: LoopDisk;
let medium: LoopDisk;
let isoMount: string;

describeWith(["root", "loop", "mkfs", "sgdisk"], "probe on loop disks", () => {
  beforeAll(() => {
    disks = new LoopDisks("machine-probe");
    // The disk a user would install to or convert: ESP, swap, an
    // unconverted NixOS root (btrfs, with a second one in subvolume @), a
    // converted /nix partition mid-migration (ext4) and an empty xfs.
    target = disks.create("machine-target", 700, [
      "-n1:0:+32M",
      "-t1:ef00",
      "-c1:ESP",
      "-n2:0:+16M",
      "-t2:8200",
      "-c2:swap",
      "-n3:0:+120M",
      "-c3:nixos",
      "-n4:0:+64M",
      "-c4:nix",
      "-n5:0:0",
      "-c5:empty",
    ]);
    sh("mkfs.vfat", ["-n", "BOOT", target.part(1)]);
    sh("mkfs.btrfs", ["-q", "-L", "nixos", target.part(3)]);
    sh("mkfs.ext4", ["-q", "-L", "nix", target.part(4)]);
    sh("mkfs.xfs", ["-q", "-L", "empty", target.part(5)]);
    seed(target.part(3), (top) => {
      mkdirSync(join(top, "nix", "store"), { recursive: true });
      mkdirSync(join(top, "etc"), { recursive: true });
      writeFileSync(join(top, "etc", "NIXOS"), "");
      sh("btrfs", ["subvolume", "create", join(top, "@")]);
      mkdirSync(join(top, "@", "nix", "store"), { recursive: true });
    });
    seed(target.part(4), (top) => {
      for (const d of ["persistent", "store", "old-root", ".tabula"])
        mkdirSync(join(top, d));
      writeFileSync(join(top, ".tabula", "migration.json"), "{}");
    });

    // The stand-in for the LiveCD's medium: labelled like a NixOS ISO,
    // mounted read-only where the probe is told /iso is. It even looks
    // like a NixOS root, so looking inside it would show.
    medium = disks.create("machine-medium", 120, ["-n1:0:0", "-c1:iso"]);
    sh("mkfs.btrfs", [
      "-q",
      "-L",
      "nixos-minimal-25.05-x86_64",
      medium.part(1),
    ]);
    seed(medium.part(1), (top) =>
      mkdirSync(join(top, "nix", "store"), { recursive: true }),
    );
    isoMount = disks.mount(medium.part(1), ["-o", "ro"]);
  });

  afterAll(() => disks?.cleanup());

  const liveCd = () => ({
    disks: [target.path, medium.path],
    isoMountPoint: isoMount,
    inspectUnmounted: true,
    files: { osRelease: join(fixtures, "os-release-nixos-installer.txt") },
  });

  it("lists the disks with what blkid knows, and never offers the boot medium", async () => {
    const facts = await probeMachine(liveCd());
    expect(facts.machine).toBe("real");
    expect(facts.os.kind).toBe("nixos-livecd");
    expect(facts.disks.map((d) => d.path)).toEqual([target.path, medium.path]);
    const [disk, iso] = facts.disks;
    expect(disk!.sizeBytes).toBe(700 * 1024 * 1024);
    expect(
      disk!.partitions.map((p) => [p.path, p.fsType, p.label, p.partLabel]),
    ).toEqual([
      [target.part(1), "vfat", "BOOT", "ESP"],
      [target.part(2), null, null, "swap"],
      [target.part(3), "btrfs", "nixos", "nixos"],
      [target.part(4), "ext4", "nix", "nix"],
      [target.part(5), "xfs", "empty", "empty"],
    ]);
    expect(disk).toMatchObject({
      isBootMedium: false,
      inUse: false,
      unavailableReason: null,
    });
    expect(iso).toMatchObject({ isBootMedium: true, inUse: true });
    expect(iso!.unavailableReason).toMatch(/boot medium/);
    expect(facts.warnings).toEqual([]);
  });

  it("finds NixOS installs inside unmounted filesystems, and leaves no mount behind", async () => {
    const before = readFileSync("/proc/self/mountinfo", "utf8");
    const lookDirs = () =>
      readdirSync(tmpdir()).filter((n) => n.startsWith("tabula-look-"));
    const dirsBefore = lookDirs();
    const facts = await probeMachine(liveCd());
    const installs = facts.installs
      .map((i) => ({ ...i }))
      .sort((a, b) =>
        (a.device + (a.subvolume ?? "")).localeCompare(
          b.device + (b.subvolume ?? ""),
        ),
      );
    expect(installs).toEqual([
      {
        device: target.part(3),
        fsType: "btrfs",
        migrationPending: false,
        hasOldRoot: false,
        converted: false,
      },
      {
        device: target.part(3),
        fsType: "btrfs",
        migrationPending: false,
        hasOldRoot: false,
        converted: false,
        subvolume: "/@",
      },
      {
        device: target.part(4),
        fsType: "ext4",
        migrationPending: true,
        hasOldRoot: true,
        converted: true,
      },
    ]);
    // Nothing of the boot medium, though it holds nix/store too.
    expect(facts.installs.some((i) => i.device === medium.part(1))).toBe(false);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).toBe(before);
    expect(lookDirs()).toEqual(dirsBefore);
  });

  it("looks inside nothing unmounted unless asked", async () => {
    const facts = await probeMachine({ ...liveCd(), inspectUnmounted: false });
    expect(facts.installs).toEqual([]);
  });

  it("looks at a mounted filesystem where it is mounted, and says the disk is in use", async () => {
    const mounted = disks.mount(target.part(4));
    try {
      const facts = await probeMachine({
        ...liveCd(),
        inspectUnmounted: false,
      });
      expect(facts.installs).toEqual([
        expect.objectContaining({
          device: target.part(4),
          converted: true,
          migrationPending: true,
        }),
      ]);
      expect(facts.disks[0]!.partitions[3]!.mountPoints).toEqual([mounted]);
      expect(facts.disks[0]!.unavailableReason).toBe(
        `This disk is in use: ${target.part(4)} is mounted at ${mounted}; unmount it first.`,
      );
      expect(facts.mounts).toContainEqual(
        expect.objectContaining({
          target: mounted,
          source: target.part(4),
          fsType: "ext4",
        }),
      );
    } finally {
      disks.umount(mounted);
    }
  });

  it("sees active swap", async () => {
    disks.swapon(target.part(2));
    const facts = await probeMachine(liveCd());
    expect(facts.disks[0]!.inUse).toBe(true);
    expect(facts.disks[0]!.unavailableReason).toBe(
      `This disk is in use: ${target.part(2)} is active swap; run "swapoff ${target.part(2)}" first.`,
    );
    sh("swapoff", [target.part(2)]);
  });

  it("outside the LiveCD it finds no boot medium and mounts nothing by default", async () => {
    const facts = await probeMachine({
      disks: [target.path, medium.path],
      isoMountPoint: isoMount,
      files: { osRelease: join(fixtures, "os-release-debian.txt") },
    });
    expect(facts.os.kind).toBe("other");
    expect(facts.disks.every((d) => !d.isBootMedium)).toBe(true);
    expect(facts.disks[1]!.unavailableReason).toBe(
      `This disk is in use: ${medium.part(1)} is mounted at ${isoMount}; unmount it first.`,
    );
    // Only the mounted filesystem is looked at; the unmounted ones are not.
    expect(facts.installs.map((i) => i.device)).toEqual([medium.part(1)]);
  });

  it("knows this machine's firmware, memory, root filesystem and tools", async () => {
    const facts = await probeMachine({ disks: [target.path] });
    const root = execFileSync("findmnt", ["-n", "-o", "SOURCE,FSTYPE", "/"], {
      encoding: "utf8",
    })
      .trim()
      .split(/\s+/);
    expect(facts.rootFs).toMatchObject({ device: root[0], fsType: root[1] });
    expect(facts.rootIsTmpfs).toBe(root[1] === "tmpfs");
    expect(facts.memoryBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(facts.tools.sgdisk).toBe(true);
    expect(facts.tools["nixos-install"]).toBe(false);
  });
});
