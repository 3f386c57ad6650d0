// Walks a directory tree (without following symlinks) and records what the
// migration tests compare: type, inode, owner, mode, size, content hash,
// link target, xattrs (ACLs included) and hardlink groups.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  lstatSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  type Stats,
} from "node:fs";
import { join } from "node:path";

export type EntryType =
  "file" | "dir" | "symlink" | "fifo" | "socket" | "other";

export interface TreeEntry {
  type: EntryType;
  ino: number;
  nlink: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** sha256 of a regular file's content. */
  content?: string;
  /** A symlink's target. */
  target?: string;
  xattrs: Record<string, string>;
}

/** Relative path ("" is the root itself) -> entry. */
export type Tree = Map<string, TreeEntry>;

function typeOf(st: Stats): EntryType {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isDirectory()) return "dir";
  if (st.isFile()) return "file";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  return "other";
}

/** Decodes getfattr's escapes (\NNN octal) in a file name. */
function unescapeGetfattr(text: string): Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(text, "utf8");
  for (let i = 0; i < raw.length; i++) {
    if (
      raw[i] === 0x5c &&
      /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString())
    ) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 4).toString(), 8));
      i += 3;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes);
}

/** Every xattr under root (getfattr -R, one process), by relative path. */
function xattrsUnder(root: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let text: string;
  try {
    text = execFileSync(
      "getfattr",
      [
        "-R",
        "-P",
        "-h",
        "-d",
        "-m",
        "-",
        "-e",
        "hex",
        "--absolute-names",
        root,
      ],
      {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
  } catch (e) {
    text = (e as { stdout?: string }).stdout ?? "";
  }
  let current: string | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("# file: ")) {
      const abs = unescapeGetfattr(line.slice("# file: ".length)).toString(
        "utf8",
      );
      current = abs === root ? "" : abs.slice(root.length + 1);
      out.set(current, {});
    } else if (current !== null && line.includes("=")) {
      const eq = line.indexOf("=");
      out.get(current)![line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

export function walkTree(
  root: string,
  exclude: (rel: string) => boolean = () => false,
): Tree {
  const tree: Tree = new Map();
  const xattrs = xattrsUnder(root);
  const visit = (rel: string) => {
    const abs = rel === "" ? root : join(root, rel);
    const st = lstatSync(abs);
    const type = typeOf(st);
    const entry: TreeEntry = {
      type,
      ino: st.ino,
      nlink: st.nlink,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: type === "dir" ? 0 : st.size,
      xattrs: xattrs.get(rel) ?? {},
    };
    if (type === "file")
      entry.content = createHash("sha256")
        .update(readFileSync(abs))
        .digest("hex");
    if (type === "symlink") entry.target = readlinkSync(abs);
    tree.set(rel, entry);
    if (type === "dir")
      for (const name of readdirSync(abs).sort()) {
        const child = rel === "" ? name : `${rel}/${name}`;
        if (!exclude(child)) visit(child);
      }
  };
  visit("");
  return tree;
}

/**
 * A tree's description independent of inode numbers and timestamps, for
 * comparing two runs on two copies: each path with its type, owner, mode,
 * size, content, target, xattrs and the other paths of its hardlink group.
 */
export function manifest(tree: Tree): Map<string, string> {
  const groups = new Map<number, string[]>();
  for (const [rel, e] of tree)
    if (e.type !== "dir" && e.nlink > 1)
      groups.set(e.ino, [...(groups.get(e.ino) ?? []), rel]);
  const out = new Map<string, string>();
  for (const [rel, e] of tree) {
    out.set(
      rel,
      JSON.stringify({
        type: e.type,
        mode: e.mode.toString(8),
        uid: e.uid,
        gid: e.gid,
        size: e.size,
        content: e.content,
        target: e.target,
        xattrs: e.xattrs,
        links:
          e.type !== "dir" && e.nlink > 1
            ? [...(groups.get(e.ino) ?? [])].sort()
            : undefined,
      }),
    );
  }
  return out;
}

/** The differences between two manifests, as readable lines (empty when equal). */
export function diffManifests(
  a: Map<string, string>,
  b: Map<string, string>,
): string[] {
  const lines: string[] = [];
  for (const [rel, v] of a) {
    const w = b.get(rel);
    if (w === undefined) lines.push(`only in first: ${JSON.stringify(rel)}`);
    else if (w !== v)
      lines.push(`differs: ${JSON.stringify(rel)}: ${v} vs ${w}`);
  }
  for (const rel of b.keys())
    if (!a.has(rel)) lines.push(`only in second: ${JSON.stringify(rel)}`);
  return lines;
}
