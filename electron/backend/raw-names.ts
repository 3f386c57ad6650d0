// Names that are not valid UTF-8. Node decodes directory entries as UTF-8 and
// puts U+FFFD for bytes that are not, so such a name no longer names the
// file: lstat on it fails, and its data would silently go uncounted. These
// helpers find the real bytes of such names and measure what is below them,
// with Buffer paths, which the kernel takes as they are.
import { lstatSync, readdirSync, readlinkSync } from "node:fs";

/** The undecodable names in a folder, each with its bytes, or [] when every name is UTF-8. */
export function undecodableNames(
  dir: string,
): { shown: string; raw: Buffer }[] {
  const raw = readdirSync(dir, { encoding: "buffer" });
  return raw.flatMap((name) => {
    const shown = name.toString("utf8");
    return Buffer.from(shown, "utf8").equals(name)
      ? []
      : [{ shown, raw: name }];
  });
}

/** DIR + "/" + NAME as a byte-exact path. */
export function rawChild(dir: string | Buffer, name: Buffer): Buffer {
  const base = typeof dir === "string" ? Buffer.from(dir, "utf8") : dir;
  return Buffer.concat([base, Buffer.from("/"), name]);
}

export interface RawTotals {
  kind: "dir" | "file" | "symlink" | "other";
  bytes: number;
  files: number;
  newest: number;
  /** The link's target, for a symbolic link. */
  target?: string;
}

/**
 * What is at PATH and below it, on the filesystem DEV only (other mounts are
 * not entered), counting a hard-linked file once (SEEN holds dev:ino).
 * Unreadable folders count as what could be read.
 */
export function rawTotals(
  path: Buffer,
  dev: number | null,
  seen: Set<string>,
): RawTotals {
  const st = lstatSync(path);
  const kind = st.isSymbolicLink()
    ? "symlink"
    : st.isDirectory()
      ? "dir"
      : st.isFile()
        ? "file"
        : "other";
  if (kind === "symlink")
    return {
      kind,
      bytes: st.size,
      files: 1,
      newest: st.mtimeMs,
      target: readlinkSync(path, { encoding: "buffer" }).toString("utf8"),
    };
  if (kind !== "dir") {
    const key = `${st.dev}:${st.ino}`;
    const again = st.nlink > 1 && seen.has(key);
    if (st.nlink > 1) seen.add(key);
    return {
      kind,
      bytes: again ? 0 : st.size,
      files: again ? 0 : 1,
      newest: st.mtimeMs,
    };
  }
  const out: RawTotals = { kind, bytes: 0, files: 0, newest: st.mtimeMs };
  if (dev !== null && st.dev !== dev) return out;
  let names: Buffer[] = [];
  try {
    names = readdirSync(path, { encoding: "buffer" });
  } catch {
    return out;
  }
  for (const name of names) {
    let inner: RawTotals;
    try {
      inner = rawTotals(rawChild(path, name), st.dev, seen);
    } catch {
      continue;
    }
    out.bytes += inner.bytes;
    out.files += inner.files;
    if (inner.newest > out.newest) out.newest = inner.newest;
  }
  return out;
}
