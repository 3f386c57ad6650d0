// The recover mode's "recover" block: where the missed state is, the system
// to add it to, and the paths to bring in.
import type { RecoverDesign } from "../types";
import type { ReadContext } from "./context";
import {
  readAbsolutePath,
  readConfigType,
  readFlakeAttr,
  readFsRef,
} from "./fields";
import { readPersistedLists } from "./persistence";
import { FIELDS } from "./schema";

export function readRecover(
  ctx: ReadContext,
  value: unknown,
): RecoverDesign | undefined {
  const o = ctx.r.object(value, "recover", FIELDS.recover, "what to recover");
  if (!o) return undefined;
  const from = ctx.r.oneOf(
    ctx.r.required(
      o,
      "from",
      "recover",
      'give "live" (the running system) or "old-root" (the quarantine of a conversion)',
    ),
    "recover.from",
    ["live", "old-root"] as const,
  );
  const nix = readFsRef(
    ctx,
    ctx.r.required(
      o,
      "nix",
      "recover",
      "give the partition that holds /nix (device, fsType, options)",
    ),
    "recover.nix",
    "the /nix filesystem",
    FIELDS.fsRef,
  );
  const configDir = readAbsolutePath(
    ctx,
    ctx.r.required(
      o,
      "configDir",
      "recover",
      'give the configuration folder, e.g. "/etc/nixos"',
    ),
    "recover.configDir",
  );
  const configType = readConfigType(ctx, o, "recover");
  const flakeAttr = readFlakeAttr(ctx, o, "recover", configType);
  let boot: RecoverDesign["boot"];
  if (o.boot !== undefined)
    boot = readFsRef(
      ctx,
      o.boot,
      "recover.boot",
      "the boot filesystem",
      FIELDS.boot,
    );
  else if (from === "old-root")
    ctx.findings.error(
      "recover.boot",
      "is missing: recovering from the LiveCD rebuilds the system there, which needs the boot filesystem; give its device and fsType",
    );
  const add = readPersistedLists(
    ctx,
    ctx.r.required(
      o,
      "add",
      "recover",
      'give what to bring in, e.g. { "directories": ["/var/lib/docker"] }',
    ),
    "recover.add",
    FIELDS.add,
    "the paths to bring in",
  );
  return {
    from,
    nix,
    configDir,
    configType,
    flakeAttr,
    boot,
    add,
  } as RecoverDesign;
}
