// Names Tabula gives partitions, filesystems and mapped devices at install,
// and the layout names on a converted partition. The generated NixOS
// configuration refers to the same labels (/dev/disk/by-partlabel/...,
// /dev/disk/by-label/...), so they live in one place.
// TODO(merge): the design stream exports its own constants
// (shared/design/labels.ts); when it lands, import them here and keep one set.

/** GPT partition names (sgdisk --change-name). */
export const PART_LABEL = {
  esp: "ESP",
  biosBoot: "BIOSBOOT",
  boot: "boot",
  swap: "swap",
  nix: "nix",
} as const;

/** Filesystem labels (mkfs -L / -n). vfat labels are at most 11 characters, xfs at most 12. */
export const FS_LABEL = {
  boot: "BOOT",
  swap: "swap",
  nix: "nix",
  /** The LUKS2 header's label (cryptsetup luksFormat --label). */
  luks: "cryptnix",
} as const;

/** The device-mapper name the LiveCD opens the LUKS container under. */
export const LUKS_MAPPER = "cryptnix";

/** On the converted partition (mounted at /nix): the quarantine of the old root. */
export const QUARANTINE = "old-root";

/** On the partition: Tabula's own folder (migration.json, the journal, the plan copy). */
export const TABULA_DIR = ".tabula";

/** Where the config lives in install mode, as seen on the installed system. */
export const INSTALL_CONFIG_DIR = "/etc/nixos";

/** The generated modules' folder inside the configuration directory (`./nixos` in the flake). */
export const MODULES_DIR = "nixos";

/** Written by the install phase next to the generated modules. */
export const HARDWARE_CONFIG = "nixos/hardware-configuration.nix";

/** Smallest /nix partition the install phase accepts: a small NixOS system with room to rebuild. */
export const MIN_NIX_BYTES = 4 * 1024 ** 3;
