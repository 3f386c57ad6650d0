// The top level of a design: its identity fields, the tmpfs root, and the
// one block its mode needs, then persistence, users and groups. The result
// may have holes where a field was wrong (each reported); validateDesign
// hands it out only when there is no error.
import { parseSize } from "../../size";
import type { Obj } from "../reader";
import {
  DESIGN_FORMAT,
  MODES,
  type Design,
  type Mode,
  type PersistenceDesign,
} from "../types";
import type { ReadContext } from "./context";
import { readConvert } from "./convert";
import { readDisk } from "./disk";
import { readSize } from "./fields";
import { readPersistence } from "./persistence";
import { readRecover } from "./recover";
import { FIELDS, SYSTEMS } from "./schema";
import { readGroups, readUsers } from "./users";

/** networking.hostName's own check in NixOS: letters, digits, "-" and "_", no dots. */
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

/** The block each mode needs; a block for another mode is a mistake. */
const MODE_BLOCKS = {
  install: "disk",
  convert: "convert",
  recover: "recover",
} as const;

export function readDesign(
  ctx: ReadContext,
  input: unknown,
): Design | undefined {
  const o = ctx.r.object(
    input === undefined ? null : input,
    "",
    FIELDS.design,
    "a Tabula design",
  );
  if (!o) return undefined;
  const format = ctx.r.required(
    o,
    "format",
    "",
    `add "format": "${DESIGN_FORMAT}"`,
  );
  if (format !== undefined && format !== DESIGN_FORMAT) {
    ctx.findings.error(
      "format",
      `${JSON.stringify(format)} is not a format this Tabula reads: use "${DESIGN_FORMAT}"`,
    );
  }
  const mode = ctx.r.oneOf<Mode>(
    ctx.r.required(o, "mode", "", 'give "install", "convert" or "recover"'),
    "mode",
    MODES,
  );
  const hostname = readHostname(ctx, o);
  const system = ctx.r.oneOf(
    ctx.r.required(o, "system", "", 'give the platform, e.g. "x86_64-linux"'),
    "system",
    SYSTEMS,
  );
  const stateVersion = readStateVersion(ctx, o);
  const root = readRoot(ctx, o);
  const design = {
    format: DESIGN_FORMAT,
    mode,
    hostname,
    system,
    stateVersion,
    root,
  } as Design;

  if (mode !== undefined) checkModeBlocks(ctx, o, mode);
  if (mode === "install" && o.disk !== undefined)
    design.disk = readDisk(ctx, o.disk);
  if (mode === "convert" && o.convert !== undefined)
    design.convert = readConvert(ctx, o.convert);
  if (mode === "recover" && o.recover !== undefined)
    design.recover = readRecover(ctx, o.recover);

  design.persistence = readPersistence(
    ctx,
    o.persistence === undefined ? {} : o.persistence,
  ) as PersistenceDesign;
  design.users = readUsers(ctx, o.users);
  if (o.groups !== undefined) design.groups = readGroups(ctx, o.groups);
  if (o.notes !== undefined)
    design.notes = ctx.r.string(o.notes, "notes", "free text");
  return design;
}

/** Reports the mode's block when missing, and any other mode's block. */
function checkModeBlocks(ctx: ReadContext, o: Obj, mode: Mode): void {
  for (const [m, key] of Object.entries(MODE_BLOCKS)) {
    if (m === mode && o[key] === undefined)
      ctx.findings.error(
        key,
        `is missing: ${mode === "install" ? "an" : "a"} ${mode} design needs it (see docs/design-format.md)`,
      );
    if (m !== mode && o[key] !== undefined)
      ctx.findings.error(
        key,
        `belongs to ${m} mode, but this design's mode is "${mode}": remove it or change the mode`,
      );
  }
}

function readHostname(ctx: ReadContext, o: Obj): string | undefined {
  const value = ctx.r.string(
    ctx.r.required(
      o,
      "hostname",
      "",
      'give the machine\'s name, e.g. "orchid"',
    ),
    "hostname",
    'e.g. "orchid"',
  );
  if (value === undefined) return undefined;
  if (!HOSTNAME.test(value)) {
    ctx.findings.error(
      "hostname",
      `${JSON.stringify(value)} is not a valid host name: use letters, digits, "-" and "_" (no dots, at most 63 characters, starting and ending with a letter or digit)`,
    );
    return undefined;
  }
  return value;
}

function readStateVersion(ctx: ReadContext, o: Obj): string | undefined {
  const value = ctx.r.string(
    ctx.r.required(
      o,
      "stateVersion",
      "",
      'give the NixOS release this system was first installed with, e.g. "25.11"',
    ),
    "stateVersion",
    'e.g. "25.11"',
  );
  if (value === undefined) return undefined;
  if (!/^[0-9]{2}\.[0-9]{2}$/.test(value)) {
    ctx.findings.error(
      "stateVersion",
      `${JSON.stringify(value)} is not a NixOS release: write it as YY.MM, e.g. "25.11"`,
    );
    return undefined;
  }
  return value;
}

function readRoot(ctx: ReadContext, o: Obj): { size: string } | undefined {
  const root = ctx.r.object(
    ctx.r.required(o, "root", "", 'give the tmpfs root, e.g. { "size": "4G" }'),
    "root",
    FIELDS.root,
    "the tmpfs root",
  );
  if (!root) return undefined;
  const size = readSize(
    ctx,
    ctx.r.required(
      root,
      "size",
      "root",
      'give the tmpfs size, e.g. "4G" or "25%"',
    ),
    "root.size",
    true,
  );
  if (size === undefined) return undefined;
  const parsed = parseSize(size, { allowPercent: true });
  if (
    parsed.ok &&
    parsed.size.kind === "bytes" &&
    parsed.size.bytes < 512 * 1024 ** 2
  )
    ctx.findings.warn(
      "root.size",
      `${size} is a small tmpfs root: everything written outside persistent storage until the next boot must fit in it; 2G or more is usual`,
    );
  return { size };
}
