// A fresh design for each path, filled from what the probe found, so the user
// starts from sensible choices for this machine instead of a blank form.
import { homeOf } from "../../../shared/design/checks";
import { dirPath, filePath } from "../../../shared/design/normalize";
import { isAtOrUnder, underHome } from "../../../shared/design/paths";
import type {
  ConvertDesign,
  Design,
  DirEntry,
  FileEntry,
  FsRef,
  Mode,
  UserPersistence,
} from "../../../shared/design/types";
import { DESIGN_FORMAT } from "../../../shared/design/types";
import type {
  ConvertLayoutFacts,
  Disk,
  FoundInstall,
  MachineFacts,
} from "../../../shared/machine/types";

/** The essentials every stateless system keeps (see the catalog for reasons). */
export interface BaseEntries {
  directories: DirEntry[];
  files: FileEntry[];
  /** Paths relative to each user's home. */
  users?: Record<string, UserPersistence>;
}

const GiB = 1024 ** 3;

/** The release a fresh install starts from when the probe cannot tell. */
export const DEFAULT_STATE_VERSION = "25.11";

/**
 * A new system's stateVersion is the NixOS release it is installed with: the
 * LiveCD's own release. Another OS's version ("12" on Debian, the sandbox's
 * host) means nothing to NixOS, so it falls back to the default.
 */
function stateVersionFor(facts: MachineFacts | null): string {
  const version = facts?.os.versionId;
  const isNixos =
    facts?.os.kind === "nixos" || facts?.os.kind === "nixos-livecd";
  return isNixos && version && /^[0-9]{2}\.[0-9]{2}$/.test(version)
    ? version
    : DEFAULT_STATE_VERSION;
}

export function newDesign(
  mode: Mode,
  facts: MachineFacts | null,
  base: BaseEntries,
): Design {
  const design: Design = {
    format: DESIGN_FORMAT,
    mode,
    hostname: "nixos",
    system: "x86_64-linux",
    stateVersion: stateVersionFor(facts),
    root: { size: rootSize(facts) },
    persistence: {
      storage: "/nix/persistent",
      hideMounts: true,
      directories: structuredClone(base.directories),
      files: structuredClone(base.files),
      users: structuredClone(base.users ?? {}),
    },
    users: {},
  };
  if (mode === "install") {
    const disk = firstInstallable(facts);
    design.disk = {
      device: disk?.path ?? "",
      bootloader: facts?.firmware === "bios" ? "grub" : "systemd-boot",
      esp: { size: "1G" },
      encrypt: false,
      nix: { fsType: "btrfs", options: ["compress-force=zstd", "noatime"] },
      ...(disk ? { probed: probedOf(disk) } : {}),
    };
  } else if (mode === "convert") {
    // The running NixOS's layout, when the probe read it; from the LiveCD
    // (or older facts) the install found on a disk, with what can be guessed.
    const layout = facts?.rootIsTmpfs ? null : (facts?.layout ?? null);
    const fs = layout ? copyRef(layout.root) : convertFs(facts);
    const boot = layout ? bootFs(facts) : (bootFs(facts) ?? espBeside(facts));
    design.convert = {
      ...fs,
      configDir: facts?.nixosConfig?.dir ?? "/etc/nixos",
      ...configKind(facts),
      ...(boot ? { boot } : {}),
      bootloader:
        layout?.bootloader ??
        (facts?.firmware === "bios" ? "grub" : "systemd-boot"),
      ...(layout ? layoutFields(layout) : {}),
    };
    if (layout) dropUnderKeptMounts(design, layout.keptMounts);
    if (facts?.nixosConfig?.flakeAttr)
      design.hostname = facts.nixosConfig.flakeAttr;
  } else {
    design.recover = {
      // Live only on the running stateless system; the LiveCD's / is a tmpfs too.
      from:
        facts?.os.kind === "nixos" && facts.rootIsTmpfs ? "live" : "old-root",
      nix: nixFs(facts),
      configDir: facts?.nixosConfig?.dir ?? "/etc/nixos",
      ...configKind(facts),
      ...(recoverBoot(facts) ? { boot: recoverBoot(facts)! } : {}),
      add: { directories: [], files: [], users: {} },
    };
    if (facts?.nixosConfig?.flakeAttr)
      design.hostname = facts.nixosConfig.flakeAttr;
  }
  return design;
}

/** The parts of a convert design that only some layouts have, each only when it applies. */
function layoutFields(layout: ConvertLayoutFacts): Partial<ConvertDesign> {
  return {
    ...(layout.luks ? { luks: { ...layout.luks } } : {}),
    ...(layout.lvm ? { lvm: { volumeGroup: layout.lvm.volumeGroup } } : {}),
    ...(layout.nix ? { nix: copyRef(layout.nix) } : {}),
    ...(layout.keptMounts.length ? { keptMounts: [...layout.keptMounts] } : {}),
    ...(layout.swapFiles.length ? { swapFiles: [...layout.swapFiles] } : {}),
    ...(layout.swapDevices.length
      ? { swapDevices: [...layout.swapDevices] }
      : {}),
  };
}

function copyRef(ref: FsRef): FsRef {
  return { device: ref.device, fsType: ref.fsType, options: [...ref.options] };
}

/**
 * A filesystem the system mounts besides its root (/home, /var/log) stays
 * mounted after the conversion with its files: nothing under it is persisted
 * (validation refuses it), so the starting entries under one are left out,
 * users' paths included.
 */
function dropUnderKeptMounts(design: Design, kept: string[]): void {
  if (kept.length === 0) return;
  const onKept = (path: string) => kept.some((m) => isAtOrUnder(path, m));
  const p = design.persistence;
  p.directories = p.directories.filter((e) => !onKept(dirPath(e)));
  p.files = p.files.filter((e) => !onKept(filePath(e)));
  for (const [name, paths] of Object.entries(p.users)) {
    const home = homeOf(name, design.users[name]);
    paths.directories = paths.directories.filter(
      (e) => !onKept(underHome(home, dirPath(e))),
    );
    paths.files = paths.files.filter(
      (e) => !onKept(underHome(home, filePath(e))),
    );
    if (paths.directories.length === 0 && paths.files.length === 0)
      delete p.users[name];
  }
}

/** A flake (with its host attribute), or configuration.nix without one, as the probe found it. */
function configKind(
  facts: MachineFacts | null,
):
  | { configType: "flake"; flakeAttr: string }
  | { configType: "configuration.nix" } {
  return facts?.nixosConfig && !facts.nixosConfig.isFlake
    ? { configType: "configuration.nix" }
    : { configType: "flake", flakeAttr: facts?.nixosConfig?.flakeAttr ?? "" };
}

/** A quarter of RAM, rounded to whole GiB, between 1G and 8G: room for /tmp and /var/tmp without starving builds. */
function rootSize(facts: MachineFacts | null): string {
  if (!facts?.memoryBytes) return "2G";
  const quarter = Math.round(facts.memoryBytes / 4 / GiB);
  return `${Math.min(8, Math.max(1, quarter))}G`;
}

/**
 * The disk to suggest: an empty one, or the only one there is. A disk that
 * holds partitions is never chosen for the user when there is a choice: they
 * pick it themselves, after reading what is on it.
 */
function firstInstallable(facts: MachineFacts | null): Disk | null {
  const usable =
    facts?.disks.filter(
      (d) => !d.isBootMedium && !d.inUse && d.unavailableReason === null,
    ) ?? [];
  return (
    usable.find((d) => d.partitions.length === 0) ??
    (usable.length === 1 ? usable[0]! : null)
  );
}

export function probedOf(disk: Disk): {
  sizeBytes: number;
  model?: string;
  serial?: string;
} {
  return {
    sizeBytes: disk.sizeBytes,
    ...(disk.model ? { model: disk.model } : {}),
    ...(disk.serial ? { serial: disk.serial } : {}),
  };
}

/**
 * The filesystem a conversion turns into /nix: the running root (by the
 * config's own stable name), or from the LiveCD the NixOS install the probe
 * found on a disk (by UUID when known).
 */
function convertFs(facts: MachineFacts | null): FsRef {
  const root = facts?.rootFs;
  if (root && !facts?.rootIsTmpfs)
    return {
      device: root.fstabDevice ?? root.device,
      fsType: root.fsType,
      options: [...root.options],
    };
  const found =
    facts?.installs.find((i) => i.migrationPending) ??
    facts?.installs.find((i) => !i.converted);
  if (!found) return { device: "", fsType: "", options: [] };
  return {
    device: stableName(facts, found.device),
    fsType: found.fsType,
    options: found.subvolume ? [`subvol=${found.subvolume}`] : [],
  };
}

function mountAt(facts: MachineFacts | null, target: string): FsRef | null {
  const m = facts?.mounts.find((x) => x.target === target);
  return m
    ? { device: m.source, fsType: m.fsType, options: [...m.options] }
    : null;
}

function bootFs(
  facts: MachineFacts | null,
): (FsRef & { mountPoint: string }) | null {
  const b = facts?.bootFs;
  if (b)
    return {
      device: b.fstabDevice ?? b.device,
      fsType: b.fsType,
      options: [...b.options],
      mountPoint: b.mountPoint,
    };
  for (const target of ["/boot", "/boot/efi", "/efi"]) {
    const m = mountAt(facts, target);
    if (m) return { ...m, mountPoint: target };
  }
  return null;
}

/**
 * From the LiveCD nothing is mounted at /boot: the ESP is the FAT partition
 * on the disk that holds the NixOS install the probe found (by default the
 * one a conversion would take).
 */
export function espBeside(
  facts: MachineFacts | null,
  install: FoundInstall | null = facts?.installs.find(
    (i) => i.migrationPending,
  ) ??
    facts?.installs.find((i) => !i.converted) ??
    null,
): (FsRef & { mountPoint: string }) | null {
  const found = install;
  const disk = facts?.disks.find((d) =>
    d.partitions.some((p) => p.path === found?.device),
  );
  const esp = disk?.partitions.find((p) => p.fsType === "vfat");
  if (!esp) return null;
  return {
    device: stableName(facts, esp.path),
    fsType: "vfat",
    options: [],
    mountPoint: "/boot",
  };
}

/** A partition's stable name (/dev/disk/by-uuid/...) when the probe knows its UUID. */
export function stableName(facts: MachineFacts | null, device: string): string {
  const part = facts?.disks
    .flatMap((d) => d.partitions)
    .find((p) => p.path === device);
  return part?.uuid ? `/dev/disk/by-uuid/${part.uuid}` : device;
}

/** The boot filesystem a recover design rebuilds with: the mounted one, or from the LiveCD the ESP beside the quarantine. */
function recoverBoot(
  facts: MachineFacts | null,
): (FsRef & { mountPoint: string }) | null {
  return (
    bootFs(facts) ??
    espBeside(
      facts,
      facts?.installs.find((i) => i.hasOldRoot) ??
        facts?.installs.find((i) => i.converted) ??
        null,
    )
  );
}

/** The partition holding /nix: mounted on a stateless system; found by the probe from the LiveCD. */
function nixFs(facts: MachineFacts | null): FsRef {
  const mounted = mountAt(facts, "/nix");
  if (mounted) return { ...mounted, device: stableName(facts, mounted.device) };
  const found =
    facts?.installs.find((i) => i.hasOldRoot) ??
    facts?.installs.find((i) => i.converted);
  return found
    ? nixRefFor(facts, found)
    : { device: "", fsType: "", options: [] };
}

/** How a recover design mounts an install's partition at /nix (its subvolume included). */
export function nixRefFor(
  facts: MachineFacts | null,
  install: FoundInstall,
): FsRef {
  return {
    device: stableName(facts, install.device),
    fsType: install.fsType,
    options: install.subvolume ? [`subvol=${install.subvolume}`] : [],
  };
}
