// Partition and filesystem labels of an install. The step script sets them
// when it partitions and formats (sgdisk -c, mkfs -L / -n, mkswap -L), and the
// generated filesystems.nix refers to them through /dev/disk/by-partlabel and
// /dev/disk/by-label, so the configuration can be written before the disk is
// formatted (FACTS.md, "Installing"). Both sides import them from here.
//
// Length limits: a vfat label has at most 11 characters (and is upper case by
// convention), xfs 12, ext4 16, a swap label 16; GPT partition names 36.

/** GPT partition names (sgdisk -c N:NAME): /dev/disk/by-partlabel/NAME. */
export const PARTITION_LABELS = {
  /** 1 MiB BIOS boot partition (type EF02), grub only. */
  biosBoot: "tabula-bios",
  /** The ESP (systemd-boot) or the /boot partition (grub). */
  boot: "tabula-boot",
  swap: "tabula-swap",
  /** The /nix partition; with encryption, the LUKS2 container. */
  nix: "tabula-nix",
} as const;

/** Filesystem labels (mkfs -L / mkfs.vfat -n / mkswap -L): /dev/disk/by-label/NAME. */
export const FILESYSTEM_LABELS = {
  boot: "TABULA-BOOT",
  swap: "tabula-swap",
  nix: "tabula-nix",
} as const;

/** Name of the opened LUKS2 container: /dev/mapper/NAME (cryptsetup open ... NAME). */
export const LUKS_NAME = "tabula-nix";

/** The filesystem of /boot in an install, for both bootloaders. */
export const BOOT_FS_TYPE = "vfat";

/** Mount options of /boot: the ESP holds the random seed, keep it private (as nixos-generate-config does). */
export const BOOT_OPTIONS: readonly string[] = ["fmask=0077", "dmask=0077"];

export function byPartlabel(label: string): string {
  return `/dev/disk/by-partlabel/${label}`;
}

export function byLabel(label: string): string {
  return `/dev/disk/by-label/${label}`;
}
