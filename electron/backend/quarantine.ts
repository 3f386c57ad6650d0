// Browsing the old-root/ quarantine of a converted install, one folder at a
// time, straight from its partition: the Recover screen's tree from the
// LiveCD, where nothing is mounted. Read-only, always:
//
// - a partition that is mounted is read where it is mounted;
// - an unmounted one is mounted read-only (no journal replay) in a private
//   mount namespace for the one listing, exactly as the probe looks inside
//   filesystems (probe-installs.ts): no other process sees that mount, and it
//   goes away with its process as soon as the listing is read, even if
//   Tabula is killed. Nothing stays mounted to get in the way of a run;
// - the LiveCD's own boot medium is never looked inside;
// - the walk stays in old-root/: no "..", and no symbolic link is followed,
//   neither on the way down (open folders, list-dir.ts) nor in the listing.
import path from "node:path";
import type { DirEntryInfo } from "../../shared/api/contract";
import type { MachineFacts } from "../../shared/machine/types";
import { QUARANTINE } from "../../shared/plan/labels";
import { listOpenFolder, openFolder, pathParts, walkDown } from "./list-dir";
import { READ_ONLY_OPTIONS, withPrivateMount } from "./probe-installs";
import { walkDevices, type BlockDevice } from "./probe-lsblk";
import type { BlockLayout } from "./probe";

export interface QuarantineArgs {
  /** The partition, as the probe names it (`installs[].device`). */
  device: string;
  /** The btrfs subvolume holding the install (`installs[].subvolume`), if any. */
  subvolume?: string | null;
  /** A folder inside old-root/, e.g. "/var/lib" ("" or "/" for old-root/ itself). */
  path: string;
}

type Listing = { entries: DirEntryInfo[] };

/** Where the top of the partition can be read. */
export type TopAccess =
  /** `dir` shows the filesystem's top, or (`subvolumeMounted`) the asked subvolume itself. */
  | { kind: "folder"; dir: string; subvolumeMounted: boolean }
  | { kind: "private-mount"; device: string; fsType: string };

/** The subvolume's parts ("/@" -> ["@"]); anything else than a plain path is refused. */
function subvolumeParts(subvolume: string | null | undefined): string[] {
  if (!subvolume || subvolume === "/") return [];
  return pathParts(
    subvolume,
    () =>
      `The subvolume "${subvolume}" contains "..": give it as the probe found it, e.g. "/@".`,
  );
}

/**
 * Lists one folder of the quarantine, given the top of the filesystem as a
 * folder this process can read (a mount point, the private mount seen through
 * /proc/PID/root, or a sandbox folder).
 */
export async function listQuarantineAt(
  top: string,
  args: QuarantineArgs,
  /** False when `top` is already the subvolume (only it is mounted). */
  walkSubvolume = true,
): Promise<Listing> {
  const rel = pathParts(
    args.path,
    () =>
      `The path "${args.path}" contains "..": give a folder inside ${QUARANTINE}/.`,
  );
  const sub = subvolumeParts(args.subvolume);
  const on = `${args.device}${sub.length ? ` (subvolume /${sub.join("/")})` : ""}`;
  const topDir = await openFolder(
    top,
    () => `The top of ${args.device} cannot be read.`,
  );
  // Down to the install and its old-root/: a missing or linked quarantine is
  // a sentence of its own.
  let quarantine;
  try {
    const down = walkSubvolume ? sub : [];
    quarantine = await walkDown(topDir, [...down, QUARANTINE], {
      show: (parts) =>
        parts.length > down.length
          ? `${QUARANTINE}/ on ${on}`
          : `/${parts.join("/")} on ${args.device}`,
    });
  } catch (error) {
    const message = (error as Error).message;
    if (
      message.startsWith(`${QUARANTINE}/ on`) &&
      /does not exist/.test(message)
    )
      throw new Error(
        `${on} has no ${QUARANTINE}/ at its top: there is nothing to recover from there. Choose the partition that holds the converted /nix.`,
      );
    throw error;
  }
  const naming = {
    show: (parts: string[]) => `${QUARANTINE}/${parts.join("/")} on ${on}`,
  };
  const dir = await walkDown(quarantine, rel, naming);
  return listOpenFolder(dir, naming.show(rel));
}

/** Whole disks whose partitions Tabula never looks inside (the LiveCD's boot medium). */
function diskHolding(
  devices: BlockDevice[],
  device: string,
): BlockDevice | null {
  for (const top of devices)
    for (const d of walkDevices([top])) if (d.path === device) return top;
  return null;
}

/**
 * How to reach the top of `device` on the real machine, or a sentence saying
 * why Tabula will not look there. Pure: `layout` is what readBlockLayout found.
 */
export function resolveQuarantine(
  layout: Pick<BlockLayout, "devices" | "bootMedium">,
  device: string,
  subvolume: string | null | undefined,
): { ok: true; access: TopAccess } | { ok: false; message: string } {
  const disk = diskHolding(layout.devices, device);
  const found = [...walkDevices(layout.devices)].find((d) => d.path === device);
  if (!disk || !found)
    return {
      ok: false,
      message: `${device} is not a block device on this machine; choose one of the installs Tabula found on the Start screen.`,
    };
  if (layout.bootMedium?.disks.includes(disk.path))
    return {
      ok: false,
      message: `${device} is on ${disk.path}, the LiveCD's boot medium: Tabula never looks inside it.`,
    };
  const fsType = found.fsType;
  if (!fsType || !(fsType in READ_ONLY_OPTIONS))
    return {
      ok: false,
      message: `${device} holds ${fsType ? `a ${fsType} filesystem` : "no filesystem Tabula knows"}; a converted /nix partition is ext4, xfs or btrfs.`,
    };
  const top = found.fsRoots.indexOf("/");
  if (top >= 0)
    return {
      ok: true,
      access: {
        kind: "folder",
        dir: found.mountPoints[top]!,
        subvolumeMounted: false,
      },
    };
  // Only a subvolume is mounted (the running root "subvol=@"): it will do
  // when it is the one asked for.
  const sub = subvolume ? found.fsRoots.indexOf(subvolume) : -1;
  if (sub >= 0)
    return {
      ok: true,
      access: {
        kind: "folder",
        dir: found.mountPoints[sub]!,
        subvolumeMounted: true,
      },
    };
  return { ok: true, access: { kind: "private-mount", device, fsType } };
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Lists a quarantine folder on the real machine. `layout` reads the disks
 * afresh (readBlockLayout), so a partition mounted or unmounted since the
 * probe is read the right way.
 */
export async function listQuarantineOnMachine(
  args: QuarantineArgs,
  options: {
    layout: () => Promise<Pick<BlockLayout, "devices" | "bootMedium">>;
    /** Mounting needs root; default: whether this process is root. */
    isRoot?: boolean;
    timeoutMs?: number;
  },
): Promise<Listing> {
  const where = resolveQuarantine(
    await options.layout(),
    args.device,
    args.subvolume,
  );
  if (!where.ok) throw new Error(where.message);
  const access = where.access;
  if (access.kind === "folder")
    return listQuarantineAt(access.dir, args, !access.subvolumeMounted);
  if (!(options.isRoot ?? process.getuid?.() === 0))
    throw new Error(
      `${args.device} is not mounted, and only root can mount it to look inside: start Tabula as root, or mount ${args.device} yourself (read-only is enough).`,
    );
  // The listing's own errors travel as a value, so that they are not taken
  // for a failed mount (which tries the next mount options).
  const outcome = await withPrivateMount(
    access.device,
    access.fsType,
    options.timeoutMs ?? 20_000,
    async (dir) => {
      try {
        return { listing: await listQuarantineAt(dir, args) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    },
  );
  if (!outcome.ok) throw new Error(sentence(outcome.message));
  if ("error" in outcome.value) throw new Error(outcome.value.error);
  return outcome.value.listing;
}

/**
 * The sandbox's pretend machine: its partitions are facts, and the one real
 * folder stands for /dev/nvme0n1p2. The same refusals as on a real machine.
 */
export async function listQuarantineInSandbox(
  args: QuarantineArgs,
  facts: MachineFacts,
  folders: Readonly<Record<string, string>>,
): Promise<Listing> {
  const disk = facts.disks.find(
    (d) =>
      d.path === args.device ||
      d.partitions.some((p) => p.path === args.device),
  );
  if (!disk)
    throw new Error(
      `${args.device} is not a partition of the sandbox's pretend machine; choose one of the installs on the Start screen.`,
    );
  if (disk.isBootMedium)
    throw new Error(
      `${args.device} is on ${disk.path}, the LiveCD's boot medium: Tabula never looks inside it.`,
    );
  const dir = folders[args.device];
  if (!dir)
    throw new Error(
      `${args.device} is a pretend partition with no files in the sandbox; only ${Object.keys(folders).join(", ")} ${Object.keys(folders).length === 1 ? "has" : "have"} a folder.`,
    );
  return listQuarantineAt(path.resolve(dir), args);
}
