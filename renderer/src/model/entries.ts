// Persistence entries come in impermanence's two shapes: a plain path, or an
// attrset with ownership and mode. These helpers read and rewrite either
// shape, so the screens never care which one a design uses.
import type {
  DirEntry,
  DirPerms,
  FileEntry,
  PersistenceDesign,
  UserPersistence,
} from "../../../shared/design/types";
import { at } from "../../../shared/design/reader";

export { at };

export type EntryKind = "directory" | "file";

export function dirPath(e: DirEntry): string {
  return typeof e === "string" ? e : e.directory;
}

export function filePath(e: FileEntry): string {
  return typeof e === "string" ? e : e.file;
}

export function dirPerms(e: DirEntry): DirPerms {
  if (typeof e === "string") return {};
  const perms: DirPerms = {};
  if (e.user !== undefined) perms.user = e.user;
  if (e.group !== undefined) perms.group = e.group;
  if (e.mode !== undefined) perms.mode = e.mode;
  return perms;
}

/** For a file, the permissions are those of the parent directory impermanence creates. */
export function filePerms(e: FileEntry): DirPerms {
  return typeof e === "string" ? {} : { ...(e.parentDirectory ?? {}) };
}

function cleanPerms(perms: DirPerms): DirPerms {
  const out: DirPerms = {};
  for (const key of ["user", "group", "mode"] as const) {
    const v = perms[key]?.trim();
    if (v) out[key] = v;
  }
  return out;
}

/** The entry with new permissions; back to the plain string form when none are left. */
export function withDirPerms(e: DirEntry, perms: DirPerms): DirEntry {
  const path = dirPath(e);
  const clean = cleanPerms(perms);
  const rest =
    typeof e === "string"
      ? {}
      : Object.fromEntries(
          Object.entries(e).filter(
            ([k]) => !["directory", "user", "group", "mode"].includes(k),
          ),
        );
  if (Object.keys(clean).length === 0 && Object.keys(rest).length === 0)
    return path;
  return { directory: path, ...rest, ...clean };
}

export function withFilePerms(e: FileEntry, perms: DirPerms): FileEntry {
  const path = filePath(e);
  const clean = cleanPerms(perms);
  const method = typeof e === "string" ? undefined : e.method;
  if (Object.keys(clean).length === 0 && method === undefined) return path;
  return {
    file: path,
    ...(Object.keys(clean).length ? { parentDirectory: clean } : {}),
    ...(method !== undefined ? { method } : {}),
  };
}

/** The list an entry lives in: system-wide, or one user's. */
export function listsOf(
  p: PersistenceDesign,
  user: string | null,
): UserPersistence {
  if (user === null) return p;
  const u = p.users[user];
  if (u) return u;
  const fresh: UserPersistence = { directories: [], files: [] };
  p.users[user] = fresh;
  return fresh;
}

/** JSON path of an entry, as validation reports it. */
export function entryJsonPath(
  kind: EntryKind,
  index: number,
  user: string | null,
): string {
  const list = kind === "directory" ? "directories" : "files";
  const base =
    user === null ? "persistence" : at(at("persistence", "users"), user);
  return at(at(base, list), index);
}

/** Is `path` the same as, or inside, `parent`? (absolute or home-relative paths) */
export function isWithin(path: string, parent: string): boolean {
  if (parent === "/") return path.startsWith("/");
  return path === parent || path.startsWith(`${parent}/`);
}
