// Parses `lsblk -J -b -O` into a tree of block devices. Pure.
//
// lsblk has changed its JSON over the years: before util-linux 2.33 every
// value was a string ("0", "1", "512"); 2.37 added the `mountpoints` array
// beside the single `mountpoint`. Both shapes are read. Without udev (test
// machines, some containers) lsblk knows no filesystem type, label or UUID:
// those are merged in from blkid (see probe-blkid.ts).

export interface BlockDevice {
  name: string;
  kname: string;
  /** "/dev/..." as lsblk names it ("/dev/mapper/x" for device-mapper). */
  path: string;
  /** lsblk TYPE: disk, part, loop, rom, crypt, lvm, raid1, md, ... */
  type: string;
  sizeBytes: number;
  fsType: string | null;
  label: string | null;
  partLabel: string | null;
  uuid: string | null;
  partUuid: string | null;
  model: string | null;
  serial: string | null;
  transport: string | null;
  removable: boolean;
  hotplug: boolean;
  readOnly: boolean;
  majMin: string | null;
  /** Where it is mounted (swap is not a mount point: see `isSwap`). */
  mountPoints: string[];
  /** Filesystem roots of those mounts, in the same order ("/" or a btrfs subvolume). */
  fsRoots: string[];
  /** lsblk marks active swap with the pseudo mount point "[SWAP]". */
  isSwap: boolean;
  children: BlockDevice[];
}

type Raw = Record<string, unknown>;

export class LsblkParseError extends Error {}

export function parseLsblk(json: string): BlockDevice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new LsblkParseError(
      `lsblk printed something that is not JSON (${(error as Error).message})`,
    );
  }
  const list = (parsed as Raw | null)?.blockdevices;
  if (!Array.isArray(list)) {
    throw new LsblkParseError('lsblk JSON has no "blockdevices" list');
  }
  return list.map((raw) => toDevice(raw as Raw));
}

function toDevice(raw: Raw): BlockDevice {
  const name = text(raw.name) ?? "";
  const kname = text(raw.kname) ?? name;
  const rawMounts = Array.isArray(raw.mountpoints)
    ? raw.mountpoints
    : [raw.mountpoint];
  const rawRoots = Array.isArray(raw.fsroots) ? raw.fsroots : [];
  const mountPoints: string[] = [];
  const fsRoots: string[] = [];
  let isSwap = false;
  rawMounts.forEach((m, i) => {
    const target = text(m);
    if (target === null) return;
    if (target === "[SWAP]") {
      isSwap = true;
      return;
    }
    mountPoints.push(target);
    fsRoots.push(text(rawRoots[i]) ?? "/");
  });
  const children = Array.isArray(raw.children)
    ? raw.children.map((c) => toDevice(c as Raw))
    : [];
  return {
    name,
    kname,
    path: text(raw.path) ?? `/dev/${name}`,
    type: text(raw.type) ?? "unknown",
    sizeBytes: number(raw.size),
    fsType: text(raw.fstype),
    label: text(raw.label),
    partLabel: text(raw.partlabel),
    uuid: text(raw.uuid),
    partUuid: text(raw.partuuid),
    model: text(raw.model),
    serial: text(raw.serial),
    transport: text(raw.tran),
    removable: flag(raw.rm),
    hotplug: flag(raw.hotplug),
    readOnly: flag(raw.ro),
    majMin: text(raw["maj:min"]),
    mountPoints,
    fsRoots,
    isSwap,
    children,
  };
}

/** Trimmed text, or null for null, "" and non-strings (vendor strings are space-padded). */
function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function number(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return Number(value);
  return 0;
}

function flag(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "true";
}

/** Every device in the tree, parents before children. */
export function* walkDevices(
  devices: BlockDevice[],
): Generator<BlockDevice, void, undefined> {
  for (const device of devices) {
    yield device;
    yield* walkDevices(device.children);
  }
}
