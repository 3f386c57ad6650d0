// The "persistence" block: where persistent storage lives, impermanence's
// global switches, and what is persisted for the system and for each user.
import { DEFAULT_STORAGE } from "../layout";
import { at, isObject, type Obj } from "../reader";
import type {
  DirEntry,
  FileEntry,
  PersistenceDesign,
  UserPersistence,
} from "../types";
import type { ReadContext } from "./context";
import { readEntries } from "./entries";
import { readAbsolutePath } from "./fields";
import { FIELDS } from "./schema";
import { isAccountName } from "./users";

/** What persistence and recover.add both hold. */
export interface PersistedLists {
  directories: DirEntry[];
  files: FileEntry[];
  users: Record<string, UserPersistence>;
}

export function readPersistence(
  ctx: ReadContext,
  value: unknown,
): PersistenceDesign | undefined {
  const lists = readPersistedLists(
    ctx,
    value,
    "persistence",
    FIELDS.persistence,
    "the persistence settings",
  );
  if (!lists) return undefined;
  const o = value as Obj;
  const storage =
    o.storage === undefined
      ? DEFAULT_STORAGE
      : readAbsolutePath(
          ctx,
          o.storage,
          "persistence.storage",
          "/nix/persistent",
        );
  const hideMounts =
    o.hideMounts === undefined
      ? true
      : ctx.r.boolean(o.hideMounts, "persistence.hideMounts");
  const allowTrash =
    o.allowTrash === undefined
      ? undefined
      : ctx.r.boolean(o.allowTrash, "persistence.allowTrash");
  return { storage, hideMounts, allowTrash, ...lists } as PersistenceDesign;
}

/** directories, files and users: the part of persistence that recover.add repeats. */
export function readPersistedLists(
  ctx: ReadContext,
  value: unknown,
  path: string,
  fields: readonly string[],
  what: string,
): PersistedLists | undefined {
  const o = ctx.r.object(value, path, fields, what);
  if (!o) return undefined;
  const directories = readEntries(
    ctx,
    o.directories,
    at(path, "directories"),
    "directory",
    false,
  );
  const files = readEntries(ctx, o.files, at(path, "files"), "file", false);
  const users: Record<string, UserPersistence> = {};
  if (o.users !== undefined) {
    // Any name is a field here; a name that is not a user is reported below.
    const u = ctx.r.object(
      o.users,
      at(path, "users"),
      Object.keys(isObject(o.users) ? o.users : {}),
      "per-user persistence",
    );
    for (const [name, entry] of Object.entries(u ?? {})) {
      const p = at(at(path, "users"), name);
      if (!isAccountName(name)) {
        ctx.findings.error(
          p,
          `${JSON.stringify(name)} is not a user name: use the login name, e.g. "mira"`,
        );
        continue;
      }
      const block = ctx.r.object(
        entry,
        p,
        FIELDS.userPersistence,
        `${name}'s persistence`,
      );
      if (!block) continue;
      users[name] = {
        directories: readEntries(
          ctx,
          block.directories,
          at(p, "directories"),
          "directory",
          true,
        ) as DirEntry[],
        files: readEntries(
          ctx,
          block.files,
          at(p, "files"),
          "file",
          true,
        ) as FileEntry[],
      };
    }
  }
  return {
    directories: directories as DirEntry[],
    files: files as FileEntry[],
    users,
  };
}
