// A path the user types to keep (Persistence, "Keep another path"): checked
// with the same rules validation applies to the design, before it is added,
// so a path that validation would refuse never enters the design. One
// sentence names the field and says what to type instead.
import { homePathFault, systemPathFault } from "../../../shared/design/paths";
import type { EntryKind } from "./entries";

export type TypedPath = { path: string } | { error: string };

/**
 * `user` null: a system path (absolute); else a path in that user's home.
 * A folder's trailing slash is dropped: "/var/lib/foo/" is that folder.
 */
export function typedPath(
  text: string,
  kind: EntryKind,
  user: string | null,
): TypedPath {
  let path = text.trim();
  if (!path) return { error: "Path: type the path to keep." };
  if (kind === "directory" && path.length > 1)
    path = path.replace(/\/+$/, "") || "/";
  if (user === null) {
    if (!path.startsWith("/")) {
      const suggestion = `/${path.replace(/^[.~]?\/*/, "")}`;
      return {
        error: `Path: a system path starts with /, e.g. ${suggestion}.`,
      };
    }
    const fault = systemPathFault(path);
    return fault ? { error: sentence(path, fault) } : { path };
  }
  if (path.startsWith("/")) {
    const home = `/home/${user}/`;
    const inside = path.startsWith(home) ? path.slice(home.length) : null;
    return {
      error: inside
        ? `Path: for ${user}, give the path inside the home, e.g. ${inside}.`
        : `Path: ${path} is not in ${user}'s home; give a path inside the home (e.g. .config/app), or choose “The system” under For.`,
    };
  }
  if (path === ".." || path.startsWith("../"))
    return {
      error: `Path: ${path} leaves ${user}'s home; give a path inside it (e.g. .config/app), or choose “The system” under For.`,
    };
  const fault = homePathFault(path);
  return fault ? { error: sentence(path, fault) } : { path };
}

function sentence(path: string, fault: string): string {
  return `Path: ${path} ${fault}.`;
}
