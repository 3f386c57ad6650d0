// Which disks may be offered, and why not: built from the captured loop disks
// (an ESP, active swap and a mounted btrfs; ext4, LUKS and a mounted xfs; a
// btrfs labelled like a NixOS ISO mounted where /iso would be).
import { describe, expect, it } from "vitest";
import { findBootMedium } from "../../../../electron/backend/probe-boot-medium";
import { buildDisks } from "../../../../electron/backend/probe-disks";
import { parseFindmnt } from "../../../../electron/backend/probe-findmnt";
import {
  parseLsblk,
  walkDevices,
  type BlockDevice,
} from "../../../../electron/backend/probe-lsblk";
import {
  parseKernelCmdline,
  parseProcSwaps,
} from "../../../../electron/backend/probe-proc";
import {
  captureInfo,
  capturedDevices,
  capturedMounts,
  fixture,
} from "../../../support/machine-fixtures";

const info = captureInfo();
const swaps = parseProcSwaps(fixture("proc-swaps.txt"));

function unmount(devices: BlockDevice[], path: string): void {
  for (const d of walkDevices(devices)) {
    if (d.path === path) {
      d.mountPoints = [];
      d.fsRoots = [];
    }
  }
}

describe("disks", () => {
  it("lists each disk with its partitions, labels and where they are mounted", () => {
    const disks = buildDisks(capturedDevices(), {
      swaps,
      bootMedium: new Set(),
    });
    expect(disks.map((d) => d.path)).toEqual([
      info.disk1,
      info.disk2,
      info.disk3,
    ]);
    const [disk1] = disks;
    expect(disk1!.partitions).toEqual([
      expect.objectContaining({
        path: `${info.disk1}p1`,
        fsType: "vfat",
        label: "BOOT",
        partLabel: "ESP",
        mountPoints: [],
        sizeBytes: 64 * 1024 * 1024,
      }),
      expect.objectContaining({ path: `${info.disk1}p2`, fsType: "swap" }),
      expect.objectContaining({
        path: `${info.disk1}p3`,
        fsType: "btrfs",
        label: "nixos",
        mountPoints: [`${info.work}/root`],
      }),
    ]);
  });

  it("gives a mounted disk one reason that names the partition and the mount point", () => {
    const disks = buildDisks(capturedDevices(), {
      swaps,
      bootMedium: new Set(),
    });
    expect(disks[0]).toMatchObject({
      inUse: true,
      isBootMedium: false,
      unavailableReason: `This disk is in use: ${info.disk1}p3 is mounted at ${info.work}/root; unmount it first.`,
    });
    expect(disks[1]!.unavailableReason).toContain(`${info.disk2}p3 is mounted`);
  });

  it("says so when active swap is all that holds a disk", () => {
    const devices = capturedDevices();
    unmount(devices, `${info.disk1}p3`);
    const [disk1] = buildDisks(devices, { swaps, bootMedium: new Set() });
    expect(disk1!.inUse).toBe(true);
    expect(disk1!.unavailableReason).toBe(
      `This disk is in use: ${info.disk1}p2 is active swap; run "swapoff ${info.disk1}p2" first.`,
    );
  });

  it("finds swap from /proc/swaps alone when lsblk did not mark it", () => {
    const devices = capturedDevices();
    unmount(devices, `${info.disk1}p3`);
    for (const d of walkDevices(devices)) d.isSwap = false;
    const [withSwaps] = buildDisks(devices, { swaps, bootMedium: new Set() });
    const [without] = buildDisks(devices, { swaps: [], bootMedium: new Set() });
    expect(withSwaps!.inUse).toBe(true);
    expect(without!.inUse).toBe(false);
    expect(without!.unavailableReason).toBeNull();
  });

  it("offers a disk nothing holds", () => {
    const devices = capturedDevices();
    unmount(devices, `${info.disk2}p3`);
    const disk2 = buildDisks(devices, { swaps, bootMedium: new Set() })[1]!;
    expect(disk2).toMatchObject({ inUse: false, unavailableReason: null });
    expect(disk2.partitions.map((p) => p.fsType)).toEqual([
      "ext4",
      "crypto_LUKS",
      "xfs",
    ]);
  });

  it("names the running system when the disk holds / or /nix", () => {
    const devices = parseLsblk(
      JSON.stringify({
        blockdevices: [
          {
            name: "nvme0n1",
            path: "/dev/nvme0n1",
            type: "disk",
            size: 512110190592,
            model: "Micron_2500",
            mountpoints: [null],
            children: [
              {
                name: "nvme0n1p1",
                path: "/dev/nvme0n1p1",
                type: "part",
                size: 1,
                mountpoints: ["/boot"],
              },
              {
                name: "nvme0n1p2",
                path: "/dev/nvme0n1p2",
                type: "part",
                size: 2,
                mountpoints: ["/nix", "/nix/store"],
              },
            ],
          },
        ],
      }),
    );
    const [disk] = buildDisks(devices, { swaps: [], bootMedium: new Set() });
    expect(disk!.unavailableReason).toBe(
      "This disk holds the running system (/dev/nvme0n1p1 is mounted at /boot).",
    );
  });

  it("sees a partition held open by LUKS or LVM, and mounts through them", () => {
    // lsblk's shape for an opened LUKS container with LVM inside.
    const devices = parseLsblk(
      JSON.stringify({
        blockdevices: [
          {
            name: "sda",
            kname: "sda",
            path: "/dev/sda",
            type: "disk",
            size: 1000,
            children: [
              {
                name: "sda2",
                kname: "sda2",
                path: "/dev/sda2",
                type: "part",
                size: 900,
                fstype: "crypto_LUKS",
                children: [
                  {
                    name: "cryptroot",
                    kname: "dm-0",
                    path: "/dev/mapper/cryptroot",
                    type: "crypt",
                    size: 890,
                    fstype: "LVM2_member",
                    children: [
                      {
                        name: "vg-home",
                        kname: "dm-1",
                        path: "/dev/mapper/vg-home",
                        type: "lvm",
                        size: 400,
                        fstype: "ext4",
                        mountpoints: ["/mnt/home"],
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const [disk] = buildDisks(devices, { swaps: [], bootMedium: new Set() });
    expect(disk!.partitions[0]!.mountPoints).toEqual(["/mnt/home"]);
    expect(disk!.unavailableReason).toBe(
      "This disk is in use: /dev/mapper/vg-home is mounted at /mnt/home; unmount it first.",
    );
    for (const d of walkDevices(devices)) d.mountPoints = [];
    const [closedFs] = buildDisks(devices, {
      swaps: [],
      bootMedium: new Set(),
    });
    expect(closedFs!.unavailableReason).toBe(
      "This disk is in use: /dev/sda2 is held open by /dev/mapper/cryptroot (crypt); close it first.",
    );
    // swap on dm named by its kernel name in /proc/swaps
    devices[0]!.children[0]!.children[0]!.children = [];
    const [swapOnDm] = buildDisks(devices, {
      swaps: [{ path: "/dev/dm-0", type: "partition" }],
      bootMedium: new Set(),
    });
    expect(swapOnDm!.unavailableReason).toContain(
      "/dev/mapper/cryptroot is active swap",
    );
  });

  it("shows a filesystem written to the whole disk as its one partition", () => {
    const devices = parseLsblk(
      JSON.stringify({
        blockdevices: [
          {
            name: "sdc",
            path: "/dev/sdc",
            type: "disk",
            size: 64,
            fstype: "btrfs",
            label: "backup",
          },
        ],
      }),
    );
    const [disk] = buildDisks(devices, { swaps: [], bootMedium: new Set() });
    expect(disk!.partitions).toEqual([
      expect.objectContaining({
        path: "/dev/sdc",
        fsType: "btrfs",
        label: "backup",
      }),
    ]);
  });

  it("leaves out RAM disks, empty drives and the like, and refuses optical drives", () => {
    const devices = parseLsblk(
      JSON.stringify({
        blockdevices: [
          {
            name: "zram0",
            path: "/dev/zram0",
            type: "disk",
            size: 8000,
            mountpoints: ["[SWAP]"],
          },
          { name: "sr0", path: "/dev/sr0", type: "rom", size: 0 },
          { name: "sr1", path: "/dev/sr1", type: "rom", size: 1000, rm: true },
          { name: "loop7", path: "/dev/loop7", type: "loop", size: 0 },
        ],
      }),
    );
    const disks = buildDisks(devices, { swaps: [], bootMedium: new Set() });
    expect(disks.map((d) => d.path)).toEqual(["/dev/sr1"]);
    expect(disks[0]).toMatchObject({
      removable: true,
      unavailableReason: "This is an optical drive: Tabula installs to disks.",
    });
  });
});

describe("the LiveCD's boot medium", () => {
  const isoMountPoint = `${info.work}/iso`;

  it("is the disk holding what is mounted at /iso, never offered", () => {
    const devices = capturedDevices();
    const medium = findBootMedium({
      osKind: "nixos-livecd",
      devices,
      mounts: capturedMounts(),
      cmdline: null,
      isoMountPoint,
    });
    expect(medium).toEqual({
      disks: [info.disk3],
      device: `${info.disk3}p1`,
      how: "iso-mount",
    });
    const disk3 = buildDisks(devices, {
      swaps,
      bootMedium: new Set(medium!.disks),
    })[2]!;
    expect(disk3.isBootMedium).toBe(true);
    expect(disk3.unavailableReason).toMatch(
      /LiveCD's boot medium.*never offered/,
    );
  });

  it("is found from root=LABEL= when copytoram released the device", () => {
    const devices = capturedDevices();
    unmount(devices, `${info.disk3}p1`);
    const copied = parseFindmnt(
      JSON.stringify({
        filesystems: [
          {
            target: isoMountPoint,
            source: "tmpfs",
            fstype: "tmpfs",
            options: "rw",
          },
        ],
      }),
    );
    const medium = findBootMedium({
      osKind: "nixos-livecd",
      devices,
      mounts: copied,
      cmdline: parseKernelCmdline(
        "init=/nix/store/x-nixos-system/init root=LABEL=nixos-minimal-25.05-x86_64 boot.shell_on_fail copytoram",
      ),
      isoMountPoint,
    });
    expect(medium).toEqual({
      disks: [info.disk3],
      device: `${info.disk3}p1`,
      how: "kernel-cmdline",
    });
    const disk3 = buildDisks(devices, {
      swaps,
      bootMedium: new Set(medium!.disks),
    })[2]!;
    expect(disk3).toMatchObject({ isBootMedium: true, inUse: false });
    expect(disk3.unavailableReason).not.toBeNull();
  });

  it("matches the mount's device when lsblk lists no mount points", () => {
    const devices = capturedDevices();
    unmount(devices, `${info.disk3}p1`);
    const medium = findBootMedium({
      osKind: "nixos-livecd",
      devices,
      mounts: capturedMounts(),
      cmdline: null,
      isoMountPoint,
    });
    expect(medium?.disks).toEqual([info.disk3]);
  });

  it("is not looked for outside the LiveCD, nor invented when nothing matches", () => {
    const args = {
      devices: capturedDevices(),
      mounts: capturedMounts(),
      cmdline: parseKernelCmdline("root=LABEL=nixos-minimal-25.05-x86_64"),
      isoMountPoint,
    };
    expect(findBootMedium({ ...args, osKind: "nixos" })).toBeNull();
    expect(findBootMedium({ ...args, osKind: "other" })).toBeNull();
    expect(
      findBootMedium({
        ...args,
        osKind: "nixos-livecd",
        mounts: [],
        cmdline: parseKernelCmdline("root=LABEL=some-other-iso"),
      }),
    ).toBeNull();
  });
});
