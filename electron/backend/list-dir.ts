// One level of a folder inside a root the user is looking at (a scanned live
// root, or the old-root/ quarantine of a conversion), for the Recover screen.
// Read-only. `path` is relative to `root` and stays inside it: no "..", and a
// symbolic link is listed as a link, never followed.
import type { Dirent } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { DirEntryInfo } from "../../shared/api/contract";

/** More entries than anyone reads in one folder; the rest are left out. */
export const MAX_ENTRIES = 5000;

export async function listDir(
  root: string,
  relative: string,
): Promise<{ entries: DirEntryInfo[] }> {
  if (!path.isAbsolute(root))
    throw new Error(
      `The root "${root}" is not an absolute path; give the folder that is "/" of the system, e.g. "/".`,
    );
  let rootReal: string;
  try {
    rootReal = await realpath(root);
    if (!(await stat(rootReal)).isDirectory()) throw new Error();
  } catch {
    throw new Error(`The root ${root} is not a folder on this machine.`);
  }
  const parts = relative.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes(".."))
    throw new Error(
      `The path "${relative}" contains "..": give a folder inside ${root}.`,
    );
  let dir = rootReal;
  for (const part of parts) {
    const next = path.join(dir, part);
    let info;
    try {
      info = await lstat(next);
    } catch {
      throw new Error(`${path.join(root, ...parts)} does not exist.`);
    }
    if (info.isSymbolicLink())
      throw new Error(
        `${path.join(root, ...parts)} passes through the symbolic link ${path.join(root, path.relative(rootReal, next))}; links are shown, not followed.`,
      );
    if (!info.isDirectory())
      throw new Error(`${path.join(root, ...parts)} is not a folder.`);
    dir = next;
  }
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new Error(
      `${path.join(root, ...parts)} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
    );
  }
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries: DirEntryInfo[] = [];
  for (const dirent of dirents.slice(0, MAX_ENTRIES)) {
    try {
      const info = await lstat(path.join(dir, dirent.name));
      entries.push({
        name: dirent.name,
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
}
