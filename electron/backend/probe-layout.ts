// The layout of the running NixOS, as a conversion needs it: LUKS or LVM
// under the root, a /nix of its own, the other filesystems the configuration
// mounts, swap files and devices, and the bootloader. Pure: it works on what
// the probe already read (lsblk's device tree, the mounts, /etc/fstab,
// /proc/swaps) and on which of a few boot files exist.
//
// /etc/fstab is the source of what the configuration declares: NixOS writes
// it from `fileSystems` and `swapDevices` (nixos/modules/tasks/filesystems.nix:
// "DEVICE MOUNTPOINT FSTYPE OPTIONS 0 PASS", and "DEVICE none swap OPTIONS"
// for swap), so its device names and options are the configuration's own.
import { isAtOrUnder } from "../../shared/design/paths";
import type { Bootloader, FsRef } from "../../shared/design/types";
import type { ConvertLayoutFacts, OsKind } from "../../shared/machine/types";
import { mountAt, type MountEntry } from "./probe-findmnt";
import type { BlockDevice } from "./probe-lsblk";
import type { ActiveSwap, FstabEntry } from "./probe-proc";

/** Where NixOS mounts a boot filesystem, in the order the probe looks. */
export const BOOT_MOUNT_POINTS = ["/boot", "/boot/efi", "/efi"] as const;

/** On the ESP: systemd-boot's entries and its own EFI binary (bootctl install). */
const SYSTEMD_BOOT_FILES = [
  "loader/entries",
  "EFI/systemd/systemd-bootx64.efi",
  "EFI/systemd/systemd-bootaa64.efi",
];

/** Where NixOS's GRUB module writes its configuration (boot.loader.grub), on whatever holds /boot. */
export const GRUB_CFG = "/boot/grub/grub.cfg";

/**
 * Options NixOS adds to fstab itself: "defaults" is fileSystems.*.options'
 * default, "x-initrd.mount" marks a needed-for-boot filesystem. A design
 * leaves them out; the generated modules make their own.
 */
const NIXOS_ADDED_OPTIONS = new Set(["defaults", "x-initrd.mount"]);

/** Filesystems of no device: made by the kernel, systemd or a union of folders on the root. */
const PSEUDO_FS_TYPES = new Set([
  "tmpfs",
  "ramfs",
  "proc",
  "sysfs",
  "devtmpfs",
  "devpts",
  "cgroup",
  "cgroup2",
  "securityfs",
  "debugfs",
  "tracefs",
  "efivarfs",
  "pstore",
  "bpf",
  "mqueue",
  "hugetlbfs",
  "configfs",
  "fusectl",
  "autofs",
  "binfmt_misc",
  "overlay",
  "none",
]);

export interface LayoutInput {
  osKind: OsKind;
  devices: BlockDevice[];
  mounts: MountEntry[];
  fstab: FstabEntry[];
  swaps: ActiveSwap[];
  firmware: "uefi" | "bios";
  /** Which of `bootFilesToLook(bootMountOf(mounts))` exist on the running system. */
  existing: ReadonlySet<string>;
}

/** The first of /boot, /boot/efi, /efi that is mounted (the same one `bootFs` reports). */
export function bootMountOf(mounts: MountEntry[]): string | null {
  return BOOT_MOUNT_POINTS.find((t) => mountAt(mounts, t) !== null) ?? null;
}

/** The files whose presence tells the bootloader, systemd-boot's first. */
export function bootFilesToLook(bootMount: string | null): string[] {
  return [
    ...(bootMount === null
      ? []
      : SYSTEMD_BOOT_FILES.map((f) => `${bootMount}/${f}`)),
    GRUB_CFG,
  ];
}

/** The layout of the running NixOS; null for the LiveCD, a tmpfs root or another system. */
export function detectLayout(input: LayoutInput): ConvertLayoutFacts | null {
  const root = mountAt(input.mounts, "/");
  if (input.osKind !== "nixos" || root === null || isPseudo(root.fsType))
    return null;
  const chain = deviceChain(input.devices, root.source);
  const bootMountPoint = bootMountOf(input.mounts);
  const keptMounts = keptMountsOf(input.fstab);
  const nix = nixOf(input, root);
  return {
    root: fsRefOf(configured(input.fstab, "/"), root, chain[0]),
    bootMountPoint,
    ...bootloaderOf(bootMountPoint, input.existing, input.firmware),
    luks: luksOf(chain),
    lvm: lvmOf(chain),
    nix,
    keptMounts,
    ...swapOf(input.fstab, input.swaps, keptMounts),
  };
}

/** The device named SOURCE and the devices above it, nearest first (a crypt's partition, an LV's PV). */
export function deviceChain(
  devices: BlockDevice[],
  source: string,
): BlockDevice[] {
  const matches = (d: BlockDevice) =>
    d.path === source ||
    `/dev/${d.kname}` === source ||
    `/dev/mapper/${d.name}` === source;
  const visit = (list: BlockDevice[], above: BlockDevice[]): BlockDevice[] => {
    for (const d of list) {
      if (matches(d)) return [d, ...above];
      const found = visit(d.children, [d, ...above]);
      if (found.length > 0) return found;
    }
    return [];
  };
  return visit(devices, []);
}

/** The last fstab entry for a mount point (systemd and mount take the last one too). */
function configured(fstab: FstabEntry[], target: string): FstabEntry | null {
  for (let i = fstab.length - 1; i >= 0; i--) {
    const e = fstab[i]!;
    if (e.file === target && e.vfsType !== "swap") return e;
  }
  return null;
}

function isPseudo(fsType: string): boolean {
  return PSEUDO_FS_TYPES.has(fsType);
}

function isBind(entry: FstabEntry): boolean {
  return entry.options.includes("bind") || entry.options.includes("rbind");
}

/** fstab's tags as the /dev/disk/by-* paths udev makes for them (a design names devices by path). */
export function tagToPath(spec: string): string {
  const tagged = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.+)$/.exec(spec);
  if (!tagged) return spec;
  return `/dev/disk/by-${tagged[1]!.toLowerCase()}/${tagged[2]!}`;
}

/**
 * A mounted filesystem as a design names it: fstab's device, type and
 * options (without those NixOS adds itself); with no fstab entry, the
 * stable name of the device and only the kernel's subvol= (the kernel lists
 * every option in force, most of them its defaults).
 */
export function fsRefOf(
  entry: FstabEntry | null,
  mount: MountEntry,
  device: BlockDevice | undefined,
): FsRef {
  if (entry)
    return {
      device: tagToPath(entry.spec),
      fsType:
        entry.vfsType === "auto" || entry.vfsType === ""
          ? mount.fsType
          : entry.vfsType,
      options: entry.options.filter((o) => !NIXOS_ADDED_OPTIONS.has(o)),
    };
  return {
    device: device?.uuid ? `/dev/disk/by-uuid/${device.uuid}` : mount.source,
    fsType: mount.fsType,
    options: mount.options.filter((o) => o.startsWith("subvol=")),
  };
}

function bootloaderOf(
  bootMount: string | null,
  existing: ReadonlySet<string>,
  firmware: "uefi" | "bios",
): { bootloader: Bootloader; bootloaderFrom: string } {
  const systemdBoot =
    bootMount === null
      ? undefined
      : SYSTEMD_BOOT_FILES.map((f) => `${bootMount}/${f}`).find((p) =>
          existing.has(p),
        );
  if (systemdBoot)
    return { bootloader: "systemd-boot", bootloaderFrom: systemdBoot };
  if (existing.has(GRUB_CFG))
    return { bootloader: "grub", bootloaderFrom: GRUB_CFG };
  return {
    bootloader: firmware === "bios" ? "grub" : "systemd-boot",
    bootloaderFrom: "firmware",
  };
}

/** The nearest LUKS mapping at or above the root's device, and the container it is opened from. */
function luksOf(chain: BlockDevice[]): ConvertLayoutFacts["luks"] {
  const i = chain.findIndex((d) => d.type === "crypt");
  if (i < 0) return null;
  const mapping = chain[i]!;
  const container = chain[i + 1];
  const name = mapping.path.startsWith("/dev/mapper/")
    ? mapping.path.slice("/dev/mapper/".length)
    : mapping.name;
  const device = container?.uuid
    ? `/dev/disk/by-uuid/${container.uuid}`
    : (container?.path ?? "");
  return { device, name };
}

function lvmOf(chain: BlockDevice[]): ConvertLayoutFacts["lvm"] {
  const lv = chain.find((d) => d.type === "lvm");
  if (!lv) return null;
  const dmName = lv.path.startsWith("/dev/mapper/")
    ? lv.path.slice("/dev/mapper/".length)
    : lv.name;
  return splitLvmName(dmName);
}

/**
 * LVM's device-mapper name "VG-LV": a "-" inside either name is doubled, so
 * the first single "-" separates them ("nixos--vg-root" is VG "nixos-vg",
 * LV "root").
 */
export function splitLvmName(
  dmName: string,
): { volumeGroup: string; logicalVolume: string } | null {
  for (let i = 0; i < dmName.length; i++) {
    if (dmName[i] !== "-") continue;
    if (dmName[i + 1] === "-") {
      i++;
      continue;
    }
    const unescape = (s: string) => s.replace(/--/g, "-");
    return {
      volumeGroup: unescape(dmName.slice(0, i)),
      logicalVolume: unescape(dmName.slice(i + 1)),
    };
  }
  return null;
}

/** /nix as a filesystem of its own: its fstab entry (not a bind mount), or a mount of another filesystem there. */
function nixOf(input: LayoutInput, root: MountEntry): FsRef | null {
  const entry = configured(input.fstab, "/nix");
  const mount = mountAt(input.mounts, "/nix");
  if (entry) {
    if (isBind(entry) || isPseudo(entry.vfsType)) return null;
    const fallback: MountEntry = mount ?? {
      target: "/nix",
      source: tagToPath(entry.spec),
      fsType: entry.vfsType,
      options: [],
      fsRoot: "/",
      majMin: null,
    };
    return fsRefOf(entry, fallback, undefined);
  }
  if (!mount || isPseudo(mount.fsType)) return null;
  // The root's own folder bind-mounted there is no filesystem of its own.
  if (mount.source === root.source && isAtOrUnder(mount.fsRoot, root.fsRoot))
    return null;
  return fsRefOf(
    null,
    mount,
    deviceChain(input.devices, mount.source)[0] ?? undefined,
  );
}

function keptMountsOf(fstab: FstabEntry[]): string[] {
  const kept = new Set<string>();
  const own = (e: FstabEntry) =>
    e.vfsType !== "swap" &&
    e.file !== "/" &&
    !isAtOrUnder(e.file, "/nix") &&
    !BOOT_MOUNT_POINTS.some((b) => isAtOrUnder(e.file, b));
  for (const e of fstab)
    if (own(e) && !isBind(e) && !isPseudo(e.vfsType)) kept.add(e.file);
  // A bind mount of a folder on a kept filesystem keeps its files there too;
  // one of a folder on the root is only another view of the root.
  for (const e of fstab)
    if (own(e) && isBind(e) && [...kept].some((k) => isAtOrUnder(e.spec, k)))
      kept.add(e.file);
  return [...kept].sort();
}

function swapOf(
  fstab: FstabEntry[],
  swaps: ActiveSwap[],
  keptMounts: string[],
): { swapFiles: string[]; swapDevices: string[] } {
  const swapFiles: string[] = [];
  const swapDevices: string[] = [];
  const add = (list: string[], item: string) => {
    if (!list.includes(item)) list.push(item);
  };
  const onRoot = (file: string) =>
    !keptMounts.some((k) => isAtOrUnder(file, k)) &&
    !isAtOrUnder(file, "/nix") &&
    !BOOT_MOUNT_POINTS.some((b) => isAtOrUnder(file, b));
  for (const e of fstab) {
    if (e.vfsType !== "swap") continue;
    const spec = tagToPath(e.spec);
    if (spec.startsWith("/") && !spec.startsWith("/dev/") && onRoot(spec))
      add(swapFiles, spec);
    else add(swapDevices, spec);
  }
  // A swap file switched on by hand is on the root too: it moves with the
  // rest, or it would end in old-root/ while in use. One elsewhere stays
  // where it is and is not the configuration's.
  for (const s of swaps) {
    const path = s.path.replace(/ \(deleted\)$/, "");
    if (s.type === "file" && path.startsWith("/") && onRoot(path))
      add(swapFiles, path);
  }
  return { swapFiles, swapDevices };
}
