// The normal form of a design: the same decisions always give the same
// document, byte for byte once serialized. Generated files, design.json and
// the plan's identity are computed from it.
//
// - Keys appear in one fixed order; optional fields that are absent are left
//   out (never `undefined`, never `null`).
// - Persisted directories and files are sorted by path (code-unit order, so a
//   parent always comes before what is inside it); users and groups by name.
// - An attrset entry that only names its path becomes the plain string, as
//   impermanence itself coerces it; `method: "auto"` (the default) is dropped.
// Normalizing a normalized design returns an equal design.
import type {
  ConvertDesign,
  Design,
  DirEntry,
  DirPerms,
  DiskDesign,
  FileEntry,
  FsRef,
  GroupDesign,
  PersistenceDesign,
  RecoverDesign,
  UserDesign,
  UserPersistence,
} from "./types";
import { compareText } from "./paths";

export function normalizeDesign(d: Design): Design {
  return clean({
    format: d.format,
    mode: d.mode,
    hostname: d.hostname,
    system: d.system,
    stateVersion: d.stateVersion,
    root: { size: d.root.size },
    disk: d.disk && normalizeDisk(d.disk),
    convert: d.convert && normalizeConvert(d.convert),
    recover: d.recover && normalizeRecover(d.recover),
    persistence: normalizePersistence(d.persistence),
    users: sortedRecord(d.users, normalizeUser),
    groups:
      d.groups &&
      sortedRecord(d.groups, (g: GroupDesign) => clean({ gid: g.gid })),
    notes: d.notes,
  });
}

export function normalizePersistence(p: PersistenceDesign): PersistenceDesign {
  return clean({
    storage: p.storage,
    hideMounts: p.hideMounts,
    allowTrash: p.allowTrash,
    directories: normalizeDirs(p.directories),
    files: normalizeFiles(p.files),
    users: sortedRecord(p.users, normalizeUserPersistence),
  });
}

function normalizeUserPersistence(u: UserPersistence): UserPersistence {
  return {
    directories: normalizeDirs(u.directories),
    files: normalizeFiles(u.files),
  };
}

export function dirPath(entry: DirEntry): string {
  return typeof entry === "string" ? entry : entry.directory;
}

export function filePath(entry: FileEntry): string {
  return typeof entry === "string" ? entry : entry.file;
}

function normalizeDirs(entries: DirEntry[]): DirEntry[] {
  return entries
    .map(normalizeDir)
    .sort((a, b) => compareText(dirPath(a), dirPath(b)));
}

function normalizeFiles(entries: FileEntry[]): FileEntry[] {
  return entries
    .map(normalizeFile)
    .sort((a, b) => compareText(filePath(a), filePath(b)));
}

function normalizeDir(entry: DirEntry): DirEntry {
  if (typeof entry === "string") return entry;
  const out = clean({
    directory: entry.directory,
    user: entry.user,
    group: entry.group,
    mode: entry.mode,
    hideMount: entry.hideMount,
    allowTrash: entry.allowTrash,
  });
  return Object.keys(out).length === 1 ? out.directory : out;
}

function normalizeFile(entry: FileEntry): FileEntry {
  if (typeof entry === "string") return entry;
  const parent = entry.parentDirectory && normalizePerms(entry.parentDirectory);
  const out = clean({
    file: entry.file,
    parentDirectory: parent && Object.keys(parent).length ? parent : undefined,
    method: entry.method === "auto" ? undefined : entry.method,
  });
  return Object.keys(out).length === 1 ? out.file : out;
}

function normalizePerms(p: DirPerms): DirPerms {
  return clean({ user: p.user, group: p.group, mode: p.mode });
}

function normalizeUser(u: UserDesign): UserDesign {
  const keys = u.openssh?.authorizedKeys?.keys;
  return clean({
    uid: u.uid,
    isNormalUser: u.isNormalUser,
    isSystemUser: u.isSystemUser,
    group: u.group,
    extraGroups: u.extraGroups && [...u.extraGroups],
    description: u.description,
    home: u.home,
    hashedPassword: u.hashedPassword,
    hashedPasswordFile: u.hashedPasswordFile,
    openssh: keys ? { authorizedKeys: { keys: [...keys] } } : undefined,
  });
}

function normalizeFsRef(f: FsRef): FsRef {
  return { device: f.device, fsType: f.fsType, options: [...f.options] };
}

function normalizeBoot(
  b: FsRef & { mountPoint?: string },
): FsRef & { mountPoint?: string } {
  return clean({ ...normalizeFsRef(b), mountPoint: b.mountPoint });
}

function normalizeDisk(d: DiskDesign): DiskDesign {
  return clean({
    device: d.device,
    bootloader: d.bootloader,
    esp: { size: d.esp.size },
    swap: d.swap && { size: d.swap.size },
    encrypt: d.encrypt,
    nix: { fsType: d.nix.fsType, options: [...d.nix.options] },
    probed: d.probed && clean({ ...d.probed }),
  });
}

function normalizeConvert(c: ConvertDesign): ConvertDesign {
  const sorted = (list?: string[]) =>
    list && list.length ? [...list].sort(compareText) : undefined;
  return clean({
    ...normalizeFsRef(c),
    configDir: c.configDir,
    configType: c.configType ?? "flake",
    flakeAttr: c.flakeAttr,
    boot: c.boot && normalizeBoot(c.boot),
    bootloader: c.bootloader,
    luks: c.luks && { device: c.luks.device, name: c.luks.name },
    lvm: c.lvm && { volumeGroup: c.lvm.volumeGroup },
    nix: c.nix && normalizeFsRef(c.nix),
    keptMounts: sorted(c.keptMounts),
    swapFiles: sorted(c.swapFiles),
    swapDevices: sorted(c.swapDevices),
  });
}

function normalizeRecover(r: RecoverDesign): RecoverDesign {
  return clean({
    from: r.from,
    nix: normalizeFsRef(r.nix),
    configDir: r.configDir,
    configType: r.configType ?? "flake",
    flakeAttr: r.flakeAttr,
    boot: r.boot && normalizeBoot(r.boot),
    add: {
      directories: normalizeDirs(r.add.directories),
      files: normalizeFiles(r.add.files),
      users: sortedRecord(r.add.users, normalizeUserPersistence),
    },
  });
}

function sortedRecord<T, U>(
  record: Record<string, T>,
  map: (value: T) => U,
): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(record).sort(compareText))
    out[key] = map(record[key] as T);
  return out;
}

/** Drops keys whose value is undefined, keeping the order of the rest. */
function clean<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}
