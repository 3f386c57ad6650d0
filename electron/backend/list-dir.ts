// One level of a folder inside a root the user is looking at (a scanned live
// root, or the old-root/ quarantine of a conversion), for the Recover screen.
// Read-only. `path` is relative to `root` and stays inside it: no "..", and a
// symbolic link is listed as a link, never followed.
//
// The walk down is made of open folders, not of path strings: each step
// opens one name inside the folder opened before (through
// /proc/self/fd/N/NAME, Linux's way to say openat from Node) with
// O_NOFOLLOW | O_DIRECTORY, and the listing reads that open folder. A folder
// swapped for a link halfway cannot lead the listing anywhere else.
import { constants } from "node:fs";
import {
  lstat,
  open,
  readdir,
  realpath,
  type FileHandle,
} from "node:fs/promises";
import path from "node:path";
import type { DirEntryInfo } from "../../shared/api/contract";
import { rawChild } from "./raw-names";

/** More entries than anyone reads in one folder; the rest are left out. */
export const MAX_ENTRIES = 5000;

const OPEN_FOLDER = constants.O_RDONLY | constants.O_DIRECTORY;
const OPEN_INSIDE = OPEN_FOLDER | constants.O_NOFOLLOW;

/** The parts of a relative path; ".." anywhere is refused with `refuse`. */
export function pathParts(relative: string, refuse: () => string): string[] {
  const parts = relative.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new Error(refuse());
  return parts;
}

/** Opens a folder given by a path this process trusts (no link check). */
export async function openFolder(
  dir: string,
  describe: () => string,
): Promise<FileHandle> {
  try {
    return await open(dir, OPEN_FOLDER);
  } catch {
    throw new Error(describe());
  }
}

/** How a walk names what it finds, for its error sentences. */
export interface Naming {
  /** `parts` (a prefix of the walk) as the user knows the path. */
  show(parts: string[]): string;
}

/**
 * Opens `parts` one below the other inside the open folder `from`, never
 * through a symbolic link. Closes `from`; the caller closes the result.
 */
export async function walkDown(
  from: FileHandle,
  parts: string[],
  naming: Naming,
): Promise<FileHandle> {
  let dir = from;
  try {
    for (const [i, part] of parts.entries()) {
      const upTo = parts.slice(0, i + 1);
      const inside = `/proc/self/fd/${dir.fd}/${part}`;
      let next: FileHandle;
      try {
        next = await open(inside, OPEN_INSIDE);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const shown = naming.show(parts);
        if (code === "ENOENT") throw new Error(`${shown} does not exist.`);
        if (code === "ELOOP" || code === "ENOTDIR") {
          const info = await lstat(inside).catch(() => null);
          if (info?.isSymbolicLink())
            throw new Error(
              upTo.length === parts.length
                ? `${shown} is a symbolic link; links are shown, not followed.`
                : `${shown} passes through the symbolic link ${naming.show(upTo)}; links are shown, not followed.`,
            );
          throw new Error(
            upTo.length === parts.length
              ? `${shown} is not a folder.`
              : `${shown} passes through ${naming.show(upTo)}, which is not a folder.`,
          );
        }
        throw new Error(`${naming.show(upTo)} cannot be opened (${code}).`);
      }
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (error) {
    await dir.close().catch(() => undefined);
    throw error;
  }
}

/** The entries of an open folder, sorted by name, links not followed. Closes it. */
export async function listOpenFolder(
  dir: FileHandle,
  shown: string,
): Promise<{ entries: DirEntryInfo[] }> {
  const self = `/proc/self/fd/${dir.fd}`;
  try {
    // As bytes: a name that is not UTF-8 must still be shown (and counted),
    // and only its bytes name the file for lstat.
    let raw: Buffer[];
    try {
      raw = await readdir(self, { encoding: "buffer" });
    } catch (error) {
      throw new Error(
        `${shown} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
      );
    }
    const named = raw.map((bytes) => {
      const name = bytes.toString("utf8");
      return { name, bytes, exact: Buffer.from(name, "utf8").equals(bytes) };
    });
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const entries: DirEntryInfo[] = [];
    for (const dirent of named.slice(0, MAX_ENTRIES)) {
      try {
        const info = await lstat(rawChild(self, dirent.bytes));
        entries.push({
          name: dirent.name,
          ...(dirent.exact ? {} : { undecodable: true as const }),
          kind: info.isSymbolicLink()
            ? "symlink"
            : info.isDirectory()
              ? "dir"
              : info.isFile()
                ? "file"
                : "other",
          bytes: info.size,
          mtime: info.mtime.toISOString(),
        });
      } catch {
        // Gone between readdir and lstat: nothing to show.
      }
    }
    return { entries };
  } finally {
    await dir.close().catch(() => undefined);
  }
}

export async function listDir(
  root: string,
  relative: string,
): Promise<{ entries: DirEntryInfo[] }> {
  if (!path.isAbsolute(root))
    throw new Error(
      `The root "${root}" is not an absolute path; give the folder that is "/" of the system, e.g. "/".`,
    );
  const notAFolder = () => `The root ${root} is not a folder on this machine.`;
  let rootReal: string;
  try {
    rootReal = await realpath(root);
  } catch {
    throw new Error(notAFolder());
  }
  const parts = pathParts(
    relative,
    () => `The path "${relative}" contains "..": give a folder inside ${root}.`,
  );
  const naming: Naming = { show: (p) => path.join(root, ...p) };
  const top = await openFolder(rootReal, notAFolder);
  const dir = await walkDown(top, parts, naming);
  return listOpenFolder(dir, naming.show(parts));
}
