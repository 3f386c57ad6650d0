// What the probe knows about the machine (electron/backend/probe), and what the
// sandbox machine pretends. The renderer shows it on the Start and Disk screens.
import type { Bootloader, FsRef } from "../design/types";

export type OsKind = "nixos-livecd" | "nixos" | "other";

export interface Partition {
  /** Kernel path, e.g. "/dev/nvme0n1p2". */
  path: string;
  sizeBytes: number;
  fsType: string | null;
  label: string | null;
  partLabel: string | null;
  uuid: string | null;
  partUuid: string | null;
  /** Where it is mounted now, if anywhere. */
  mountPoints: string[];
}

export interface Disk {
  path: string;
  sizeBytes: number;
  model: string | null;
  serial: string | null;
  transport: string | null;
  removable: boolean;
  readOnly: boolean;
  partitions: Partition[];
  /** The LiveCD booted from this device: never offered as an install target. */
  isBootMedium: boolean;
  /** Mounted or holding the running system: not offered for install. */
  inUse: boolean;
  /** Why the disk cannot be chosen, if it cannot. */
  unavailableReason: string | null;
}

export interface Mount {
  target: string;
  source: string;
  fsType: string;
  options: string[];
}

/** A NixOS install found on a partition (from the LiveCD) or the running one. */
export interface FoundInstall {
  device: string;
  fsType: string;
  /** An unfinished conversion: the partition holds .tabula/migration.json. */
  migrationPending: boolean;
  /** The quarantine of a past conversion: the partition holds old-root/. */
  hasOldRoot: boolean;
  /** Already converted: the partition holds persistent/ and store/ at its top. */
  converted: boolean;
  /** Where in the filesystem these marks are, when not at its top: a btrfs subvolume such as "/@". */
  subvolume?: string | null;
}

/** A mounted filesystem as a convert or recover design needs it. */
export interface FsFacts {
  /** The kernel's name of the device, e.g. "/dev/nvme0n1p2" ("tmpfs" for a tmpfs). */
  device: string;
  fsType: string;
  /** Mount options as the kernel reports them (btrfs: subvol= tells the subvolume). */
  options: string[];
  uuid?: string | null;
  /**
   * The same filesystem as /etc/fstab names it: NixOS writes fstab from
   * `fileSystems`, so this is the user's config's own device name (usually
   * "/dev/disk/by-uuid/..."), the stable name a design should use.
   */
  fstabDevice?: string | null;
}

/**
 * The layout of the running NixOS, as a convert design needs it
 * (docs/probe-and-sandbox.md, "The layout of the running NixOS"). Devices are
 * named as /etc/fstab names them: NixOS writes it from `fileSystems` and
 * `swapDevices`, so these are the configuration's own names (a `UUID=`-style
 * tag becomes its /dev/disk/by-* path).
 */
export interface ConvertLayoutFacts {
  /**
   * The root filesystem as a design names it: fstab's device and type, and
   * fstab's options for "/" without the ones NixOS adds itself
   * ("defaults", "x-initrd.mount"); without an fstab entry, the kernel's
   * device and only its `subvol=` option (the rest is the kernel's own).
   */
  root: FsRef;
  /** Where the boot filesystem is mounted ("/boot", "/boot/efi", "/efi"); null: /boot is a folder on the root. */
  bootMountPoint: string | null;
  /** The bootloader the system boots with. */
  bootloader: Bootloader;
  /**
   * What told it: the file found ("/boot/loader/entries" or
   * "/boot/EFI/systemd/systemd-bootx64.efi" on the ESP for systemd-boot,
   * "/boot/grub/grub.cfg" for GRUB), or "firmware" when neither exists
   * (GRUB on BIOS, systemd-boot on UEFI).
   */
  bootloaderFrom: string;
  /**
   * The root filesystem is inside this LUKS container (lsblk TYPE "crypt"
   * above it): `device` the container's partition by its LUKS UUID
   * (/dev/disk/by-uuid/...), `name` the mapping (/dev/mapper/NAME), as
   * nixos-generate-config writes boot.initrd.luks.devices."NAME".device.
   */
  luks: { device: string; name: string } | null;
  /** The root filesystem is an LVM logical volume (lsblk TYPE "lvm"): its group and volume, from the device-mapper name. */
  lvm: { volumeGroup: string; logicalVolume: string } | null;
  /**
   * /nix is a filesystem of its own (a btrfs subvolume such as @nix, or its
   * own partition), named like `root` (fstab's device and options); null:
   * /nix is a folder on the root.
   */
  nix: FsRef | null;
  /**
   * The other mount points fstab declares, sorted: not /, /nix or under it,
   * the boot filesystems (/boot, /efi and under), swap, pseudo filesystems
   * (tmpfs, proc, ...) or bind mounts of paths on the root. They stay
   * mounted after the conversion.
   */
  keptMounts: string[];
  /** Swap files on the root filesystem (fstab swap entries that are paths, and /proc/swaps' files), absolute. */
  swapFiles: string[];
  /** fstab's other swap entries (partitions, and swap files on a kept mount or under /nix), as fstab names them. */
  swapDevices: string[];
}

export interface MachineFacts {
  /** "sandbox": a built-in pretend machine, nothing real is touched. */
  machine: "sandbox" | "real";
  os: { kind: OsKind; prettyName: string; versionId: string | null };
  firmware: "uefi" | "bios";
  memoryBytes: number;
  disks: Disk[];
  mounts: Mount[];
  /** The running root filesystem (to fill a convert design). */
  rootFs: FsFacts | null;
  /** The filesystem at /boot (or /boot/efi, /efi) of the running system, if separate. */
  bootFs?: (FsFacts & { mountPoint: string }) | null;
  /** The running NixOS configuration, when there is one. */
  nixosConfig: {
    dir: string;
    isFlake: boolean;
    flakeAttr: string | null;
  } | null;
  /**
   * The running NixOS's layout for a conversion; null when this is not an
   * installed NixOS with its root on a disk (the LiveCD, a tmpfs root,
   * another system). Absent in facts from before it existed.
   */
  layout?: ConvertLayoutFacts | null;
  /** Is "/" already a tmpfs (a stateless system: recover, not convert)? */
  rootIsTmpfs: boolean;
  installs: FoundInstall[];
  /** Tools found on PATH that steps need (nixos-install, sgdisk, ...). */
  tools: Record<string, boolean>;
  /** What the probe could not learn, one sentence each (a tool missing, a device unreadable). */
  warnings?: string[];
}
