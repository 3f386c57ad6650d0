// Turns lsblk's device tree into the disks Tabula shows and may offer as
// install targets, each with the one reason it cannot be chosen. Pure.
import type { Disk, Partition } from "../../shared/machine/types";
import { walkDevices, type BlockDevice } from "./probe-lsblk";
import type { ActiveSwap } from "./probe-proc";

/**
 * Mount points that mean "this disk runs the system Tabula runs on" (on the
 * LiveCD: its medium at /iso and the squashfs store loop-mounted from it).
 */
const SYSTEM_MOUNTS = [
  "/",
  "/nix",
  "/nix/store",
  "/boot",
  "/boot/efi",
  "/efi",
  "/iso",
  "/nix/.ro-store",
];

/** Device types that are stacked on a partition and keep it open. */
const HOLDER_TYPES = new Set(["crypt", "lvm", "dm", "mpath", "md"]);

export interface DiskContext {
  swaps: ActiveSwap[];
  /** Top-level device paths the LiveCD booted from. */
  bootMedium: Set<string>;
}

/** Whole disks worth showing: not RAM disks, not empty drives or unattached loops. */
export function isCandidateDisk(device: BlockDevice): boolean {
  if (!["disk", "loop", "rom"].includes(device.type)) return false;
  if (/^(zram|ram)\d+$/.test(device.kname)) return false;
  return device.sizeBytes > 0;
}

export function buildDisks(devices: BlockDevice[], ctx: DiskContext): Disk[] {
  const swapPaths = new Set(ctx.swaps.map((s) => s.path));
  const isSwap = (d: BlockDevice) =>
    d.isSwap || swapPaths.has(d.path) || swapPaths.has(`/dev/${d.kname}`);
  return devices.filter(isCandidateDisk).map((device) => {
    const partitions = partitionsOf(device);
    const isBootMedium = ctx.bootMedium.has(device.path);
    const usage = usageOf(device, isSwap);
    const reason = isBootMedium
      ? "Tabula started from this device (the LiveCD's boot medium): it is never offered as an install target."
      : (usage.reason ??
        (device.type === "rom"
          ? "This is an optical drive: Tabula installs to disks."
          : device.readOnly
            ? "This device is read-only."
            : null));
    return {
      path: device.path,
      sizeBytes: device.sizeBytes,
      model: device.model,
      serial: device.serial,
      transport: device.transport,
      removable: device.removable || device.hotplug,
      readOnly: device.readOnly,
      partitions,
      isBootMedium,
      inUse: usage.inUse,
      unavailableReason: reason,
    };
  });
}

function partitionsOf(disk: BlockDevice): Partition[] {
  const parts = disk.children.filter((c) => c.type === "part");
  // A filesystem written to the whole disk (no partition table) is shown as
  // the disk's one "partition", so the disk does not look empty.
  const shown = parts.length === 0 && disk.fsType ? [disk] : parts;
  return shown.map((p) => ({
    path: p.path,
    sizeBytes: p.sizeBytes,
    fsType: p.fsType,
    label: p.label,
    partLabel: p.partLabel,
    uuid: p.uuid,
    partUuid: p.partUuid,
    // Mounted through LUKS or LVM counts too: the UI says "mounted at /".
    mountPoints: [
      ...new Set(
        [...walkDevices(p === disk ? [withoutChildren(p)] : [p])].flatMap(
          (d) => d.mountPoints,
        ),
      ),
    ],
  }));
}

function withoutChildren(device: BlockDevice): BlockDevice {
  return { ...device, children: [] };
}

function usageOf(
  disk: BlockDevice,
  isSwap: (d: BlockDevice) => boolean,
): { inUse: boolean; reason: string | null } {
  const all = [...walkDevices([disk])];
  for (const d of all) {
    const system = d.mountPoints.find((m) => SYSTEM_MOUNTS.includes(m));
    if (system) {
      return {
        inUse: true,
        reason: `This disk holds the running system (${d.path} is mounted at ${system}).`,
      };
    }
  }
  for (const d of all) {
    if (d.mountPoints.length > 0) {
      return {
        inUse: true,
        reason: `This disk is in use: ${d.path} is mounted at ${d.mountPoints[0]}; unmount it first.`,
      };
    }
  }
  for (const d of all) {
    if (isSwap(d)) {
      return {
        inUse: true,
        reason: `This disk is in use: ${d.path} is active swap; run "swapoff ${d.path}" first.`,
      };
    }
  }
  for (const d of all) {
    const holder = d.children.find(
      (c) => HOLDER_TYPES.has(c.type) || /^raid/.test(c.type),
    );
    if (holder) {
      return {
        inUse: true,
        reason: `This disk is in use: ${d.path} is held open by ${holder.path} (${holder.type}); close it first.`,
      };
    }
  }
  return { inUse: false, reason: null };
}
