// The probe on real loop-device disks: real lsblk, blkid and findmnt, real
// filesystems, a real private read-only mount to look inside unmounted ones,
// a stand-in LiveCD boot medium mounted where /iso would be, and running
// NixOS layouts mounted in a private mount namespace.
import { execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  probeMachine,
  readBlockLayout,
  type ProbeFiles,
} from "../../../../electron/backend/probe";
import {
  detectLayout,
  deviceChain,
} from "../../../../electron/backend/probe-layout";
import { newDesign } from "../../../../renderer/src/model/new-design";
import { baseEntries } from "../../../../renderer/src/model/presets";
import type { Design } from "../../../../shared/design/types";
import { validateDesign } from "../../../../shared/design/validate";
import type { MachineFacts } from "../../../../shared/machine/types";
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

// ---------------------------------------------------------------------------
// The layout of a running NixOS, on loop devices. The probe reads the mounts
// of a process that runs in a private mount namespace (findmnt --task) where
// the loop filesystems are mounted on top of "/" as a NixOS would mount them;
// nothing outside that namespace sees them, and they go with its process.
// This machine cannot mount vfat: an ext4 partition stands in for the ESP.

/** A process in a private mount namespace where MOUNTS (the first at "/") are the running system. */
interface PretendSystem {
  pid: number;
  /** Where the same filesystems are seen through /proc/PID/root: the system's files. */
  systemRoot: string;
  stop(): Promise<void>;
}

async function pretendRunning(
  dir: string,
  mounts: { device: string; at: string; options?: string }[],
): Promise<PretendSystem> {
  const top = mkdtempSync(join(dir, "system-"));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    "set -e",
    ...mounts.map(
      (m) =>
        `mount ${m.options ? `-o ${q(m.options)} ` : ""}${q(m.device)} ${q(top + (m.at === "/" ? "" : m.at))}`,
    ),
    `mount --rbind ${q(top)} /`,
    "echo ready",
    "exec sleep 600",
  ].join("\n");
  const child = spawn(
    "unshare",
    ["--mount", "--propagation", "private", "sh", "-c", script],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) =>
    child.on("exit", () => resolve()),
  );
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve();
    });
    child.on("exit", (code) =>
      reject(new Error(`the pretend system did not start (${code}): ${err}`)),
    );
  });
  return {
    pid: child.pid!,
    systemRoot: `/proc/${child.pid!}/root${top}`,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const uuidOf = (device: string) =>
  sh("blkid", ["-c", "/dev/null", "-s", "UUID", "-o", "value", device]).trim();
const byUuid = (device: string) => `/dev/disk/by-uuid/${uuidOf(device)}`;

/** The convert design the app starts from on these facts (the configuration, read from a folder of the test's, is /etc/nixos there). */
function designFor(facts: MachineFacts): Design {
  return newDesign(
    "convert",
    { ...facts, nixosConfig: { ...facts.nixosConfig!, dir: "/etc/nixos" } },
    baseEntries(),
  );
}

const FSTAB_HEADER = `# This is a generated file.  Do not edit!
#
# To make changes, edit the fileSystems and swapDevices NixOS options
# in your /etc/nixos/configuration.nix file.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>

# Filesystems.
`;

describeWith(
  ["root", "loop", "mkfs", "sgdisk"],
  "the layout of a running NixOS, on loop disks",
  () => {
    let layoutDisks: LoopDisks;
    let btrfsDisk: LoopDisk;
    let plainDisk: LoopDisk;
    let etc: string;

    beforeAll(() => {
      layoutDisks = new LoopDisks("machine-layout");
      etc = mkdtempSync(join(layoutDisks.dir, "etc-"));
      mkdirSync(join(etc, "nixos"));
      writeFileSync(join(etc, "nixos", "flake.nix"), "{ outputs = _: { }; }\n");
      writeFileSync(join(etc, "hostname"), "tern\n");
      mkdirSync(join(etc, "efi"));

      // An ESP stand-in with systemd-boot's entries, and btrfs subvolumes
      // @ (/), @nix, @home and @log as a NixOS install made them.
      btrfsDisk = layoutDisks.create("layout-btrfs", 300, [
        "-n1:0:+32M",
        "-t1:ef00",
        "-c1:ESP",
        "-n2:0:0",
        "-c2:nixos",
      ]);
      sh("mkfs.ext4", ["-q", "-L", "ESP", btrfsDisk.part(1)]);
      sh("mkfs.btrfs", ["-q", "-L", "nixos", btrfsDisk.part(2)]);
      seedOn(layoutDisks, btrfsDisk.part(1), (top) => {
        mkdirSync(join(top, "loader", "entries"), { recursive: true });
        writeFileSync(
          join(top, "loader", "entries", "nixos-generation-1.conf"),
          "title NixOS\n",
        );
      });
      seedOn(layoutDisks, btrfsDisk.part(2), (top) => {
        for (const v of ["@", "@nix", "@home", "@log"])
          sh("btrfs", ["subvolume", "create", join(top, v)]);
        for (const d of ["nix", "home", "boot", "var/log", "etc"])
          mkdirSync(join(top, "@", d), { recursive: true });
        mkdirSync(join(top, "@nix", "store"));
      });

      // xfs root with GRUB's folder on it, /home of its own, a swap
      // partition, and an ESP stand-in for GRUB on EFI.
      plainDisk = layoutDisks.create("layout-plain", 440, [
        "-n1:0:+320M",
        "-c1:root",
        "-n2:0:+48M",
        "-c2:home",
        "-n3:0:+16M",
        "-t3:8200",
        "-c3:swap",
        "-n4:0:0",
        "-t4:ef00",
        "-c4:ESP",
      ]);
      sh("mkfs.xfs", ["-q", "-L", "root", plainDisk.part(1)]);
      sh("mkfs.ext4", ["-q", "-L", "home", plainDisk.part(2)]);
      sh("mkswap", ["-L", "swap", plainDisk.part(3)]);
      sh("mkfs.ext4", ["-q", "-L", "ESP", plainDisk.part(4)]);
      const grubOn = (top: string) => {
        mkdirSync(join(top, "boot", "grub"), { recursive: true });
        writeFileSync(join(top, "boot", "grub", "grub.cfg"), "# GRUB\n");
      };
      seedOn(layoutDisks, plainDisk.part(1), (top) => {
        mkdirSync(join(top, "home"));
        grubOn(top);
      });
      // The same ext4 is /home in one system and the root of another.
      seedOn(layoutDisks, plainDisk.part(2), (top) => {
        grubOn(top);
        mkdirSync(join(top, "boot", "efi"));
      });
      seedOn(layoutDisks, plainDisk.part(4), (top) =>
        mkdirSync(join(top, "EFI", "BOOT"), { recursive: true }),
      );
    });

    afterAll(() => layoutDisks?.cleanup());

    function write(name: string, text: string): string {
      const file = join(etc, name);
      writeFileSync(file, text);
      return file;
    }

    async function probeIn(
      system: PretendSystem,
      disk: LoopDisk,
      files: Partial<ProbeFiles>,
    ) {
      return probeMachine({
        disks: [disk.path],
        mountsOfTask: system.pid,
        inspectUnmounted: false,
        files: {
          osRelease: join(fixtures, "os-release-nixos.txt"),
          nixosConfigDir: join(etc, "nixos"),
          hostname: join(etc, "hostname"),
          efiDir: join(etc, "efi"),
          swaps: write("no-swaps", "Filename\tType\tSize\tUsed\tPriority\n"),
          systemRoot: system.systemRoot,
          ...files,
        },
      });
    }

    it("btrfs subvolumes: /nix of its own, /home and /var/log kept, a swap file, systemd-boot", async () => {
      const [esp, btrfs] = [btrfsDisk.part(1), btrfsDisk.part(2)];
      const system = await pretendRunning(layoutDisks.dir, [
        { device: btrfs, at: "/", options: "subvol=@" },
        { device: btrfs, at: "/nix", options: "subvol=@nix,noatime" },
        { device: btrfs, at: "/home", options: "subvol=@home" },
        { device: btrfs, at: "/var/log", options: "subvol=@log" },
        { device: esp, at: "/boot" },
      ]);
      try {
        const fstab = write(
          "fstab-btrfs",
          FSTAB_HEADER +
            [
              `${byUuid(btrfs)} / btrfs x-initrd.mount,subvol=@ 0 0`,
              `${byUuid(esp)} /boot ext4 defaults 0 2`,
              `${byUuid(btrfs)} /home btrfs subvol=@home 0 0`,
              `${byUuid(btrfs)} /nix btrfs x-initrd.mount,subvol=@nix,noatime 0 0`,
              `${byUuid(btrfs)} /var/log btrfs x-initrd.mount,subvol=@log 0 0`,
              "",
              "",
              "# Swap devices.",
              "/swapfile none swap defaults",
              "",
            ].join("\n"),
        );
        const facts = await probeIn(system, btrfsDisk, { fstab });
        expect(facts.warnings).toEqual([]);
        expect(facts.rootFs).toMatchObject({
          device: btrfs,
          fsType: "btrfs",
          uuid: uuidOf(btrfs),
        });
        expect(facts.rootFs!.options).toContain("subvol=/@");
        expect(facts.bootFs).toMatchObject({
          device: esp,
          mountPoint: "/boot",
        });
        expect(facts.layout).toEqual({
          root: {
            device: byUuid(btrfs),
            fsType: "btrfs",
            options: ["subvol=@"],
          },
          bootMountPoint: "/boot",
          bootloader: "systemd-boot",
          bootloaderFrom: "/boot/loader/entries",
          luks: null,
          lvm: null,
          nix: {
            device: byUuid(btrfs),
            fsType: "btrfs",
            options: ["subvol=@nix", "noatime"],
          },
          keptMounts: ["/home", "/var/log"],
          swapFiles: ["/swapfile"],
          swapDevices: [],
        });
        const design = designFor(facts);
        expect(
          validateDesign(design).problems.filter((p) => p.severity === "error"),
        ).toEqual([]);
        expect(design.persistence.directories).not.toContain("/var/log");

        // Without its fstab the probe still sees the subvolumes, by the
        // kernel's names, and keeps nothing else it cannot tell is declared.
        const guessed = await probeIn(system, btrfsDisk, {
          fstab: write("fstab-empty", ""),
        });
        expect(guessed.layout).toMatchObject({
          root: { device: byUuid(btrfs), options: ["subvol=/@"] },
          nix: { device: byUuid(btrfs), options: ["subvol=/@nix"] },
          keptMounts: [],
          swapFiles: [],
        });
      } finally {
        await system.stop();
      }
    });

    it("xfs root, /home on its own partition, a swap partition and a swap file, GRUB on BIOS", async () => {
      const [root, home, swap] = [1, 2, 3].map((n) => plainDisk.part(n));
      const system = await pretendRunning(layoutDisks.dir, [
        { device: root!, at: "/" },
        { device: home!, at: "/home", options: "nosuid,nodev" },
      ]);
      try {
        const facts = await probeIn(system, plainDisk, {
          efiDir: join(etc, "no-efi"),
          fstab: write(
            "fstab-xfs",
            FSTAB_HEADER +
              [
                `${byUuid(root!)} / xfs x-initrd.mount 0 1`,
                `${byUuid(home!)} /home ext4 nosuid,nodev 0 2`,
                "",
                "",
                "# Swap devices.",
                `${byUuid(swap!)} none swap defaults`,
                "",
              ].join("\n"),
          ),
          swaps: write(
            "swaps-file",
            "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swapfile                               file\t\t1048572\t\t0\t\t-2\n",
          ),
        });
        expect(facts.firmware).toBe("bios");
        expect(facts.bootFs).toBeNull();
        expect(facts.layout).toEqual({
          root: { device: byUuid(root!), fsType: "xfs", options: [] },
          bootMountPoint: null,
          bootloader: "grub",
          bootloaderFrom: "/boot/grub/grub.cfg",
          luks: null,
          lvm: null,
          nix: null,
          keptMounts: ["/home"],
          swapFiles: ["/swapfile"],
          swapDevices: [byUuid(swap!)],
        });
        const design = designFor(facts);
        expect(design.convert).toMatchObject({
          bootloader: "grub",
          keptMounts: ["/home"],
          swapFiles: ["/swapfile"],
          swapDevices: [byUuid(swap!)],
        });
        expect(design.convert?.boot).toBeUndefined();
        expect(
          validateDesign(design).problems.filter((p) => p.severity === "error"),
        ).toEqual([]);
      } finally {
        await system.stop();
      }
    });

    it("the ESP at /boot/efi and GRUB's folder on the root, on UEFI", async () => {
      const [root, esp] = [plainDisk.part(2), plainDisk.part(4)];
      const system = await pretendRunning(layoutDisks.dir, [
        { device: root, at: "/" },
        { device: esp, at: "/boot/efi" },
      ]);
      try {
        const facts = await probeIn(system, plainDisk, {
          fstab: write(
            "fstab-efi",
            FSTAB_HEADER +
              `${byUuid(root)} / ext4 x-initrd.mount 0 1\n${byUuid(esp)} /boot/efi ext4 defaults 0 2\n`,
          ),
        });
        expect(facts.firmware).toBe("uefi");
        expect(facts.layout).toMatchObject({
          root: { device: byUuid(root), fsType: "ext4", options: [] },
          bootMountPoint: "/boot/efi",
          bootloader: "grub",
          bootloaderFrom: "/boot/grub/grub.cfg",
          keptMounts: [],
        });
        const design = designFor(facts);
        expect(design.convert?.boot).toMatchObject({
          device: byUuid(esp),
          mountPoint: "/boot/efi",
        });
        expect(
          validateDesign(design).problems.filter((p) => p.severity === "error"),
        ).toEqual([]);
      } finally {
        await system.stop();
      }
    });

    it("leaves no mount behind in Tabula's own namespace", async () => {
      const before = readFileSync("/proc/self/mountinfo", "utf8");
      const system = await pretendRunning(layoutDisks.dir, [
        { device: plainDisk.part(1), at: "/" },
      ]);
      await system.stop();
      expect(readFileSync("/proc/self/mountinfo", "utf8")).toBe(before);
    });
  },
);

// LUKS needs device-mapper to be opened, which test machines may not have:
// the container and its UUID are real (blkid on a LUKS2 partition), the
// mapping above it is added to the device tree as lsblk shows an open one.
describeWith(
  ["root", "loop", "mkfs", "sgdisk", "cryptsetup"],
  "a root inside LUKS, on a loop disk",
  () => {
    let luksDisks: LoopDisks;
    let disk: LoopDisk;
    beforeAll(() => {
      luksDisks = new LoopDisks("machine-luks");
      disk = luksDisks.create("layout-luks", 48, ["-n1:0:0", "-c1:cryptroot"]);
      sh(
        "cryptsetup",
        [
          "luksFormat",
          "-q",
          "--type",
          "luks2",
          "--pbkdf",
          "pbkdf2",
          "--pbkdf-force-iterations",
          "1000",
          disk.part(1),
          "-",
        ],
        "machine-test-passphrase",
      );
    });
    afterAll(() => luksDisks?.cleanup());

    it("names the container by its LUKS UUID and the mapping by its name", async () => {
      const block = await readBlockLayout({ disks: [disk.path] });
      const part = deviceChain(block.devices, disk.part(1))[0]!;
      expect(part.fsType).toBe("crypto_LUKS");
      const luksUuid = sh("cryptsetup", ["luksUUID", disk.part(1)]).trim();
      expect(part.uuid).toBe(luksUuid);
      part.children.push({
        ...part,
        name: "cryptroot",
        kname: "dm-0",
        path: "/dev/mapper/cryptroot",
        type: "crypt",
        fsType: "ext4",
        uuid: "d41e7a2b-9c8d-4f6e-b5a4-3c2d1e0f9a8b",
        children: [],
      });
      const layout = detectLayout({
        osKind: "nixos",
        devices: block.devices,
        mounts: [
          {
            target: "/",
            source: "/dev/mapper/cryptroot",
            fsType: "ext4",
            options: ["rw", "relatime"],
            fsRoot: "/",
            majMin: "254:0",
          },
        ],
        fstab: [],
        swaps: [],
        firmware: "uefi",
        existing: new Set(),
      });
      expect(layout?.luks).toEqual({
        device: `/dev/disk/by-uuid/${luksUuid}`,
        name: "cryptroot",
      });
      expect(layout?.root.device).toBe(
        "/dev/disk/by-uuid/d41e7a2b-9c8d-4f6e-b5a4-3c2d1e0f9a8b",
      );
    });
  },
);

/** Mounts a fresh filesystem, writes into it, unmounts it again. */
function seedOn(
  on: LoopDisks,
  device: string,
  files: (top: string) => void,
): void {
  const top = on.mount(device);
  try {
    files(top);
  } finally {
    on.umount(top);
  }
}
