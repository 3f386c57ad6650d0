// The convert mode's "convert" block: the installed system's root filesystem,
// its configuration and its boot filesystem.
import type { Obj } from "../reader";
import type { ConvertDesign } from "../types";
import type { ReadContext } from "./context";
import {
  BOOTLOADERS,
  readAbsolutePath,
  readFlakeAttr,
  readFsRef,
} from "./fields";
import { FIELDS } from "./schema";

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
  const flakeAttr = readFlakeAttr(ctx, o, "convert");
  let boot: ConvertDesign["boot"];
  if (o.boot === undefined)
    ctx.findings.error(
      "convert.boot",
      "is missing: without a separate ESP or /boot filesystem, /boot lives inside the old root, which the migration moves aside; give that filesystem (device, fsType), or convert by hand",
    );
  else
    boot = readFsRef(
      ctx,
      o.boot,
      "convert.boot",
      "the boot filesystem",
      FIELDS.boot,
    );
  const bootloader =
    o.bootloader === undefined
      ? undefined
      : ctx.r.oneOf(o.bootloader, "convert.bootloader", BOOTLOADERS);
  return { ...ref, configDir, flakeAttr, boot, bootloader } as ConvertDesign;
}
