// Readers for the value kinds several blocks share: sizes, devices, absolute
// paths, mount options, filesystem references and flake attributes. Each
// reports its own problems and returns undefined for an unusable value.
import { parseSize } from "../../size";
import { systemPathFault } from "../paths";
import { at, type Obj } from "../reader";
import {
  CONFIG_TYPES,
  type Bootloader,
  type ConfigType,
  type FsRef,
} from "../types";
import type { ReadContext } from "./context";
import { FIELDS } from "./schema";

export const BOOTLOADERS: readonly Bootloader[] = ["systemd-boot", "grub"];

const FLAKE_ATTR = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const FS_TYPE = /^[a-z0-9][a-z0-9._+-]*$/;

/** A size such as "4G" (or "25%" where ALLOWPERCENT), in its normal spelling. */
export function readSize(
  ctx: ReadContext,
  value: unknown,
  path: string,
  allowPercent: boolean,
): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseSize(value, { allowPercent });
  if (!parsed.ok) {
    ctx.findings.error(path, parsed.message);
    return undefined;
  }
  return parsed.size.text;
}

/** A partition given as { "size": ... }. */
export function readSizeBlock(
  ctx: ReadContext,
  value: unknown,
  path: string,
  what: string,
): { size: string } | undefined {
  const o = ctx.r.object(value, path, FIELDS.size, what);
  if (!o) return undefined;
  const size = readSize(
    ctx,
    ctx.r.required(o, "size", path, `give its size, e.g. "1G"`),
    at(path, "size"),
    false,
  );
  return size === undefined ? undefined : { size };
}

/** A device path: absolute and normalized. */
export function readDevice(
  ctx: ReadContext,
  value: unknown,
  path: string,
  example: string,
): string | undefined {
  const text = ctx.r.string(value, path, `e.g. "${example}"`);
  if (text === undefined) return undefined;
  const fault = systemPathFault(text);
  if (fault) {
    ctx.findings.error(
      path,
      `${JSON.stringify(text)} ${fault.startsWith("is not absolute") ? `is not an absolute device path: write it in full, e.g. "${example}"` : fault}`,
    );
    return undefined;
  }
  return text;
}

/** An absolute, normalized path other than a device. */
export function readAbsolutePath(
  ctx: ReadContext,
  value: unknown,
  path: string,
  example?: string,
): string | undefined {
  const text = ctx.r.string(
    value,
    path,
    `an absolute path, e.g. "${example ?? "/etc/nixos"}"`,
  );
  if (text === undefined) return undefined;
  const fault = systemPathFault(text, example);
  if (fault) {
    ctx.findings.error(path, `${JSON.stringify(text)} ${fault}`);
    return undefined;
  }
  return text;
}

/** Mount options, one per item: [] when absent, undefined when any is bad. */
export function readMountOptions(
  ctx: ReadContext,
  value: unknown,
  path: string,
): string[] | undefined {
  const list = ctx.r.list(value, path, 'mount options, e.g. ["noatime"]');
  if (!list) return value === undefined ? [] : undefined;
  const out: string[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const p = at(path, i);
    const text = ctx.r.string(item, p, 'a mount option, e.g. "noatime"');
    if (text === undefined) {
      ok = false;
      return;
    }
    let fault: string | null = null;
    if (text === "") fault = "is empty: remove it";
    else if (text.includes(","))
      fault = `${JSON.stringify(text)} holds a comma: give each mount option as its own list item`;
    // eslint-disable-next-line no-control-regex
    else if (/[\s\x00-\x1f\x7f]/.test(text))
      fault = `${JSON.stringify(text)} holds a space or control character, which mount options cannot: remove it`;
    if (fault) {
      ctx.findings.error(p, fault);
      ok = false;
    } else out.push(text);
  });
  return ok ? out : undefined;
}

export function readFsType(
  ctx: ReadContext,
  value: unknown,
  path: string,
): string | undefined {
  const text = ctx.r.string(value, path, 'a filesystem type, e.g. "ext4"');
  if (text === undefined) return undefined;
  if (!FS_TYPE.test(text)) {
    ctx.findings.error(
      path,
      `${JSON.stringify(text)} is not a filesystem type: write it as mount(8) does, e.g. "ext4" or "btrfs"`,
    );
    return undefined;
  }
  return text;
}

/**
 * An existing filesystem (device, fsType, options), and its mountPoint where
 * FIELDS allows one. The object comes back even with holes, so the caller
 * can go on reading the block's other fields.
 */
export function readFsRef(
  ctx: ReadContext,
  value: unknown,
  path: string,
  what: string,
  fields: readonly string[],
): (FsRef & { mountPoint?: string }) | undefined {
  const o = ctx.r.object(value, path, fields, what);
  if (!o) return undefined;
  const device = readDevice(
    ctx,
    ctx.r.required(
      o,
      "device",
      path,
      'give the device, e.g. "/dev/disk/by-uuid/..."',
    ),
    at(path, "device"),
    "/dev/disk/by-uuid/...",
  );
  const fsType = readFsType(
    ctx,
    ctx.r.required(o, "fsType", path, 'give its filesystem type, e.g. "ext4"'),
    at(path, "fsType"),
  );
  const options = readMountOptions(ctx, o.options, at(path, "options"));
  const out = { device, fsType, options } as FsRef & { mountPoint?: string };
  if (fields.includes("mountPoint") && o.mountPoint !== undefined)
    out.mountPoint = readAbsolutePath(
      ctx,
      o.mountPoint,
      at(path, "mountPoint"),
    );
  if (device !== undefined && !/^\/dev\/(disk\/by-|mapper\/)/.test(device))
    ctx.findings.warn(
      at(path, "device"),
      `"${device}" is a kernel name, which can change between boots: prefer its /dev/disk/by-uuid/... or /dev/disk/by-label/... link`,
    );
  return out;
}

/** The configType of the block at PATH ("flake" when absent). */
export function readConfigType(
  ctx: ReadContext,
  o: Obj,
  path: string,
): ConfigType | undefined {
  if (o.configType === undefined) return "flake";
  return ctx.r.oneOf(o.configType, at(path, "configType"), CONFIG_TYPES);
}

/**
 * The flakeAttr of the block at PATH: a nixosConfigurations name, required
 * for a flake; a configuration.nix has none.
 */
export function readFlakeAttr(
  ctx: ReadContext,
  o: Obj,
  path: string,
  configType: ConfigType | undefined = "flake",
): string | undefined {
  if (configType === "configuration.nix") {
    if (o.flakeAttr !== undefined)
      ctx.findings.error(
        at(path, "flakeAttr"),
        `is given, but ${at(path, "configType")} is "configuration.nix", which has no nixosConfigurations: remove it (or set configType to "flake")`,
      );
    return undefined;
  }
  const text = ctx.r.string(
    ctx.r.required(
      o,
      "flakeAttr",
      path,
      'give the name under nixosConfigurations, e.g. "tern" (or set configType to "configuration.nix" for a configuration without a flake)',
    ),
    at(path, "flakeAttr"),
    'e.g. "tern"',
  );
  if (text !== undefined && !FLAKE_ATTR.test(text)) {
    ctx.findings.error(
      at(path, "flakeAttr"),
      `${JSON.stringify(text)} is not a plain attribute name: use letters, digits, "_" and "-" (rename the nixosConfigurations entry if needed)`,
    );
    return undefined;
  }
  return text;
}
