// One persisted directory or file: a path (absolute for the system, relative
// to the home for a user) or an object with impermanence's per-entry options.
import { homePathFault, systemPathFault } from "../paths";
import { at, isObject, type Obj } from "../reader";
import type { DirEntry, DirPerms, FileEntry } from "../types";
import type { ReadContext } from "./context";
import { FIELDS } from "./schema";
import { isAccountName } from "./users";

/** chmod modes: octal, or symbolic clauses such as "u=rwx,g=rx,o=". */
const CHMOD =
  /^(?:[0-7]{3,4}|[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+(?:,[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+)*)$/;

/**
 * The usable entries of a list; a bad entry is reported and left out, and
 * ctx.origins remembers where each kept one stood.
 */
export function readEntries(
  ctx: ReadContext,
  value: unknown,
  path: string,
  kind: "directory" | "file",
  inHome: boolean,
): (DirEntry | FileEntry)[] {
  if (value === undefined) return [];
  const list = ctx.r.list(
    value,
    path,
    kind === "directory"
      ? `directories, each a path or { "directory": ..., "mode": ... }`
      : `files, each a path or { "file": ..., "parentDirectory": ... }`,
  );
  if (!list) return [];
  const out: (DirEntry | FileEntry)[] = [];
  const indices: number[] = [];
  list.forEach((item, i) => {
    const p = at(path, i);
    const entry =
      kind === "directory"
        ? readDirEntry(ctx, item, p, inHome)
        : readFileEntry(ctx, item, p, inHome);
    if (entry === undefined) return;
    out.push(entry);
    indices.push(i);
  });
  ctx.origins.set(out, indices);
  return out;
}

function readPersistedPath(
  ctx: ReadContext,
  value: unknown,
  path: string,
  inHome: boolean,
  kind: string,
): string | undefined {
  const text = ctx.r.string(
    value,
    path,
    inHome
      ? `a path relative to the home, e.g. ".ssh"`
      : `an absolute path, e.g. "/var/log"`,
  );
  if (text === undefined) return undefined;
  const fault = inHome ? homePathFault(text) : systemPathFault(text);
  if (fault) {
    ctx.findings.error(path, `the ${kind} ${JSON.stringify(text)} ${fault}`);
    return undefined;
  }
  return text;
}

function readDirEntry(
  ctx: ReadContext,
  item: unknown,
  path: string,
  inHome: boolean,
): DirEntry | undefined {
  // Anything but an object is read as a path, so a number gets "must be a string".
  if (typeof item === "string" || !isObject(item))
    return readPersistedPath(ctx, item, path, inHome, "directory");
  const o = ctx.r.object(item, path, FIELDS.dirEntry, "a persisted directory");
  if (!o) return undefined;
  const directory = readPersistedPath(
    ctx,
    ctx.r.required(o, "directory", path, "give the directory's path"),
    at(path, "directory"),
    inHome,
    "directory",
  );
  const perms = readPerms(ctx, o, path);
  const hideMount = ctx.r.boolean(o.hideMount, at(path, "hideMount"));
  const allowTrash = ctx.r.boolean(o.allowTrash, at(path, "allowTrash"));
  if (directory === undefined || perms === undefined) return undefined;
  return { directory, ...perms, hideMount, allowTrash };
}

function readFileEntry(
  ctx: ReadContext,
  item: unknown,
  path: string,
  inHome: boolean,
): FileEntry | undefined {
  if (typeof item === "string" || !isObject(item))
    return readPersistedPath(ctx, item, path, inHome, "file");
  const o = ctx.r.object(item, path, FIELDS.fileEntry, "a persisted file");
  if (!o) return undefined;
  const file = readPersistedPath(
    ctx,
    ctx.r.required(o, "file", path, "give the file's path"),
    at(path, "file"),
    inHome,
    "file",
  );
  let parentDirectory: DirPerms | undefined;
  if (o.parentDirectory !== undefined) {
    const p = ctx.r.object(
      o.parentDirectory,
      at(path, "parentDirectory"),
      FIELDS.perms,
      "the parent directory's ownership and mode",
    );
    parentDirectory = p
      ? readPerms(ctx, p, at(path, "parentDirectory"))
      : undefined;
    if (!parentDirectory) return undefined;
  }
  const method =
    o.method === undefined
      ? undefined
      : ctx.r.oneOf(o.method, at(path, "method"), ["auto", "symlink"] as const);
  if (file === undefined || (o.method !== undefined && method === undefined))
    return undefined;
  return { file, parentDirectory, method };
}

/** user, group and mode of an entry; undefined when any given one is bad. */
function readPerms(
  ctx: ReadContext,
  o: Obj,
  path: string,
): DirPerms | undefined {
  let ok = true;
  const name = (key: "user" | "group"): string | undefined => {
    if (o[key] === undefined) return undefined;
    const text = ctx.r.string(
      o[key],
      at(path, key),
      `a ${key} name, e.g. "root"`,
    );
    if (text === undefined || !isAccountName(text)) {
      if (text !== undefined)
        ctx.findings.error(
          at(path, key),
          `${JSON.stringify(text)} is not a ${key} name: give the name, e.g. "root"`,
        );
      ok = false;
      return undefined;
    }
    return text;
  };
  const user = name("user");
  const group = name("group");
  let mode: string | undefined;
  if (o.mode !== undefined) {
    mode = ctx.r.string(o.mode, at(path, "mode"), 'a chmod mode, e.g. "0700"');
    if (mode !== undefined && !CHMOD.test(mode)) {
      ctx.findings.error(
        at(path, "mode"),
        `${JSON.stringify(mode)} is not a chmod mode: write octal such as "0700" or symbolic such as "u=rwx,g=rx,o="`,
      );
      mode = undefined;
    }
    if (mode === undefined) ok = false;
  }
  return ok ? { user, group, mode } : undefined;
}
