// The install mode's "disk" block: the whole disk Tabula partitions and what
// goes on it.
import { at } from "../reader";
import { NIX_FS_TYPES, type DiskDesign } from "../types";
import type { ReadContext } from "./context";
import {
  BOOTLOADERS,
  readDevice,
  readMountOptions,
  readSizeBlock,
} from "./fields";
import { FIELDS } from "./schema";

/** Kernel names of partitions rather than disks (sda1, vda2, nvme0n1p3, mmcblk0p1). */
const PARTITION =
  /^\/dev\/(sd[a-z]+[0-9]+|vd[a-z]+[0-9]+|(nvme[0-9]+n[0-9]+|mmcblk[0-9]+)p[0-9]+)$/;

export function readDisk(
  ctx: ReadContext,
  value: unknown,
): DiskDesign | undefined {
  const o = ctx.r.object(value, "disk", FIELDS.disk, "the install disk");
  if (!o) return undefined;
  const device = readDevice(
    ctx,
    ctx.r.required(
      o,
      "device",
      "disk",
      'give the whole disk to erase, e.g. "/dev/nvme0n1"',
    ),
    "disk.device",
    "/dev/nvme0n1",
  );
  if (device && PARTITION.test(device))
    ctx.findings.warn(
      "disk.device",
      `"${device}" looks like a partition: Tabula partitions a whole disk, give the disk itself (e.g. "${device.replace(/p?[0-9]+$/, "")}")`,
    );
  const bootloader = ctx.r.oneOf(
    ctx.r.required(
      o,
      "bootloader",
      "disk",
      'give "systemd-boot" (UEFI) or "grub" (BIOS)',
    ),
    "disk.bootloader",
    BOOTLOADERS,
  );
  const esp = readSizeBlock(
    ctx,
    ctx.r.required(
      o,
      "esp",
      "disk",
      'give the boot partition, e.g. { "size": "1G" }',
    ),
    "disk.esp",
    "the boot partition",
  );
  const swap =
    o.swap === undefined
      ? undefined
      : readSizeBlock(ctx, o.swap, "disk.swap", "the swap partition");
  const encrypt =
    o.encrypt === undefined ? false : ctx.r.boolean(o.encrypt, "disk.encrypt");
  const nix = readNix(
    ctx,
    ctx.r.required(
      o,
      "nix",
      "disk",
      'give the /nix filesystem, e.g. { "fsType": "btrfs" }',
    ),
  );
  const probed = o.probed === undefined ? undefined : readProbed(ctx, o.probed);
  return {
    device,
    bootloader,
    esp,
    swap,
    encrypt,
    nix,
    probed,
  } as DiskDesign;
}

/** disk.nix: the filesystem Tabula makes for /nix. */
function readNix(
  ctx: ReadContext,
  value: unknown,
): DiskDesign["nix"] | undefined {
  const path = "disk.nix";
  const block = ctx.r.object(value, path, FIELDS.nixFs, "the /nix filesystem");
  if (!block) return undefined;
  const fsType = ctx.r.oneOf(
    ctx.r.required(block, "fsType", path, 'give "btrfs", "ext4" or "xfs"'),
    at(path, "fsType"),
    NIX_FS_TYPES,
  );
  const options = readMountOptions(ctx, block.options, at(path, "options"));
  return { fsType, options } as DiskDesign["nix"];
}

/** disk.probed: facts probed when the design was made, checked again by the script. */
function readProbed(ctx: ReadContext, value: unknown): DiskDesign["probed"] {
  const p = ctx.r.object(
    value,
    "disk.probed",
    FIELDS.probed,
    "facts probed from the disk",
  );
  if (!p) return undefined;
  return {
    sizeBytes: ctx.r.integer(
      p.sizeBytes,
      "disk.probed.sizeBytes",
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    model: ctx.r.string(p.model, "disk.probed.model", "the disk model"),
    serial: ctx.r.string(p.serial, "disk.probed.serial", "the serial number"),
  };
}
