// Checks that look at the design as a whole: where persisted paths may live,
// paths listed twice or nested, users and their passwords, what each mode
// needs persisted. Field-level reading is in ./validate/ (entry: ./validate.ts).
import { nixosManaged } from "../catalog/nixos-managed";
import { parseSize } from "../size";
import {
  NEVER_PERSISTED,
  INSTALL_CONFIG_DIR,
  NIX_DAEMON_TMPDIR,
  NIX_MOUNT,
} from "./layout";
import { dirPath, filePath } from "./normalize";
import { checkConvertLayout } from "./convert-checks";
import { checkFilledFolders, checkHostKeys } from "./persist-checks";
import { ancestors, isAtOrUnder, underHome } from "./paths";
import { at, type Findings } from "./reader";
import type {
  Design,
  DirEntry,
  DirPerms,
  FileEntry,
  UserDesign,
} from "./types";

/** One persisted path, resolved to where it appears on the running system. */
export interface Persisted {
  /** Absolute path on the running system (user paths joined to the home). */
  abs: string;
  kind: "directory" | "file";
  /** JSON path of the entry in the design. */
  at: string;
  /** persistence (already persisted) or recover.add (being brought in). */
  source: "persistence" | "add";
  user?: string;
  /** A directory entry's owner and mode, or a file entry's parentDirectory ones. */
  perms?: DirPerms;
}

/** The owner and mode an entry sets: a directory's own, a file's parentDirectory. */
function permsOf(e: DirEntry | FileEntry): { perms?: DirPerms } {
  if (typeof e === "string") return {};
  const p =
    "directory" in e
      ? { user: e.user, group: e.group, mode: e.mode }
      : (e.parentDirectory ?? {});
  const set = Object.fromEntries(
    Object.entries(p).filter(([, v]) => v !== undefined),
  ) as DirPerms;
  return Object.keys(set).length ? { perms: set } : {};
}

/** The home impermanence joins user paths to: users.users.<name>.home. */
export function homeOf(name: string, user: UserDesign | undefined): string {
  if (user?.home) return user.home;
  if (name === "root") return "/root";
  // NixOS gives system users /var/empty; checkUsers refuses persistence for them.
  return user?.isSystemUser && !user.isNormalUser
    ? "/var/empty"
    : `/home/${name}`;
}

/** Maps an index in a list to the index the user wrote (validation drops bad entries). */
export type Origin = (list: readonly unknown[], index: number) => number;

/** Every persisted path of a design (persistence, then recover.add), resolved. */
export function persistedPaths(
  d: Design,
  origin: Origin = (_, i) => i,
): Persisted[] {
  const out: Persisted[] = [];
  const collect = (
    lists: {
      directories: DirEntry[];
      files: FileEntry[];
      users: Record<string, { directories: DirEntry[]; files: FileEntry[] }>;
    },
    base: string,
    source: Persisted["source"],
  ) => {
    lists.directories.forEach((e, i) =>
      out.push({
        abs: dirPath(e),
        kind: "directory",
        at: at(at(base, "directories"), origin(lists.directories, i)),
        source,
        ...permsOf(e),
      }),
    );
    lists.files.forEach((e, i) =>
      out.push({
        abs: filePath(e),
        kind: "file",
        at: at(at(base, "files"), origin(lists.files, i)),
        source,
        ...permsOf(e),
      }),
    );
    for (const [name, u] of Object.entries(lists.users)) {
      const home = homeOf(name, d.users?.[name]);
      const userBase = at(at(base, "users"), name);
      u.directories.forEach((e, i) =>
        out.push({
          abs: underHome(home, dirPath(e)),
          kind: "directory",
          at: at(at(userBase, "directories"), origin(u.directories, i)),
          source,
          user: name,
        }),
      );
      u.files.forEach((e, i) =>
        out.push({
          abs: underHome(home, filePath(e)),
          kind: "file",
          at: at(at(userBase, "files"), origin(u.files, i)),
          source,
          user: name,
        }),
      );
    }
  };
  if (d.persistence) collect(d.persistence, "persistence", "persistence");
  if (d.recover?.add) collect(d.recover.add, "recover.add", "add");
  return out;
}

/** The persisted directory covering `path` (itself or a parent), if any. */
export function coveringDirectory(
  paths: Persisted[],
  path: string,
): Persisted | undefined {
  return paths.find((p) => p.kind === "directory" && isAtOrUnder(path, p.abs));
}

export function checkDesign(f: Findings, d: Design, origin?: Origin): void {
  const storage = d.persistence?.storage;
  if (storage) checkStorage(f, storage);
  const paths = persistedPaths(d, origin);
  checkPlaces(f, paths, storage);
  checkOverlaps(f, paths);
  checkUsers(f, d);
  checkRecommended(f, d, paths);
  if (d.mode === "install") checkInstall(f, d, paths);
  if (d.mode === "convert") {
    checkConvertPasswords(f, d);
    checkConvertLayout(f, d, paths);
  }
  checkFilledFolders(f, paths);
  checkHostKeys(f, d, paths);
  if (d.mode === "convert" || d.mode === "recover") checkConfigDir(f, d, paths);
  if (
    d.mode === "recover" &&
    d.recover?.add &&
    paths.every((p) => p.source !== "add")
  )
    f.error(
      "recover.add",
      "holds nothing to bring in: add the directories or files to recover",
    );
}

function checkStorage(f: Findings, storage: string): void {
  if (!isAtOrUnder(storage, NIX_MOUNT) || storage === NIX_MOUNT)
    f.error(
      "persistence.storage",
      `"${storage}" is not on the disk: in a stateless system only ${NIX_MOUNT} is, so use a folder under it such as "/nix/persistent"`,
    );
  else if (
    isAtOrUnder(storage, "/nix/store") ||
    isAtOrUnder(storage, "/nix/var")
  )
    f.error(
      "persistence.storage",
      `"${storage}" is inside Nix's own folders: use a folder of its own such as "/nix/persistent"`,
    );
}

function checkPlaces(
  f: Findings,
  paths: Persisted[],
  storage: string | undefined,
): void {
  for (const p of paths) {
    if (storage && isAtOrUnder(p.abs, storage)) {
      f.error(
        p.at,
        `"${p.abs}" is inside the persistent storage ${storage}, which is already kept: remove it`,
      );
      continue;
    }
    const never = NEVER_PERSISTED.find((base) => isAtOrUnder(p.abs, base));
    if (never) {
      f.error(
        p.at,
        never === NIX_MOUNT
          ? `"${p.abs}" is under /nix, which is the disk itself and always kept: remove it`
          : `"${p.abs}" is under ${never}, which is ${never === "/boot" ? "the boot partition, kept on its own" : "made by the kernel or systemd at every boot"}: it cannot be persisted, remove it`,
      );
      continue;
    }
    const managed = p.user ? null : nixosManaged(p.abs);
    if (managed)
      f.warn(p.at, `"${p.abs}" should not be persisted: ${managed.why}`);
  }
}

/** The same path twice, a path under a persisted file, a path under a persisted directory. */
function checkOverlaps(f: Findings, paths: Persisted[]): void {
  const seen = new Map<string, Persisted>();
  for (const p of paths) {
    const first = seen.get(p.abs);
    if (first) {
      if (first.kind !== p.kind)
        f.error(
          p.at,
          `"${p.abs}" is listed as a ${p.kind} here and as a ${first.kind} at ${first.at}: it is one or the other, keep the right one`,
        );
      else if (p.source === "add" && first.source === "persistence")
        f.error(
          p.at,
          `"${p.abs}" is already persisted (${first.at}): remove it from recover.add`,
        );
      else
        f.error(
          p.at,
          `"${p.abs}" is already listed at ${first.at}: keep one of them`,
        );
      continue;
    }
    seen.set(p.abs, p);
  }
  // recover.add entries that hold persisted paths, each with those paths.
  const holding = new Map<Persisted, Persisted[]>();
  for (const p of seen.values()) {
    for (const parent of ancestors(p.abs)) {
      const outer = seen.get(parent);
      if (!outer) continue;
      if (
        outer.kind === "directory" &&
        outer.source === "add" &&
        p.source === "persistence"
      ) {
        holding.set(outer, [...(holding.get(outer) ?? []), p]);
        break;
      }
      if (outer.kind === "file")
        f.error(
          p.at,
          `"${p.abs}" is inside "${outer.abs}", which is persisted as a file at ${outer.at}: a file holds no paths, fix one of them`,
        );
      else if (p.source === "add" && outer.source === "persistence")
        f.warn(
          p.at,
          `"${p.abs}" is already persisted through "${outer.abs}" (${outer.at}): there is nothing to recover, remove it`,
        );
      else
        f.warn(
          p.at,
          `"${p.abs}" is already persisted through "${outer.abs}" (${outer.at}): listing it again is redundant, remove it unless you mean to set its own mode`,
        );
      break;
    }
  }
  for (const [outer, inner] of holding) {
    const names = inner.slice(0, 3).map((p) => `"${p.abs}"`);
    const more = inner.length > 3 ? ` and ${inner.length - 3} more` : "";
    f.error(
      outer.at,
      `"${outer.abs}" holds ${names.join(", ")}${more}, persisted already: recovering "${outer.abs}" whole would bring ${inner.length === 1 ? "it" : "them"} in a second time, onto ${inner.length === 1 ? "its" : "their"} own place in storage. List instead what inside "${outer.abs}" is not persisted yet (its other folders and files, one by one)`,
    );
  }
}

function checkUsers(f: Findings, d: Design): void {
  const users = d.users ?? {};
  const storage = d.persistence?.storage;
  const blocks: [string, Record<string, unknown> | undefined][] = [
    ["persistence.users", d.persistence?.users],
    ["recover.add.users", d.recover?.add?.users],
  ];
  for (const [base, block] of blocks) {
    for (const name of Object.keys(block ?? {})) {
      const user = users[name];
      if (!user)
        f.error(
          at(base, name),
          `"${name}" is not among the design's users: add "${name}" under users (with its uid), or remove this block`,
        );
      else if (homeOf(name, user) === "/var/empty")
        f.error(
          at(base, name),
          `"${name}" is a system user without a home: set users.${name}.home, or persist absolute paths under persistence.directories`,
        );
    }
  }
  const uidOwner = new Map<number, string>();
  for (const [name, user] of Object.entries(users)) {
    if (user.uid === undefined) continue;
    const first = uidOwner.get(user.uid);
    if (first === undefined) uidOwner.set(user.uid, name);
    else
      f.error(
        at(at("users", name), "uid"),
        `${user.uid} is already the uid of ${first}: NixOS requires every user to have its own uid, so give ${name} another one`,
      );
  }
  for (const [name, user] of Object.entries(users)) {
    const path = at("users", name);
    if (
      user.hashedPasswordFile &&
      storage &&
      !isAtOrUnder(user.hashedPasswordFile, storage)
    )
      f.error(
        at(path, "hashedPasswordFile"),
        `"${user.hashedPasswordFile}" is not under the persistent storage ${storage}: users are set up early at boot and anything else is on the tmpfs root, so keep the file under ${storage}, e.g. "${storage}/passwords/${name}"`,
      );
    if (
      user.hashedPassword !== undefined &&
      user.hashedPasswordFile !== undefined
    )
      f.error(
        path,
        "has both hashedPassword and hashedPasswordFile: NixOS uses only one, keep one of them",
      );
    if (user.isNormalUser && user.isSystemUser)
      f.error(
        path,
        "is both isNormalUser and isSystemUser: a person is a normal user, a service a system user, choose one",
      );
  }
}

/** A converted system's /etc/shadow is on the tmpfs: passwords set with passwd are lost at reboot. */
function checkConvertPasswords(f: Findings, d: Design): void {
  for (const [name, user] of Object.entries(d.users ?? {})) {
    const given = [
      at(at("users", name), "hashedPassword"),
      at(at("users", name), "hashedPasswordFile"),
    ];
    if (
      f.problems.some((p) => given.includes(p.path)) ||
      user.isSystemUser ||
      user.hashedPassword !== undefined ||
      user.hashedPasswordFile !== undefined
    )
      continue;
    f.warn(
      at("users", name),
      `has no hashedPassword or hashedPasswordFile: after the conversion / is a tmpfs and a password set with passwd is lost at every reboot, so make sure your configuration declares one, or give the hash here (Tabula then declares it in nixos/stateless.nix)`,
    );
  }
}

function hasPassword(u: UserDesign): boolean {
  return (
    (u.hashedPassword !== undefined && !/^[!*]/.test(u.hashedPassword)) ||
    u.hashedPasswordFile !== undefined
  );
}

function checkInstall(f: Findings, d: Design, paths: Persisted[]): void {
  const users = d.users ?? {};
  for (const [name, user] of Object.entries(users)) {
    const path = at("users", name);
    // A hash that was given but refused has its own message already.
    const refused = f.problems.some((p) =>
      [at(path, "hashedPassword"), at(path, "hashedPasswordFile")].includes(
        p.path,
      ),
    );
    if (
      user.hashedPassword === undefined &&
      user.hashedPasswordFile === undefined &&
      !user.isSystemUser &&
      !refused
    )
      f.error(
        path,
        `has no hashedPassword or hashedPasswordFile: on a tmpfs root a password set with passwd is lost at every reboot, so give a hash from "mkpasswd -m yescrypt" (or "!" for key-only login)`,
      );
    if (name !== "root" && !user.isNormalUser && !user.isSystemUser)
      f.error(
        path,
        'is neither a normal nor a system user: set "isNormalUser": true for a person (or "isSystemUser": true with a group for a service)',
      );
    if (user.isSystemUser && !user.group)
      f.error(
        at(path, "group"),
        `is missing: NixOS requires a group for the system user ${name}, e.g. "${name}"`,
      );
  }
  // NixOS's own assertion with users.mutableUsers = false (nixos/modules/config/users-groups.nix).
  const admins = Object.entries(users).filter(
    ([name, u]) => name === "root" || (u.extraGroups ?? []).includes("wheel"),
  );
  const canLogIn = admins.some(
    ([, u]) =>
      hasPassword(u) || (u.openssh?.authorizedKeys?.keys?.length ?? 0) > 0,
  );
  if (!canLogIn)
    f.error(
      "users",
      'has neither root nor a user in the "wheel" group with a password hash or an SSH key: you would be locked out, so add a user with "extraGroups": ["wheel"] and a hashedPassword',
    );
  if (!coveringDirectory(paths, INSTALL_CONFIG_DIR))
    f.warn(
      "persistence.directories",
      `does not persist ${INSTALL_CONFIG_DIR}: the generated flake is kept in persistent storage, and persisting ${INSTALL_CONFIG_DIR} shows it there so you can edit and rebuild it`,
    );
  const sshUsers = Object.values(users).some(
    (u) => (u.openssh?.authorizedKeys?.keys?.length ?? 0) > 0,
  );
  if (
    sshUsers &&
    !paths.some((p) => isAtOrUnder("/etc/ssh/ssh_host_ed25519_key", p.abs))
  )
    f.warn(
      "persistence.files",
      'does not persist the SSH host keys (e.g. "/etc/ssh/ssh_host_ed25519_key" and its .pub): SSH is enabled for key logins, and new host keys at every boot make clients refuse the machine',
    );
  if (d.disk) checkDisk(f, d);
}

function checkDisk(f: Findings, d: Design): void {
  const disk = d.disk!;
  if (
    disk.bootloader === "grub" &&
    d.system &&
    !/^(x86_64|i686)-/.test(d.system)
  )
    f.error(
      "disk.bootloader",
      `grub with a BIOS boot partition only exists on x86 PCs: use "systemd-boot" on ${d.system}`,
    );
  const bytes = (text: string | undefined) => {
    if (!text) return 0;
    const parsed = parseSize(text);
    return parsed.ok && parsed.size.kind === "bytes" ? parsed.size.bytes : 0;
  };
  const esp = bytes(disk.esp?.size);
  if (esp > 0 && esp < 64 * 1024 ** 2)
    f.error(
      "disk.esp.size",
      `${disk.esp!.size} is too small for a FAT32 boot partition: give at least 256M (1G is usual)`,
    );
  else if (esp > 0 && esp < 256 * 1024 ** 2)
    f.warn(
      "disk.esp.size",
      `${disk.esp!.size} holds only a few kernels: NixOS keeps one per generation, 1G is usual`,
    );
  const size = disk.probed?.sizeBytes;
  if (size !== undefined) {
    const reserved =
      esp +
      bytes(disk.swap?.size) +
      (disk.bootloader === "grub" ? 1024 ** 2 : 0) +
      2 * 1024 ** 2;
    const minNix = 8 * 1024 ** 3;
    if (size - reserved < minNix)
      f.error(
        "disk",
        `the disk holds ${Math.floor(size / 1024 ** 2)} MiB and the boot and swap partitions take ${Math.ceil(reserved / 1024 ** 2)} MiB, leaving less than 8 GiB for /nix: make them smaller or choose a bigger disk`,
      );
  }
}

/** The configuration folder must survive reboots: FACTS.md ("the config a user edits must itself be persisted"). */
function checkConfigDir(f: Findings, d: Design, paths: Persisted[]): void {
  const configDir =
    d.mode === "convert" ? d.convert?.configDir : d.recover?.configDir;
  const path = d.mode === "convert" ? "convert.configDir" : "recover.configDir";
  if (!configDir) return;
  const kept =
    d.mode === "convert"
      ? (d.convert?.keptMounts ?? []).some((m) => isAtOrUnder(configDir, m))
      : false;
  if (
    kept ||
    isAtOrUnder(configDir, NIX_MOUNT) ||
    coveringDirectory(paths, configDir)
  )
    return;
  f.error(
    path,
    d.mode === "convert"
      ? `"${configDir}" is not persisted: the migration would move it to old-root/ and your configuration would be gone from the converted system; add "${configDir}" to persistence.directories`
      : `"${configDir}" is not persisted, so your configuration vanishes at every reboot: add "${configDir}" to recover.add.directories`,
  );
}

/** What a stateless system nearly always needs; warnings, as impermanence's README recommends them. */
function checkRecommended(f: Findings, d: Design, paths: Persisted[]): void {
  if (
    !paths.some((p) => p.abs === "/etc/machine-id") &&
    !coveringDirectory(paths, "/etc/machine-id")
  )
    f.warn(
      "persistence.files",
      'does not persist "/etc/machine-id": a new machine id at every boot splits the journal and confuses DHCP leases; add it',
    );
  if (!coveringDirectory(paths, "/var/lib/nixos")) {
    const noUid = Object.entries(d.users ?? {})
      .filter(([n, u]) => u.uid === undefined && n !== "root")
      .map(([n]) => n);
    const noGid = Object.entries(d.groups ?? {})
      .filter(([, g]) => g.gid === undefined)
      .map(([n]) => n);
    const who = [
      ...noUid.map((n) => `user ${n}`),
      ...noGid.map((n) => `group ${n}`),
    ];
    f.warn(
      "persistence.directories",
      who.length
        ? `does not persist "/var/lib/nixos" while ${who.join(", ")} ${who.length === 1 ? "has" : "have"} no fixed id: ids are reassigned at every boot and files change owner; add "/var/lib/nixos" (as impermanence warns)`
        : 'does not persist "/var/lib/nixos": NixOS\'s own service users have no fixed ids, which are then reassigned at every boot; add "/var/lib/nixos" (as impermanence warns)',
    );
  }
  if (!coveringDirectory(paths, NIX_DAEMON_TMPDIR))
    f.warn(
      "persistence.directories",
      `does not persist "${NIX_DAEMON_TMPDIR}": Nix before 2.30 (nixos-25.05 and older) builds there, in the nix-daemon's TMPDIR, so on the tmpfs root a large build can run out of memory; add "${NIX_DAEMON_TMPDIR}"`,
    );
}
