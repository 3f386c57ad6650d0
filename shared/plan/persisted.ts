// The persisted paths of a design as absolute system paths, in the order the
// migration moves them: outermost first, so a persisted folder moves before
// anything persisted inside it (which then moves with it).
import type {
  DirEntry,
  FileEntry,
  PersistenceDesign,
  UserDesign,
  UserPersistence,
} from "../design/types";

export interface PersistedPath {
  /** Absolute, normalized: "/var/lib/nixos", "/home/mira/.ssh". */
  path: string;
  kind: "directory" | "file";
  /** Set for entries listed under persistence.users. */
  user?: string;
  /** The design's own ownership and mode, when it gives them. */
  owner?: string;
  group?: string;
  mode?: string;
}

export function dirPath(entry: DirEntry): string {
  return typeof entry === "string" ? entry : entry.directory;
}

export function filePath(entry: FileEntry): string {
  return typeof entry === "string" ? entry : entry.file;
}

/** A user's home: the design's `home`, else /root for root and /home/NAME for others (NixOS's default). */
export function homeOf(
  name: string,
  users: Record<string, UserDesign>,
): string {
  const home = users[name]?.home;
  if (home) return home;
  return name === "root" ? "/root" : `/home/${name}`;
}

/** Joins an absolute base and a relative path, dropping empty and "." segments. */
export function joinPath(base: string, relative: string): string {
  const parts = [...segments(base), ...segments(relative)];
  return `/${parts.join("/")}`;
}

/** The segments of a path: "/var/lib/" -> ["var", "lib"]. */
export function segments(path: string): string[] {
  return path.split("/").filter((s) => s !== "" && s !== ".");
}

/** Component-wise order: a folder sorts before everything inside it. */
export function comparePaths(a: string, b: string): number {
  const sa = segments(a);
  const sb = segments(b);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i]!;
    const y = sb[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** Is `inner` the same as `outer` or inside it? */
export function isWithin(inner: string, outer: string): boolean {
  const si = segments(inner);
  const so = segments(outer);
  return so.length <= si.length && so.every((s, i) => si[i] === s);
}

function fromUser(
  name: string,
  entries: UserPersistence,
  users: Record<string, UserDesign>,
): PersistedPath[] {
  const home = homeOf(name, users);
  return [
    ...entries.directories.map((d) => ({
      ...perms(d),
      path: joinPath(home, dirPath(d)),
      kind: "directory" as const,
      user: name,
    })),
    ...entries.files.map((f) => ({
      path: joinPath(home, filePath(f)),
      kind: "file" as const,
      user: name,
    })),
  ];
}

function perms(entry: DirEntry): Partial<PersistedPath> {
  if (typeof entry === "string") return {};
  const out: Partial<PersistedPath> = {};
  if (entry.user !== undefined) out.owner = entry.user;
  if (entry.group !== undefined) out.group = entry.group;
  if (entry.mode !== undefined) out.mode = entry.mode;
  return out;
}

/** Every persisted path of a persistence block (system and per-user), deduplicated, outermost first. */
export function persistedPaths(
  persistence: Pick<PersistenceDesign, "directories" | "files" | "users">,
  users: Record<string, UserDesign>,
): PersistedPath[] {
  const all: PersistedPath[] = [
    ...persistence.directories.map((d) => ({
      ...perms(d),
      path: joinPath("/", dirPath(d)),
      kind: "directory" as const,
    })),
    ...persistence.files.map((f) => ({
      path: joinPath("/", filePath(f)),
      kind: "file" as const,
    })),
    ...Object.entries(persistence.users)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([name, entries]) => fromUser(name, entries, users)),
  ];
  const seen = new Set<string>();
  return all
    .filter((p) => (seen.has(p.path) ? false : (seen.add(p.path), true)))
    .sort((a, b) => comparePaths(a.path, b.path));
}

/** The path relative to "/" ("/var/log" -> "var/log"). */
export function relativeToRoot(path: string): string {
  return segments(path).join("/");
}
