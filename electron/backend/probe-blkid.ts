// Parses `blkid -o export` and merges what it knows into lsblk's tree. Pure.
// blkid reads the superblocks itself, so it knows filesystem types, labels and
// UUIDs where lsblk (which asks udev) does not: on machines without udev.
import { walkDevices, type BlockDevice } from "./probe-lsblk";

export type BlkidInfo = Record<string, string>;

/** Blocks of KEY=value lines separated by blank lines, keyed by DEVNAME. */
export function parseBlkidExport(text: string): Map<string, BlkidInfo> {
  const result = new Map<string, BlkidInfo>();
  let current: BlkidInfo = {};
  const flush = () => {
    if (current.DEVNAME) result.set(current.DEVNAME, current);
    current = {};
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      flush();
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!/^[A-Z_]+$/.test(key)) continue;
    // export format escapes shell-special characters with a backslash.
    current[key] = line.slice(eq + 1).replace(/\\(.)/g, "$1");
  }
  flush();
  return result;
}

/** Fills what lsblk left empty from blkid; lsblk's own values stay. */
export function mergeBlkid(
  devices: BlockDevice[],
  blkid: Map<string, BlkidInfo>,
): void {
  for (const device of walkDevices(devices)) {
    const info = blkid.get(device.path) ?? blkid.get(`/dev/${device.kname}`);
    if (!info) continue;
    device.fsType ??= info.TYPE ?? null;
    device.label ??= info.LABEL ?? null;
    device.uuid ??= info.UUID ?? null;
    device.partLabel ??= info.PARTLABEL ?? null;
    device.partUuid ??= info.PARTUUID ?? null;
  }
}
