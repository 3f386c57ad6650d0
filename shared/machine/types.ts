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
  rootFs: { device: string; fsType: string; options: string[] } | null;
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
}
