// What the probe knows about the machine (electron/backend/probe), and what the
// sandbox machine pretends. The renderer shows it on the Start and Disk screens.

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
  /** Is "/" already a tmpfs (a stateless system: recover, not convert)? */
  rootIsTmpfs: boolean;
  installs: FoundInstall[];
  /** Tools found on PATH that steps need (nixos-install, sgdisk, ...). */
  tools: Record<string, boolean>;
  /** What the probe could not learn, one sentence each (a tool missing, a device unreadable). */
  warnings?: string[];
}
