// The machine probe: what Tabula knows about the real machine it runs on.
// It runs lsblk, blkid and findmnt (read-only), reads a few system files, and
// (on the LiveCD only, unless asked) looks inside unmounted filesystems
// through a private read-only mount. Parsing lives in the pure probe-*.ts
// modules beside this one; this file gathers and combines.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { totalmem } from "node:os";
import { join } from "node:path";
import type { FsFacts, MachineFacts, Mount } from "../../shared/machine/types";
import { mergeBlkid, parseBlkidExport } from "./probe-blkid";
import { findBootMedium, type BootMedium } from "./probe-boot-medium";
import { buildDisks } from "./probe-disks";
import { mountAt, parseFindmnt, type MountEntry } from "./probe-findmnt";
import { findInstalls } from "./probe-installs";
import { bootFilesToLook, bootMountOf, detectLayout } from "./probe-layout";
import { parseLsblk, walkDevices, type BlockDevice } from "./probe-lsblk";
import { detectNixosConfig, readHostname } from "./probe-nixos-config";
import { classifyOs, parseOsRelease } from "./probe-os";
import {
  parseFstab,
  parseKernelCmdline,
  parseProcSwaps,
  type FstabEntry,
} from "./probe-proc";
import { describeFailure, runTool } from "./probe-run";
import { findTools } from "./probe-tools";

/** The system files the probe reads; tests point some of them elsewhere. */
export interface ProbeFiles {
  osRelease: string;
  cmdline: string;
  swaps: string;
  fstab: string;
  /** Exists on UEFI machines. */
  efiDir: string;
  nixosConfigDir: string;
  hostname: string;
  /**
   * The running system's root as this process sees it: the boot files that
   * tell the bootloader (/boot/loader/entries, /boot/grub/grub.cfg, ...)
   * are looked for under it.
   */
  systemRoot: string;
}

export const SYSTEM_FILES: ProbeFiles = {
  osRelease: "/etc/os-release",
  cmdline: "/proc/cmdline",
  swaps: "/proc/swaps",
  fstab: "/etc/fstab",
  efiDir: "/sys/firmware/efi",
  nixosConfigDir: "/etc/nixos",
  hostname: "/etc/hostname",
  systemRoot: "/",
};

export interface ProbeOptions {
  /** Only these whole disks (e.g. ["/dev/loop3"]; [] for none); default every disk. */
  disks?: string[];
  /**
   * Look inside unmounted filesystems for installs (a private read-only
   * mount). Default: on the NixOS LiveCD when running as root.
   */
  inspectUnmounted?: boolean;
  /** Where NixOS ISOs mount their boot medium. */
  isoMountPoint?: string;
  files?: Partial<ProbeFiles>;
  /** PATH to look for tools on (default the process's). */
  path?: string;
  /**
   * Read the mounts of this process's mount namespace (`findmnt --task`)
   * instead of Tabula's own: tests build a system in a private namespace.
   */
  mountsOfTask?: number;
}

/** `disks: []` asks about no disk at all (lsblk without arguments lists every one). */
const NO_DISKS = {
  ok: true,
  code: 0,
  stdout: '{"blockdevices": []}',
  stderr: "",
  failure: null,
};

const FINDMNT_ARGS = [
  "-J",
  "-l",
  "-o",
  "TARGET,SOURCE,FSTYPE,OPTIONS,FSROOT,MAJ:MIN",
  "--nofsroot",
];

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
}

/**
 * The block devices (lsblk, with blkid's types and labels merged in), the
 * mounts, the system and the LiveCD's boot medium: what the probe and the
 * quarantine browser (quarantine.ts) both need to know about the disks.
 */
export interface BlockLayout {
  devices: BlockDevice[];
  mounts: MountEntry[];
  os: MachineFacts["os"];
  bootMedium: BootMedium | null;
  warnings: string[];
}

export async function readBlockLayout(
  options: ProbeOptions = {},
): Promise<BlockLayout> {
  const files = { ...SYSTEM_FILES, ...options.files };
  const isoMountPoint = options.isoMountPoint ?? "/iso";
  const warnings: string[] = [];

  const [lsblkOut, findmntOut, osReleaseText, cmdlineText] = await Promise.all([
    options.disks?.length === 0
      ? Promise.resolve(NO_DISKS)
      : runTool("lsblk", ["-J", "-b", "-O", ...(options.disks ?? [])]),
    runTool(
      "findmnt",
      options.mountsOfTask === undefined
        ? FINDMNT_ARGS
        : [...FINDMNT_ARGS, "--task", String(options.mountsOfTask)],
    ),
    readText(files.osRelease),
    readText(files.cmdline),
  ]);

  let devices: BlockDevice[] = [];
  if (lsblkOut.ok) {
    try {
      devices = parseLsblk(lsblkOut.stdout);
    } catch (error) {
      warnings.push(`Disks are unknown: ${(error as Error).message}.`);
    }
  } else {
    warnings.push(`Disks are unknown: ${describeFailure("lsblk", lsblkOut)}.`);
  }

  let mountEntries: MountEntry[] = [];
  if (findmntOut.ok) {
    try {
      mountEntries = parseFindmnt(findmntOut.stdout);
    } catch (error) {
      warnings.push(`Mounts are unknown: ${(error as Error).message}.`);
    }
  } else {
    warnings.push(
      `Mounts are unknown: ${describeFailure("findmnt", findmntOut)}.`,
    );
  }

  const paths = [...new Set([...walkDevices(devices)].map((d) => d.path))];
  if (paths.length > 0) {
    // -c /dev/null: read the superblocks now, not a cache that may be stale.
    // Exit status 2 only means some device holds nothing blkid knows.
    const blkid = await runTool(
      "blkid",
      ["-c", "/dev/null", "-o", "export", ...paths],
      { okCodes: [0, 2] },
    );
    if (blkid.ok) mergeBlkid(devices, parseBlkidExport(blkid.stdout));
    else
      warnings.push(
        `Filesystem types and labels may be missing: ${describeFailure("blkid", blkid)}.`,
      );
  }

  const os = classifyOs(
    parseOsRelease(osReleaseText ?? ""),
    mountEntries,
    isoMountPoint,
  );
  if (osReleaseText === null) {
    warnings.push(
      `${files.osRelease} could not be read: the system is unknown.`,
    );
  }
  const cmdline = cmdlineText === null ? null : parseKernelCmdline(cmdlineText);
  const bootMedium = findBootMedium({
    osKind: os.kind,
    devices,
    mounts: mountEntries,
    cmdline,
    isoMountPoint,
  });
  if (os.kind === "nixos-livecd" && bootMedium === null) {
    warnings.push(
      `Tabula could not tell which device the LiveCD started from (nothing is mounted at ${isoMountPoint} and the kernel's root= names no device here): make sure the disk you choose is not the LiveCD's.`,
    );
  }
  return { devices, mounts: mountEntries, os, bootMedium, warnings };
}

export async function probeMachine(
  options: ProbeOptions = {},
): Promise<MachineFacts> {
  const files = { ...SYSTEM_FILES, ...options.files };
  const [block, swapsText, fstabText] = await Promise.all([
    readBlockLayout(options),
    readText(files.swaps),
    readText(files.fstab),
  ]);
  const { devices, mounts: mountEntries, os, bootMedium } = block;
  const warnings = [...block.warnings];
  const bootDisks = new Set(bootMedium?.disks ?? []);
  const swaps = parseProcSwaps(swapsText ?? "");
  const disks = buildDisks(devices, { swaps, bootMedium: bootDisks });

  const fstab = parseFstab(fstabText ?? "");
  const rootEntry = mountAt(mountEntries, "/");
  const rootFs = rootEntry ? fsFacts(rootEntry, devices, fstab) : null;
  const bootMount = bootMountOf(mountEntries);
  const bootEntry =
    bootMount === null ? null : mountAt(mountEntries, bootMount);
  const bootFs = bootEntry
    ? { ...fsFacts(bootEntry, devices, fstab), mountPoint: bootEntry.target }
    : null;

  const hostname = await readHostname(files.hostname);
  const nixosConfig =
    os.kind === "nixos"
      ? await detectNixosConfig(files.nixosConfigDir, hostname)
      : null;

  const isRoot = process.getuid?.() === 0;
  const { installs, warnings: installWarnings } = await findInstalls(devices, {
    inspectUnmounted:
      options.inspectUnmounted ?? (os.kind === "nixos-livecd" && isRoot),
    skipDisks: bootDisks,
  });
  warnings.push(...installWarnings);
  if (!isRoot) {
    warnings.push(
      "Tabula is not running as root: filesystem types and labels of unmounted partitions may be missing.",
    );
  }

  const firmware = existsSync(files.efiDir) ? "uefi" : "bios";
  const layout = detectLayout({
    osKind: os.kind,
    devices,
    mounts: mountEntries,
    fstab,
    swaps,
    firmware,
    existing: new Set(
      bootFilesToLook(bootMount).filter((p) =>
        existsSync(join(files.systemRoot, p)),
      ),
    ),
  });
  if (layout !== null && fstabText === null)
    warnings.push(
      `${files.fstab} could not be read: the filesystems, swap and device names of this system's configuration are unknown, so the conversion's layout is a guess from the mounts.`,
    );

  return {
    machine: "real",
    os,
    firmware,
    memoryBytes: totalmem(),
    disks,
    mounts: mountEntries.map(toMount),
    rootFs,
    bootFs,
    nixosConfig,
    layout,
    rootIsTmpfs: rootEntry?.fsType === "tmpfs",
    installs,
    tools: findTools(undefined, options.path),
    warnings,
  };
}

function toMount(entry: MountEntry): Mount {
  return {
    target: entry.target,
    source: entry.source,
    fsType: entry.fsType,
    options: entry.options,
  };
}

export function fsFacts(
  entry: MountEntry,
  devices: BlockDevice[],
  fstab: FstabEntry[],
): FsFacts {
  const device = [...walkDevices(devices)].find(
    (d) =>
      d.path === entry.source ||
      `/dev/${d.kname}` === entry.source ||
      d.mountPoints.includes(entry.target),
  );
  const configured = [...fstab].reverse().find((f) => f.file === entry.target);
  return {
    device: entry.source,
    fsType: entry.fsType,
    options: entry.options,
    uuid: device?.uuid ?? null,
    fstabDevice: configured?.spec ?? null,
  };
}
