// The design document, format "tabula/1": everything a user decides in
// Tabula, as one JSON document. Generated Nix files and step scripts are pure
// functions of it. The `persistence` block mirrors impermanence's own options
// (nix-community/impermanence, submodule-options.nix) so an expert reads it at
// a glance. See docs/design-format.md for the user-facing description.

export const DESIGN_FORMAT = "tabula/1";

export type Mode = "install" | "convert" | "recover";
export const MODES: readonly Mode[] = ["install", "convert", "recover"];

export type NixFsType = "btrfs" | "ext4" | "xfs";
export const NIX_FS_TYPES: readonly NixFsType[] = ["btrfs", "ext4", "xfs"];

export type Bootloader = "systemd-boot" | "grub";

/** Ownership and mode of a persisted directory (impermanence `dirPermsOpts`). */
export interface DirPerms {
  user?: string;
  group?: string;
  /** chmod syntax, octal ("0700") or symbolic ("u=rwx,g=rx,o="). */
  mode?: string;
}

/** A persisted directory: a path, or impermanence's attrset form. */
export type DirEntry =
  | string
  | (DirPerms & {
      directory: string;
      hideMount?: boolean;
      allowTrash?: boolean;
    });

/** A persisted file: a path, or impermanence's attrset form. */
export type FileEntry =
  | string
  | {
      file: string;
      parentDirectory?: DirPerms;
      method?: "auto" | "symlink";
    };

/** Per-user persistence; paths are relative to the user's home. */
export interface UserPersistence {
  directories: DirEntry[];
  files: FileEntry[];
}

export interface PersistenceDesign {
  /** Absolute path of persistent storage, normally "/nix/persistent". */
  storage: string;
  hideMounts: boolean;
  allowTrash?: boolean;
  directories: DirEntry[];
  files: FileEntry[];
  users: Record<string, UserPersistence>;
}

export interface UserDesign {
  uid?: number;
  isNormalUser?: boolean;
  isSystemUser?: boolean;
  group?: string;
  extraGroups?: string[];
  description?: string;
  home?: string;
  /** A crypt(3) hash ("$6$..." or "$y$..."): `passwd` changes are lost on a tmpfs root. */
  hashedPassword?: string;
  /** Absolute path of a file under persistent storage holding the hash. */
  hashedPasswordFile?: string;
  openssh?: { authorizedKeys?: { keys?: string[] } };
}

export interface GroupDesign {
  gid?: number;
}

/** Install mode: the disk Tabula partitions. */
export interface DiskDesign {
  /** The whole disk, e.g. "/dev/nvme0n1". Everything on it is erased. */
  device: string;
  /** systemd-boot (UEFI; `esp` is the EFI system partition at /boot) or grub (BIOS; `esp` sizes /boot beside a 1 MiB BIOS boot partition). */
  bootloader: Bootloader;
  esp: { size: string };
  swap?: { size: string };
  /** LUKS2 under the /nix filesystem. */
  encrypt: boolean;
  nix: { fsType: NixFsType; options: string[] };
  /** Facts probed from the disk when the design was made (shown in review; checked again by the script). */
  probed?: { sizeBytes?: number; model?: string; serial?: string };
}

/** A filesystem as fstab/`fileSystems` names it. */
export interface FsRef {
  device: string;
  fsType: string;
  options: string[];
}

/**
 * How the existing NixOS configuration is built: a flake (`configDir/flake.nix`,
 * host `flakeAttr`) or, without flakes, `configDir/configuration.nix` (what
 * nixos-generate-config writes, built through the nixpkgs channel).
 */
export type ConfigType = "flake" | "configuration.nix";
export const CONFIG_TYPES: readonly ConfigType[] = [
  "flake",
  "configuration.nix",
];

/** A LUKS container the LiveCD opens before it can mount what is inside. */
export interface LuksRef {
  /** The container (the partition), e.g. "/dev/disk/by-uuid/..." */
  device: string;
  /** The name it is opened as (/dev/mapper/NAME), as boot.initrd.luks.devices names it. */
  name: string;
}

/** Convert mode: the existing root filesystem, which becomes /nix. */
export interface ConvertDesign extends FsRef {
  /** The user's NixOS configuration directory, e.g. "/etc/nixos". */
  configDir: string;
  /** A flake (when absent; normalized designs say it) or configuration.nix without one. */
  configType?: ConfigType;
  /** The attribute under nixosConfigurations, e.g. "tern" (flakes only). */
  flakeAttr?: string;
  /**
   * The separate boot filesystem: the ESP (systemd-boot, or GRUB on EFI) or
   * a /boot partition, at `mountPoint` ("/boot" when absent; "/boot/efi" or
   * "/efi" for an ESP beside a /boot folder on the root). Absent: /boot is a
   * folder on the root filesystem (GRUB on BIOS).
   */
  boot?: FsRef & { mountPoint?: string };
  /** The bootloader the existing configuration uses. */
  bootloader?: Bootloader;
  /** The LUKS container holding the root filesystem, opened on the LiveCD first. */
  luks?: LuksRef;
  /**
   * The LVM volume group the root filesystem is a logical volume of. Tabula
   * does not convert such a root yet (the LiveCD would have to activate the
   * group first): the plan refuses it with a sentence.
   */
  lvm?: { volumeGroup: string };
  /**
   * The filesystem the existing configuration already mounts at /nix (a
   * btrfs subvolume such as "@nix", or its own partition). It stays /nix;
   * the old root filesystem becomes the persistent storage instead.
   */
  nix?: FsRef;
  /**
   * Other filesystems the existing configuration mounts (e.g. "/home",
   * "/var/log" on their own partition or subvolume). They stay mounted after
   * the conversion, so nothing under them is persisted or moved.
   */
  keptMounts?: string[];
  /** Swap files on the root filesystem ("/swapfile"): moved into storage, and swapDevices points there. */
  swapFiles?: string[];
  /** The other swap devices of the existing configuration, as its fstab names them (repeated when swapDevices is rewritten). */
  swapDevices?: string[];
}

/** Recover mode: bring missed state into persistent storage. */
export interface RecoverDesign {
  /** "live": copy from the running tmpfs root; "old-root": move from the quarantine left by a conversion (LiveCD). */
  from: "live" | "old-root";
  /** The partition that holds /nix (needed from the LiveCD). */
  nix: FsRef;
  /** The configuration directory, as seen on the running system. */
  configDir: string;
  /** A flake (when absent; normalized designs say it) or configuration.nix without one. */
  configType?: ConfigType;
  /** The attribute under nixosConfigurations (flakes only). */
  flakeAttr?: string;
  /** The separate boot filesystem, needed to rebuild from the LiveCD. */
  boot?: FsRef & { mountPoint?: string };
  /** What to bring in, in impermanence's shapes; added to the persistence config. */
  add: {
    directories: DirEntry[];
    files: FileEntry[];
    users: Record<string, UserPersistence>;
  };
}

export interface Design {
  format: typeof DESIGN_FORMAT;
  mode: Mode;
  hostname: string;
  system: string;
  stateVersion: string;
  /** The tmpfs mounted at "/", always mode=755. */
  root: { size: string };
  disk?: DiskDesign;
  convert?: ConvertDesign;
  recover?: RecoverDesign;
  persistence: PersistenceDesign;
  users: Record<string, UserDesign>;
  groups?: Record<string, GroupDesign>;
  /** Free-form note the user keeps with the design. */
  notes?: string;
}

/** A finding about a design: `path` is a JSON path such as "persistence.directories[2]". */
export interface Problem {
  path: string;
  message: string;
  severity: "error" | "warning";
}
