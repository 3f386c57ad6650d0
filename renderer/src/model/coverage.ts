// Which absolute paths a design keeps: persisted system paths as they are,
// per-user paths under the user's home. The Persistence and Recover screens use
// it to tell what a scan finding would lose, without asking the backend again.
import type { Design } from "../../../shared/design/types";
import { dirPath, filePath, isWithin } from "./entries";

export function homeOf(design: Design, user: string): string {
  return (
    design.users[user]?.home ?? (user === "root" ? "/root" : `/home/${user}`)
  );
}

/** Every persisted path as an absolute path, with whether it is a directory. */
export function persistedPaths(
  design: Design,
): { path: string; directory: boolean }[] {
  const out: { path: string; directory: boolean }[] = [];
  const p = design.persistence;
  for (const e of p.directories)
    out.push({ path: dirPath(e), directory: true });
  for (const e of p.files) out.push({ path: filePath(e), directory: false });
  for (const [user, u] of Object.entries(p.users)) {
    const home = homeOf(design, user);
    for (const e of u.directories)
      out.push({ path: `${home}/${dirPath(e)}`, directory: true });
    for (const e of u.files)
      out.push({ path: `${home}/${filePath(e)}`, directory: false });
  }
  return out;
}

/** Is this absolute path kept: itself persisted, or inside a persisted directory? */
export function isKept(design: Design, path: string): boolean {
  return persistedPaths(design).some((k) =>
    k.directory ? isWithin(path, k.path) : k.path === path,
  );
}

/** A home path split into its user and the path relative to the home, if it is one. */
export function splitHome(
  design: Design,
  path: string,
): { user: string; rel: string } | null {
  const users = new Set([
    ...Object.keys(design.users),
    ...Object.keys(design.persistence.users),
  ]);
  for (const user of users) {
    const home = homeOf(design, user);
    if (path.startsWith(`${home}/`))
      return { user, rel: path.slice(home.length + 1) };
  }
  const m = /^\/home\/([^/]+)\/(.+)$/.exec(path);
  return m ? { user: m[1]!, rel: m[2]! } : null;
}
