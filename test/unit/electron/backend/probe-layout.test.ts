// The layout of the running NixOS, from the texts lsblk, findmnt, /etc/fstab
// and /proc/swaps give on each kind of install (test/fixtures/machine/layouts).
import { describe, expect, it } from "vitest";
import {
  bootFilesToLook,
  detectLayout,
  splitLvmName,
  tagToPath,
} from "../../../../electron/backend/probe-layout";
import { parseFstab } from "../../../../electron/backend/probe-proc";
import type { ConvertLayoutFacts } from "../../../../shared/machine/types";
import { layoutInput, type LayoutName } from "./layout-fixtures";

const uuid = (u: string) => `/dev/disk/by-uuid/${u}`;

const plain: Omit<ConvertLayoutFacts, "root"> = {
  bootMountPoint: "/boot",
  bootloader: "systemd-boot",
  bootloaderFrom: "/boot/loader/entries",
  luks: null,
  lvm: null,
  nix: null,
  keptMounts: [],
  swapFiles: [],
  swapDevices: [],
};

const EXPECTED: Record<LayoutName, ConvertLayoutFacts> = {
  "ext4-esp": {
    ...plain,
    root: {
      device: uuid("8c1e3a56-5b8a-4c5e-9c2c-1f0e7d4c2a11"),
      fsType: "ext4",
      options: [],
    },
  },
  "esp-boot-efi": {
    ...plain,
    root: {
      device: uuid("0b5d1e7c-1111-4222-8333-944445555666"),
      fsType: "ext4",
      options: [],
    },
    bootMountPoint: "/boot/efi",
    bootloader: "grub",
    bootloaderFrom: "/boot/grub/grub.cfg",
  },
  "bios-grub": {
    ...plain,
    root: {
      device: uuid("4e9f2a1b-6c3d-4b8e-a5f7-0d1c2b3a4e5f"),
      fsType: "ext4",
      options: [],
    },
    bootMountPoint: null,
    bootloader: "grub",
    bootloaderFrom: "/boot/grub/grub.cfg",
    swapDevices: [uuid("b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e")],
  },
  "btrfs-subvolumes": {
    ...plain,
    root: {
      device: uuid("721fe37e-7c29-48ae-909f-b5e8b3d8557d"),
      fsType: "btrfs",
      options: ["subvol=@", "compress=zstd"],
    },
    nix: {
      device: uuid("721fe37e-7c29-48ae-909f-b5e8b3d8557d"),
      fsType: "btrfs",
      options: ["subvol=@nix", "compress=zstd", "noatime"],
    },
    keptMounts: ["/home", "/var/log"],
  },
  "luks-ext4": {
    ...plain,
    root: {
      device: uuid("d41e7a2b-9c8d-4f6e-b5a4-3c2d1e0f9a8b"),
      fsType: "ext4",
      options: [],
    },
    bootloaderFrom: "/boot/EFI/systemd/systemd-bootx64.efi",
    luks: {
      device: uuid("6a2f9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"),
      name: "luks-6a2f9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
    },
  },
  "lvm-on-luks": {
    ...plain,
    root: {
      device: uuid("a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d"),
      fsType: "ext4",
      options: [],
    },
    luks: {
      device: uuid("f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0"),
      name: "cryptlvm",
    },
    lvm: { volumeGroup: "nixos-vg", logicalVolume: "root" },
    swapDevices: [uuid("c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f")],
  },
  "home-partition": {
    ...plain,
    root: {
      device: uuid("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"),
      fsType: "ext4",
      options: [],
    },
    // /srv is a bind mount of a folder on /home; /data one of a folder on
    // the root (skipped), /tmp a tmpfs (skipped).
    keptMounts: ["/home", "/srv"],
    swapDevices: [uuid("5f6e7d8c-9b0a-4f1e-8d2c-3b4a5f6e7d8c")],
  },
  swapfile: {
    ...plain,
    root: {
      device: uuid("7d6c5b4a-3f2e-4d1c-9b0a-8f7e6d5c4b3a"),
      fsType: "ext4",
      options: [],
    },
    swapFiles: ["/swapfile"],
  },
  "xfs-root": {
    ...plain,
    root: {
      device: uuid("388aa6d4-2d25-4d37-8c71-1e7c7e0532c1"),
      fsType: "xfs",
      options: [],
    },
  },
};

describe("the layout of the running NixOS", () => {
  for (const [name, expected] of Object.entries(EXPECTED))
    it(`is read from lsblk, findmnt, fstab and /proc/swaps (${name})`, () => {
      expect(detectLayout(layoutInput(name as LayoutName))).toEqual(expected);
    });

  it("is none on the LiveCD, another system or a tmpfs root", () => {
    expect(
      detectLayout(layoutInput("ext4-esp", { osKind: "nixos-livecd" })),
    ).toBeNull();
    expect(
      detectLayout(layoutInput("ext4-esp", { osKind: "other" })),
    ).toBeNull();
    const input = layoutInput("ext4-esp");
    input.mounts.push({
      target: "/",
      source: "none",
      fsType: "tmpfs",
      options: ["rw", "mode=755"],
      fsRoot: "/",
      majMin: "0:40",
    });
    expect(detectLayout(input)).toBeNull();
  });

  it("takes the bootloader from the firmware when no boot file tells", () => {
    const bios = detectLayout(
      layoutInput("bios-grub", { existing: new Set() }),
    );
    expect(bios).toMatchObject({
      bootloader: "grub",
      bootloaderFrom: "firmware",
    });
    const uefi = detectLayout(layoutInput("ext4-esp", { existing: new Set() }));
    expect(uefi).toMatchObject({
      bootloader: "systemd-boot",
      bootloaderFrom: "firmware",
    });
  });

  it("prefers systemd-boot's files on the ESP to a grub.cfg left on /boot", () => {
    const both = detectLayout(
      layoutInput("ext4-esp", {
        existing: new Set(["/boot/grub/grub.cfg", "/boot/loader/entries"]),
      }),
    );
    expect(both?.bootloader).toBe("systemd-boot");
  });

  it("looks for systemd-boot on the ESP where it is mounted, for GRUB at /boot/grub", () => {
    expect(bootFilesToLook("/boot/efi")).toEqual([
      "/boot/efi/loader/entries",
      "/boot/efi/EFI/systemd/systemd-bootx64.efi",
      "/boot/efi/EFI/systemd/systemd-bootaa64.efi",
      "/boot/grub/grub.cfg",
    ]);
    expect(bootFilesToLook(null)).toEqual(["/boot/grub/grub.cfg"]);
  });

  it("without an fstab entry for /, names the root by UUID and keeps only the kernel's subvol=", () => {
    const input = layoutInput("btrfs-subvolumes", { fstab: [] });
    const layout = detectLayout(input)!;
    expect(layout.root).toEqual({
      device: uuid("721fe37e-7c29-48ae-909f-b5e8b3d8557d"),
      fsType: "btrfs",
      options: ["subvol=/@"],
    });
    // /nix is still mounted from another subvolume: a filesystem of its own.
    expect(layout.nix).toEqual({
      device: uuid("721fe37e-7c29-48ae-909f-b5e8b3d8557d"),
      fsType: "btrfs",
      options: ["subvol=/@nix"],
    });
    expect(layout.keptMounts).toEqual([]);
  });

  it("does not take the store's read-only bind mount, or /nix bound from the root, for a /nix of its own", () => {
    const input = layoutInput("ext4-esp");
    input.mounts.push({
      target: "/nix",
      source: "/dev/nvme0n1p2",
      fsType: "ext4",
      options: ["rw", "relatime"],
      fsRoot: "/nix",
      majMin: "259:2",
    });
    expect(detectLayout(input)?.nix).toBeNull();
    const bound = layoutInput("ext4-esp", {
      fstab: parseFstab("/persist/nix /nix none bind 0 0\n"),
    });
    expect(detectLayout(bound)?.nix).toBeNull();
  });

  it("keeps a swap file on a kept mount where it is, with the swap devices", () => {
    const input = layoutInput("home-partition");
    input.fstab.push(...parseFstab("/home/swapfile none swap defaults\n"));
    input.swaps.push({ path: "/home/swapfile", type: "file" });
    const layout = detectLayout(input)!;
    expect(layout.swapFiles).toEqual([]);
    expect(layout.swapDevices).toEqual([
      uuid("5f6e7d8c-9b0a-4f1e-8d2c-3b4a5f6e7d8c"),
      "/home/swapfile",
    ]);
  });

  it("moves a swap file switched on by hand too, but only one on the root", () => {
    const input = layoutInput("ext4-esp");
    input.swaps.push(
      { path: "/var/swap", type: "file" },
      { path: "/nix/swap", type: "file" },
    );
    expect(detectLayout(input)?.swapFiles).toEqual(["/var/swap"]);
  });
});

describe("names", () => {
  it("splits LVM's device-mapper names as LVM does (a dash inside a name is doubled)", () => {
    expect(splitLvmName("vg0-root")).toEqual({
      volumeGroup: "vg0",
      logicalVolume: "root",
    });
    expect(splitLvmName("nixos--vg-root--fs")).toEqual({
      volumeGroup: "nixos-vg",
      logicalVolume: "root-fs",
    });
    expect(splitLvmName("plain")).toBeNull();
  });

  it("turns fstab's tags into /dev/disk/by-* paths", () => {
    expect(tagToPath("UUID=1234-ABCD")).toBe("/dev/disk/by-uuid/1234-ABCD");
    expect(tagToPath("LABEL=nixos")).toBe("/dev/disk/by-label/nixos");
    expect(tagToPath("PARTLABEL=root")).toBe("/dev/disk/by-partlabel/root");
    expect(tagToPath("/dev/sda2")).toBe("/dev/sda2");
  });
});
