// Finds the device the NixOS LiveCD booted from, so it is never offered as an
// install target. Pure.
//
// What NixOS ISOs do (nixpkgs nixos/modules/installer/cd-dvd/iso-image.nix and
// the stage-1 init): the kernel gets `root=LABEL=<isoImage.volumeID>`, stage 1
// links that device to /dev/root and mounts it at /iso (the squashfs store is
// then loop-mounted from /iso/nix-store.squashfs). With `copytoram` the ISO's
// files are copied into a tmpfs at /iso and the device is released, so the
// label on the kernel command line is the only trace left.
import type { OsKind } from "../../shared/machine/types";
import { mountAt, type MountEntry } from "./probe-findmnt";
import type { BlockDevice } from "./probe-lsblk";
import type { KernelCmdline, RootSpec } from "./probe-proc";

export interface BootMedium {
  /** The whole disks (top-level devices) holding it. */
  disks: string[];
  /** The device itself (a partition, a whole disk or a CD drive). */
  device: string;
  /** How it was found, for the UI and the docs. */
  how: "iso-mount" | "kernel-cmdline";
}

export function findBootMedium(input: {
  osKind: OsKind;
  devices: BlockDevice[];
  mounts: MountEntry[];
  cmdline: KernelCmdline | null;
  isoMountPoint: string;
}): BootMedium | null {
  if (input.osKind !== "nixos-livecd") return null;
  const index = indexDevices(input.devices);
  const iso = mountAt(input.mounts, input.isoMountPoint);
  if (iso && iso.fsType !== "tmpfs") {
    const found =
      index.find((e) => e.device.mountPoints.includes(input.isoMountPoint)) ??
      index.find((e) => sameDevice(e.device, iso.source)) ??
      index.find((e) => iso.majMin !== null && e.device.majMin === iso.majMin);
    if (found) return medium(index, found.device, "iso-mount");
  }
  const root = input.cmdline?.root;
  if (root) {
    const found = index.find((e) => matchesRootSpec(e.device, root));
    if (found) return medium(index, found.device, "kernel-cmdline");
  }
  return null;
}

interface Indexed {
  device: BlockDevice;
  /** Top-level ancestor paths (a RAID member can have several). */
  tops: string[];
}

function indexDevices(devices: BlockDevice[]): Indexed[] {
  const byPath = new Map<string, Indexed>();
  const visit = (device: BlockDevice, top: string) => {
    const seen = byPath.get(device.path);
    if (seen) {
      if (!seen.tops.includes(top)) seen.tops.push(top);
    } else {
      byPath.set(device.path, { device, tops: [top] });
    }
    for (const child of device.children) visit(child, top);
  };
  for (const device of devices) visit(device, device.path);
  return [...byPath.values()];
}

function medium(
  index: Indexed[],
  device: BlockDevice,
  how: BootMedium["how"],
): BootMedium {
  const entry = index.find((e) => e.device.path === device.path);
  return { disks: entry?.tops ?? [device.path], device: device.path, how };
}

function sameDevice(device: BlockDevice, source: string): boolean {
  return source === device.path || source === `/dev/${device.kname}`;
}

function matchesRootSpec(device: BlockDevice, spec: RootSpec): boolean {
  switch (spec.kind) {
    case "label":
      return device.label === spec.value;
    case "uuid":
      return device.uuid?.toLowerCase() === spec.value.toLowerCase();
    case "partlabel":
      return device.partLabel === spec.value;
    case "partuuid":
      return device.partUuid?.toLowerCase() === spec.value.toLowerCase();
    case "path":
      return sameDevice(device, spec.value);
  }
}
