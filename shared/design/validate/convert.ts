// The convert mode's "convert" block: the installed system's root filesystem,
// its configuration, its boot filesystem, and what else its layout holds
// (LUKS under the root, a /nix of its own, other mounts, swap files).
import { at, type Obj } from "../reader";
import type { ConvertDesign, LuksRef } from "../types";
import type { ReadContext } from "./context";
import {
  BOOTLOADERS,
  readAbsolutePath,
  readConfigType,
  readDevice,
  readFlakeAttr,
  readFsRef,
} from "./fields";
import { FIELDS } from "./schema";

/** Where the boot filesystem can be mounted: /boot itself, or an ESP beside a /boot folder. */
export const BOOT_MOUNT_POINTS = ["/boot", "/boot/efi", "/efi"] as const;

/** A name cryptsetup can open: no "/", no space or control character. */
const MAPPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,126}$/;

export function readConvert(
  ctx: ReadContext,
  value: unknown,
): ConvertDesign | undefined {
  const ref = readFsRef(
    ctx,
    value,
    "convert",
    "the existing root filesystem",
    FIELDS.convert,
  );
  if (!ref) return undefined;
  const o = value as Obj;
  const configDir = readAbsolutePath(
    ctx,
    ctx.r.required(
      o,
      "configDir",
      "convert",
      'give the configuration folder, e.g. "/etc/nixos"',
    ),
    "convert.configDir",
  );
  const configType = readConfigType(ctx, o, "convert");
  const flakeAttr = readFlakeAttr(ctx, o, "convert", configType);
  const bootloader =
    o.bootloader === undefined
      ? undefined
      : ctx.r.oneOf(o.bootloader, "convert.bootloader", BOOTLOADERS);
  const boot = readBoot(ctx, o, bootloader);
  return {
    ...ref,
    configDir,
    configType,
    flakeAttr,
    boot,
    bootloader,
    luks: o.luks === undefined ? undefined : readLuks(ctx, o.luks),
    lvm: o.lvm === undefined ? undefined : readLvm(ctx, o.lvm),
    nix:
      o.nix === undefined
        ? undefined
        : readFsRef(
            ctx,
            o.nix,
            "convert.nix",
            "the filesystem the configuration mounts at /nix",
            FIELDS.fsRef,
          ),
    keptMounts: readPaths(ctx, o.keptMounts, "convert.keptMounts", "/home"),
    swapFiles: readPaths(ctx, o.swapFiles, "convert.swapFiles", "/swapfile"),
    swapDevices: readDevices(ctx, o.swapDevices, "convert.swapDevices"),
  } as ConvertDesign;
}

/**
 * The boot filesystem. Without one, /boot is a folder on the root, which
 * only GRUB reads (systemd-boot needs an ESP); the same holds when the ESP is
 * mounted beside it (/boot/efi), so the bootloader must be named there.
 */
function readBoot(
  ctx: ReadContext,
  o: Obj,
  bootloader: ConvertDesign["bootloader"],
): ConvertDesign["boot"] {
  const boot =
    o.boot === undefined
      ? undefined
      : readFsRef(
          ctx,
          o.boot,
          "convert.boot",
          "the boot filesystem",
          FIELDS.boot,
        );
  const mountPoint = boot?.mountPoint;
  if (
    mountPoint !== undefined &&
    !(BOOT_MOUNT_POINTS as readonly string[]).includes(mountPoint)
  )
    ctx.findings.error(
      "convert.boot.mountPoint",
      `${JSON.stringify(mountPoint)} is not where NixOS mounts a boot filesystem: give "/boot", or "/boot/efi" or "/efi" for an ESP beside a /boot folder`,
    );
  if (o.boot === undefined && o.bootloader === undefined)
    ctx.findings.error(
      "convert.boot",
      'is missing: without a separate ESP or /boot filesystem, /boot is a folder on the root filesystem, which only GRUB boots from; give the ESP or /boot filesystem (device, fsType), or set convert.bootloader to "grub" if this system boots with GRUB from /boot on the root',
    );
  else if (o.boot === undefined && bootloader === "systemd-boot")
    ctx.findings.error(
      "convert.boot",
      "is missing: systemd-boot boots from an EFI system partition, so this system has one; give it (device, fsType, mountPoint)",
    );
  else if (boot && mountPoint !== undefined && mountPoint !== "/boot")
    if (o.bootloader === undefined)
      ctx.findings.error(
        "convert.bootloader",
        `is missing: with the ESP at ${mountPoint}, /boot is a folder on the root filesystem, and what happens to it depends on the bootloader; give "grub" or "systemd-boot"`,
      );
  return boot;
}

function readLuks(ctx: ReadContext, value: unknown): LuksRef | undefined {
  const o = ctx.r.object(
    value,
    "convert.luks",
    FIELDS.luks,
    "the LUKS container under the root filesystem",
  );
  if (!o) return undefined;
  const device = readDevice(
    ctx,
    ctx.r.required(
      o,
      "device",
      "convert.luks",
      'give the LUKS partition, e.g. "/dev/disk/by-uuid/..."',
    ),
    "convert.luks.device",
    "/dev/disk/by-uuid/...",
  );
  const name = ctx.r.string(
    ctx.r.required(
      o,
      "name",
      "convert.luks",
      'give the name boot.initrd.luks.devices uses, e.g. "luks-3f1c..."',
    ),
    "convert.luks.name",
    'e.g. "cryptroot"',
  );
  if (name !== undefined && !MAPPER_NAME.test(name)) {
    ctx.findings.error(
      "convert.luks.name",
      `${JSON.stringify(name)} cannot be a /dev/mapper name: start with a letter or digit and use letters, digits, ".", "_", "+" and "-", as boot.initrd.luks.devices names it`,
    );
    return undefined;
  }
  return device === undefined || name === undefined
    ? undefined
    : { device, name };
}

/**
 * A root on LVM: read so the probe can say so, then refused. The LiveCD
 * would have to activate the volume group (vgchange -ay) before mounting and
 * deactivate it after; that step is not built, and it cannot be tested on
 * machines without device-mapper.
 */
function readLvm(
  ctx: ReadContext,
  value: unknown,
): { volumeGroup: string } | undefined {
  const o = ctx.r.object(
    value,
    "convert.lvm",
    FIELDS.lvm,
    "the LVM volume group of the root filesystem",
  );
  if (!o) return undefined;
  const volumeGroup = ctx.r.string(
    ctx.r.required(o, "volumeGroup", "convert.lvm", 'e.g. "vg0"'),
    "convert.lvm.volumeGroup",
    'e.g. "vg0"',
  );
  if (volumeGroup !== undefined)
    ctx.findings.error(
      "convert.lvm",
      `the root filesystem is a logical volume of LVM volume group ${JSON.stringify(volumeGroup)}: Tabula does not convert a root on LVM yet (the LiveCD would have to activate the volume group before the migration, a step Tabula does not have). Nothing was changed; convert it by hand, following docs/step-script.md`,
    );
  return volumeGroup === undefined ? undefined : { volumeGroup };
}

function readPaths(
  ctx: ReadContext,
  value: unknown,
  path: string,
  example: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const list = ctx.r.list(value, path, `absolute paths, e.g. ["${example}"]`);
  if (!list) return undefined;
  const out: string[] = [];
  list.forEach((item, i) => {
    const p = readAbsolutePath(ctx, item, at(path, i), example);
    if (p === undefined) return;
    if (p === "/" || p === "/nix" || p.startsWith("/nix/"))
      ctx.findings.error(
        at(path, i),
        `"${p}" ${p === "/" ? "is the root itself" : "is under /nix: a /nix of its own is convert.nix"}; remove it`,
      );
    else if (out.includes(p))
      ctx.findings.error(at(path, i), `"${p}" is listed twice: remove one`);
    else out.push(p);
  });
  return out;
}

function readDevices(
  ctx: ReadContext,
  value: unknown,
  path: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const list = ctx.r.list(
    value,
    path,
    'device paths, e.g. ["/dev/disk/by-uuid/..."]',
  );
  if (!list) return undefined;
  const out: string[] = [];
  list.forEach((item, i) => {
    const d = readDevice(ctx, item, at(path, i), "/dev/disk/by-uuid/...");
    if (d !== undefined && !out.includes(d)) out.push(d);
  });
  return out;
}
