// The partitions an install design will create, in disk order, with their
// sizes, for the proportional bar on the Disk screen. Sizes that do not parse
// yet (the user is typing) count as zero; validation names the field.
import { parseSize } from "../../../shared/size";
import type { DiskDesign } from "../../../shared/design/types";

export interface LayoutSegment {
  key: "bios" | "esp" | "boot" | "swap" | "nix";
  label: string;
  detail: string;
  bytes: number;
  /** The segment takes whatever the others leave. */
  rest: boolean;
  /**
   * Its size is not known: a size still being typed (or invalid), or /nix
   * before a disk is chosen. `bytes` is then 0, and the legend says so
   * instead of showing "0 B".
   */
  unsized?: boolean;
}

const MiB = 1024 ** 2;

/** A fixed size in bytes, or null when it does not parse (yet). */
function bytesOf(size: string | undefined): number | null {
  if (!size) return null;
  const r = parseSize(size);
  return r.ok && r.size.kind === "bytes" ? r.size.bytes : null;
}

/** bytes and unsized of a segment sized by SIZE. */
function sized(size: string | undefined): { bytes: number; unsized?: true } {
  const bytes = bytesOf(size);
  return bytes === null ? { bytes: 0, unsized: true } : { bytes };
}

export function partitionLayout(
  disk: DiskDesign,
  diskBytes: number | null,
): { segments: LayoutSegment[]; fixedBytes: number; fits: boolean } {
  const segments: LayoutSegment[] = [];
  if (disk.bootloader === "grub") {
    segments.push({
      key: "bios",
      label: "BIOS boot",
      detail: "1 MiB for GRUB's core on a GPT disk",
      bytes: MiB,
      rest: false,
    });
    segments.push({
      key: "boot",
      label: "/boot",
      detail: "kernels and GRUB",
      ...sized(disk.esp.size),
      rest: false,
    });
  } else {
    segments.push({
      key: "esp",
      label: "EFI system (/boot)",
      detail: "FAT32, kernels and systemd-boot",
      ...sized(disk.esp.size),
      rest: false,
    });
  }
  if (disk.swap) {
    segments.push({
      key: "swap",
      label: "swap",
      detail: disk.encrypt ? "encrypted with a random key at every boot" : "",
      ...sized(disk.swap.size),
      rest: false,
    });
  }
  const fixedBytes = segments.reduce((n, s) => n + s.bytes, 0);
  const nixBytes = diskBytes === null ? 0 : Math.max(0, diskBytes - fixedBytes);
  segments.push({
    key: "nix",
    label: "/nix",
    detail: `${disk.nix.fsType}${disk.encrypt ? " on LUKS2" : ""}, the store and /nix/persistent`,
    bytes: nixBytes,
    rest: true,
    ...(diskBytes === null ? { unsized: true as const } : {}),
  });
  // Leave at least 8 GiB for /nix: less cannot hold a NixOS system.
  const fits = diskBytes === null || diskBytes - fixedBytes >= 8 * 1024 ** 3;
  return { segments, fixedBytes, fits };
}
