// The partition table an install design asks for: numbers, GPT type codes,
// names and sizes, in the order sgdisk creates them, plus what goes on each.
import type { DiskDesign, NixFsType } from "../design/types";
import { parseSize } from "../size";
import {
  FILESYSTEM_LABELS,
  LUKS_NAME,
  MIN_NIX_BYTES,
  PARTITION_LABELS,
} from "./labels";

export interface PartitionSpec {
  number: number;
  /** GPT name (sgdisk --change-name). */
  name: string;
  /** sgdisk type code: EF00 ESP, EF02 BIOS boot, 8200 swap, 8300 Linux, 8309 LUKS. */
  typecode: string;
  /** sgdisk size ("+1G"), or "0" for the rest of the disk. */
  size: string;
  /** Bytes it needs (the rest-of-disk partition: the minimum Tabula accepts). */
  bytes: number;
  /** Kernel path of the partition, e.g. /dev/nvme0n1p2. */
  path: string;
  role: "esp" | "bios-boot" | "boot" | "swap" | "nix";
}

export interface DiskLayout {
  device: string;
  partitions: PartitionSpec[];
  /** Smallest disk this layout fits on (1 MiB for the GPT at each end). */
  minBytes: number;
  /** Where the /nix filesystem is made: the partition, or the opened LUKS mapping. */
  nixDevice: string;
  nixFsType: NixFsType;
  /** The partition holding /boot (the ESP for systemd-boot, the boot partition for grub). */
  bootPartition: PartitionSpec;
  swapPartition: PartitionSpec | null;
  nixPartition: PartitionSpec;
}

/**
 * The kernel's name for partition N of a disk: /dev/sda -> /dev/sda2,
 * /dev/nvme0n1 and /dev/loop0 (ending in a digit) -> /dev/nvme0n1p2, and
 * udev's /dev/disk/by-id|by-path/X -> X-part2.
 */
export function partitionPath(device: string, n: number): string {
  if (/^\/dev\/disk\/by-(id|path)\//.test(device)) return `${device}-part${n}`;
  return /[0-9]$/.test(device) ? `${device}p${n}` : `${device}${n}`;
}

function bytesOf(text: string): number {
  const parsed = parseSize(text);
  if (!parsed.ok || parsed.size.kind !== "bytes")
    throw new Error(`size "${text}" is not a byte size`);
  return parsed.size.bytes;
}

export function diskLayout(disk: DiskDesign): DiskLayout {
  const specs: Omit<PartitionSpec, "number" | "path">[] = [];
  const bootBytes = bytesOf(disk.esp.size);
  if (disk.bootloader === "grub") {
    specs.push({
      name: PARTITION_LABELS.biosBoot,
      typecode: "EF02",
      size: "+1M",
      bytes: 1024 ** 2,
      role: "bios-boot",
    });
    specs.push({
      name: PARTITION_LABELS.boot,
      typecode: "8300",
      size: `+${disk.esp.size}`,
      bytes: bootBytes,
      role: "boot",
    });
  } else {
    specs.push({
      name: PARTITION_LABELS.boot,
      typecode: "EF00",
      size: `+${disk.esp.size}`,
      bytes: bootBytes,
      role: "esp",
    });
  }
  if (disk.swap) {
    specs.push({
      name: PARTITION_LABELS.swap,
      typecode: "8200",
      size: `+${disk.swap.size}`,
      bytes: bytesOf(disk.swap.size),
      role: "swap",
    });
  }
  specs.push({
    name: PARTITION_LABELS.nix,
    typecode: disk.encrypt ? "8309" : "8300",
    size: "0",
    bytes: MIN_NIX_BYTES,
    role: "nix",
  });
  const partitions = specs.map((s, i) => ({
    ...s,
    number: i + 1,
    path: partitionPath(disk.device, i + 1),
  }));
  const find = (role: PartitionSpec["role"]) =>
    partitions.find((p) => p.role === role) ?? null;
  const nixPartition = find("nix")!;
  return {
    device: disk.device,
    partitions,
    minBytes: partitions.reduce((sum, p) => sum + p.bytes, 2 * 1024 ** 2),
    nixDevice: disk.encrypt ? `/dev/mapper/${LUKS_NAME}` : nixPartition.path,
    nixFsType: disk.nix.fsType,
    bootPartition: find("esp") ?? find("boot")!,
    swapPartition: find("swap"),
    nixPartition,
  };
}

/** The mkfs command for the /nix filesystem (forcing over old signatures, labelled). */
export function mkfsNix(fsType: NixFsType, device: string): string[] {
  switch (fsType) {
    case "btrfs":
      return ["mkfs.btrfs", "-f", "-L", FILESYSTEM_LABELS.nix, device];
    case "ext4":
      return ["mkfs.ext4", "-F", "-L", FILESYSTEM_LABELS.nix, device];
    case "xfs":
      return ["mkfs.xfs", "-f", "-L", FILESYSTEM_LABELS.nix, device];
  }
}
