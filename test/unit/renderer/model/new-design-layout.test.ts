// A convert design filled from the layout the probe read on the running
// NixOS (test/fixtures/machine/layouts): each validates, with the fields its
// layout has and no persisted path on a filesystem that stays mounted.
import { describe, expect, it } from "vitest";
import { newDesign } from "../../../../renderer/src/model/new-design";
import { baseEntries } from "../../../../renderer/src/model/presets";
import { validateDesign } from "../../../../shared/design/validate";
import type { ConvertDesign } from "../../../../shared/design/types";
import {
  LAYOUT_NAMES,
  layoutFacts,
  type LayoutName,
} from "../../electron/backend/layout-fixtures";

const uuid = (u: string) => `/dev/disk/by-uuid/${u}`;
const ESP_OPTIONS = [
  "rw",
  "relatime",
  "fmask=0077",
  "dmask=0077",
  "codepage=437",
  "iocharset=iso8859-1",
  "shortname=mixed",
  "errors=remount-ro",
];

const flake = {
  configDir: "/etc/nixos",
  configType: "flake",
  flakeAttr: "tern",
} as const;

/** The convert block each layout fills in, whole. */
const EXPECTED: Record<LayoutName, ConvertDesign> = {
  "ext4-esp": {
    device: uuid("8c1e3a56-5b8a-4c5e-9c2c-1f0e7d4c2a11"),
    fsType: "ext4",
    options: [],
    ...flake,
    boot: {
      device: uuid("12CE-A600"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot",
    },
    bootloader: "systemd-boot",
  },
  "esp-boot-efi": {
    device: uuid("0b5d1e7c-1111-4222-8333-944445555666"),
    fsType: "ext4",
    options: [],
    ...flake,
    boot: {
      device: uuid("5A1B-7C2D"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot/efi",
    },
    bootloader: "grub",
  },
  "bios-grub": {
    device: uuid("4e9f2a1b-6c3d-4b8e-a5f7-0d1c2b3a4e5f"),
    fsType: "ext4",
    options: [],
    ...flake,
    bootloader: "grub",
    swapDevices: [uuid("b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e")],
  },
  "btrfs-subvolumes": {
    device: uuid("721fe37e-7c29-48ae-909f-b5e8b3d8557d"),
    fsType: "btrfs",
    options: ["subvol=@", "compress=zstd"],
    ...flake,
    boot: {
      device: uuid("12CE-A600"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot",
    },
    bootloader: "systemd-boot",
    nix: {
      device: uuid("721fe37e-7c29-48ae-909f-b5e8b3d8557d"),
      fsType: "btrfs",
      options: ["subvol=@nix", "compress=zstd", "noatime"],
    },
    keptMounts: ["/home", "/var/log"],
  },
  "luks-ext4": {
    device: uuid("d41e7a2b-9c8d-4f6e-b5a4-3c2d1e0f9a8b"),
    fsType: "ext4",
    options: [],
    ...flake,
    boot: {
      device: uuid("12CE-A600"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot",
    },
    bootloader: "systemd-boot",
    luks: {
      device: uuid("6a2f9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"),
      name: "luks-6a2f9c1e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
    },
  },
  "lvm-on-luks": {
    device: uuid("a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d"),
    fsType: "ext4",
    options: [],
    ...flake,
    boot: {
      device: uuid("5A1B-7C2D"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot",
    },
    bootloader: "systemd-boot",
    luks: {
      device: uuid("f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0"),
      name: "cryptlvm",
    },
    lvm: { volumeGroup: "nixos-vg" },
    swapDevices: [uuid("c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f")],
  },
  "home-partition": {
    device: uuid("2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"),
    fsType: "ext4",
    options: [],
    ...flake,
    boot: {
      device: uuid("5A1B-7C2D"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot",
    },
    bootloader: "systemd-boot",
    keptMounts: ["/home", "/srv"],
    swapDevices: [uuid("5f6e7d8c-9b0a-4f1e-8d2c-3b4a5f6e7d8c")],
  },
  swapfile: {
    device: uuid("7d6c5b4a-3f2e-4d1c-9b0a-8f7e6d5c4b3a"),
    fsType: "ext4",
    options: [],
    ...flake,
    boot: {
      device: uuid("0A1B-2C3D"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot",
    },
    bootloader: "systemd-boot",
    swapFiles: ["/swapfile"],
  },
  "xfs-root": {
    device: uuid("388aa6d4-2d25-4d37-8c71-1e7c7e0532c1"),
    fsType: "xfs",
    options: [],
    ...flake,
    boot: {
      device: uuid("12CE-A600"),
      fsType: "vfat",
      options: ESP_OPTIONS,
      mountPoint: "/boot",
    },
    bootloader: "systemd-boot",
  },
};

const errors = (d: Parameters<typeof validateDesign>[0]) =>
  validateDesign(d).problems.filter((p) => p.severity === "error");

describe("a convert design from the running NixOS's layout", () => {
  for (const name of LAYOUT_NAMES)
    it(`fills the layout's fields and validates (${name})`, () => {
      const d = newDesign("convert", layoutFacts(name), baseEntries());
      expect(d.convert).toEqual(EXPECTED[name]);
      expect(d.hostname).toBe("tern");
      if (name === "lvm-on-luks")
        // The plan refuses a root on LVM; the design says why, at its field.
        expect(errors(d).map((p) => p.path)).toEqual(["convert.lvm"]);
      else expect(errors(d)).toEqual([]);
    });

  it("persists nothing on a filesystem that stays mounted, system or user paths", () => {
    const base = baseEntries();
    base.directories.push("/home/alice/projects", "/srv/www");
    base.users = {
      alice: { directories: [".ssh", "Documents"], files: [".bash_history"] },
    };
    const facts = layoutFacts("home-partition");
    const d = newDesign("convert", facts, base);
    expect(d.persistence.directories).not.toContain("/home/alice/projects");
    expect(d.persistence.directories).not.toContain("/srv/www");
    expect(d.persistence.directories).toContain("/var/log");
    expect(d.persistence.users).toEqual({});
    expect(errors(d)).toEqual([]);

    const btrfs = newDesign("convert", layoutFacts("btrfs-subvolumes"), base);
    expect(btrfs.persistence.directories).not.toContain("/var/log");
    expect(btrfs.persistence.directories).toContain("/var/lib/nixos");
    expect(errors(btrfs)).toEqual([]);

    // Without a kept /home, the user's paths stay.
    const plain = newDesign("convert", layoutFacts("ext4-esp"), base);
    expect(plain.persistence.users.alice?.directories).toEqual([
      ".ssh",
      "Documents",
    ]);
  });

  it("fills configuration.nix, without a host attribute, for a system without a flake", () => {
    const facts = layoutFacts("btrfs-subvolumes");
    facts.nixosConfig = {
      dir: "/etc/nixos",
      isFlake: false,
      flakeAttr: null,
    };
    const d = newDesign("convert", facts, baseEntries());
    expect(d.convert?.configType).toBe("configuration.nix");
    expect(d.convert).not.toHaveProperty("flakeAttr");
    expect(errors(d)).toEqual([]);
  });

  it("does not guess an ESP for a system whose /boot is on the root", () => {
    // The disk holds a FAT partition, but the running system boots GRUB from /boot on the root.
    const facts = layoutFacts("bios-grub");
    facts.disks[0]!.partitions.push({
      path: "/dev/vda3",
      sizeBytes: 512 * 1024 ** 2,
      fsType: "vfat",
      label: null,
      partLabel: null,
      uuid: "DEAD-BEEF",
      partUuid: null,
      mountPoints: [],
    });
    facts.installs = [
      {
        device: "/dev/vda1",
        fsType: "ext4",
        migrationPending: false,
        hasOldRoot: false,
        converted: false,
      },
    ];
    const d = newDesign("convert", facts, baseEntries());
    expect(d.convert?.boot).toBeUndefined();
    expect(d.convert?.bootloader).toBe("grub");
  });
});
