// The state scanner: what under a root would be lost at the next reboot of a
// stateless system. It walks the root's own filesystem once (readdir with
// file types, one lstat per entry, readlink only for symlinks), leaves out
// what is Nix-managed, persisted by the design, excluded or on another mount
// (scan-rules.ts), and folds every folder that holds nothing kept into one
// entry. Unreadable paths are reported, never fatal.
//
// The walk is an explicit stack inside a generator, so the same code runs to
// completion (scanRoot) or in time slices that leave the event loop free for
// the server (scanRootAsync).
import {
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  type Dirent,
} from "node:fs";
import { resolve } from "node:path";
import type {
  ScanEntry,
  ScanResult,
  ScanSuggestion,
} from "../../shared/scan/types";
import { unescapeOctal } from "./probe-proc";
import { rawChild, rawTotals, undecodableNames } from "./raw-names";
import {
  EXCLUDED,
  REGENERATED,
  SCRATCH,
  SPREAD,
  childPath,
  isManagedLink,
  parseEtcClean,
} from "./scan-rules";
import { suggestFor } from "./scan-suggestions";

export interface ScanOptions {
  /** The folder that is "/" of the system to scan. */
  root: string;
  /** Live paths the design keeps (persisted directories and files, the storage folder). */
  persisted?: Iterable<string>;
  /** Why a path is worth keeping (default: the catalog's suggestFor). */
  suggest?: (path: string) => ScanSuggestion | null;
  /** Mount points as absolute host paths; default: read from `mountInfo`. */
  mountPoints?: ReadonlySet<string>;
  /** The mount table to read (default /proc/self/mountinfo); when unreadable, a different device number marks another filesystem. */
  mountInfo?: string;
}

/** A problem with the scan's input (the root), as one sentence. */
export class ScanError extends Error {}

type Kind = ScanEntry["kind"];

interface Frame {
  host: string;
  live: string;
  dirents: Dirent[];
  index: number;
  bytes: number;
  files: number;
  newest: number;
  /** Something kept is inside, or a child is listed in pieces: never one entry. */
  keep: boolean;
  /** Opened whatever it holds (spread folders, /tmp, the root). */
  open: boolean;
  scratch: boolean;
  /** Something inside could not be read: listed even if it looks empty. */
  unknown: boolean;
  // Direct children that are whole entries, as parallel arrays (most folders
  // collapse, and then these are dropped without ever becoming objects).
  names: string[];
  kinds: Kind[];
  sizes: number[];
  counts: number[];
  times: number[];
  /** Entries from deeper down, already built. */
  entries: ScanEntry[];
}

/** Readable mount points from /proc/self/mountinfo (field 5, octal-escaped). */
export function readMountPoints(
  file = "/proc/self/mountinfo",
): Set<string> | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const points = new Set<string>();
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length > 4) points.add(unescapeOctal(fields[4]!));
  }
  return points;
}

export function scanRoot(options: ScanOptions): ScanResult {
  const walk = scanSteps(options);
  let step = walk.next();
  while (!step.done) step = walk.next();
  return step.value;
}

/** Same as scanRoot, yielding to the event loop every `sliceMs`. */
export async function scanRootAsync(
  options: ScanOptions,
  sliceMs = 20,
): Promise<ScanResult> {
  const walk = scanSteps(options);
  for (;;) {
    const until = performance.now() + sliceMs;
    let step = walk.next();
    while (!step.done && performance.now() < until) step = walk.next();
    if (step.done) return step.value;
    await new Promise<void>((r) => setImmediate(r));
  }
}

function* scanSteps(options: ScanOptions): Generator<void, ScanResult> {
  const rootArg = resolve(options.root);
  let rootHost: string;
  try {
    rootHost = realpathSync(rootArg);
    if (!statSync(rootHost).isDirectory()) throw new Error("not a folder");
  } catch {
    throw new ScanError(
      `${rootArg} is not a folder: give the root of the system to scan with --root, e.g. --root /.`,
    );
  }
  const prefix = rootHost === "/" ? "" : rootHost;
  const rootDev = lstatSync(rootHost).dev;

  const allMounts = options.mountPoints ?? readMountPoints(options.mountInfo);
  // Only mounts strictly inside the root matter; without a mount table, a
  // different device number is the sign of another filesystem.
  const mounts = new Set<string>();
  if (allMounts) {
    for (const m of allMounts) if (m.startsWith(`${prefix}/`)) mounts.add(m);
  }
  const checkMounts = mounts.size > 0;
  const checkDevices = allMounts === null;

  /** Live paths that are kept however they look: regenerated, persisted, listed in /etc/.clean. */
  const kept = new Set<string>(REGENERATED);
  for (const p of options.persisted ?? []) kept.add(p);
  try {
    for (const p of parseEtcClean(readFileSync(`${prefix}/etc/.clean`, "utf8")))
      kept.add(p);
  } catch {
    // no /etc/.clean: not a NixOS root, or nothing copied
  }

  const suggest = options.suggest ?? suggestFor;
  const errors: ScanResult["errors"] = [];
  const scratch: ScanEntry[] = [];
  const seenInodes = new Set<string>();
  const fail = (live: string, error: unknown) =>
    errors.push({ path: live, message: describeError(error) });

  const openFrame = (host: string, live: string, mtime: number): Frame => {
    let dirents: Dirent[] = [];
    let unknown = false;
    let raw: ReturnType<typeof undecodableNames> = [];
    try {
      dirents = readdirSync(host, { withFileTypes: true });
      // Rare, so only then is the folder read again as bytes.
      if (dirents.some((d) => d.name.includes("\uFFFD"))) {
        raw = undecodableNames(host);
        const lossy = new Set(raw.map((r) => r.shown));
        dirents = dirents.filter((d) => !lossy.has(d.name));
      }
    } catch (error) {
      fail(live, error);
      unknown = true;
    }
    const frame: Frame = {
      host,
      live,
      dirents,
      index: 0,
      bytes: 0,
      files: 0,
      newest: mtime,
      keep: false,
      open: SPREAD.has(live) || live === SCRATCH,
      scratch: live === SCRATCH,
      unknown,
      names: [],
      kinds: [],
      sizes: [],
      counts: [],
      times: [],
      entries: [],
    };
    for (const r of raw) addUndecodable(frame, r.shown, r.raw);
    return frame;
  };

  // A name that is not UTF-8 is counted whole (with what is below it) and
  // listed, but a design cannot name it: the user is told to rename it.
  const addUndecodable = (frame: Frame, shown: string, name: Buffer) => {
    const live = childPath(frame.live, shown);
    let t;
    try {
      t = rawTotals(
        rawChild(frame.host, name),
        checkDevices ? rootDev : null,
        seenInodes,
      );
    } catch (error) {
      fail(live, error);
      frame.unknown = true;
      return;
    }
    errors.push({
      path: live,
      message: `its name is not valid UTF-8 (shown with �), so it is counted above but a design cannot name it: rename it (e.g. with convmv) to persist it`,
    });
    if (
      t.kind === "symlink" &&
      t.target !== undefined &&
      isManagedLink(live, t.target)
    ) {
      frame.keep = true;
      return;
    }
    frame.names.push(shown);
    frame.kinds.push(t.kind);
    frame.sizes.push(t.bytes);
    frame.counts.push(t.files);
    frame.times.push(t.newest);
    frame.bytes += t.bytes;
    frame.files += t.files;
    if (t.newest > frame.newest) frame.newest = t.newest;
    frame.keep = true;
  };

  const build = (frame: Frame, out: ScanEntry[]) => {
    for (let i = 0; i < frame.names.length; i++) {
      const count = frame.counts[i]!;
      // An empty folder holds no data; an unreadable one (-1) is shown.
      if (frame.kinds[i] === "dir" && count === 0) continue;
      const path = childPath(frame.live, frame.names[i]!);
      out.push({
        path,
        kind: frame.kinds[i]!,
        bytes: frame.sizes[i]!,
        files: Math.max(count, 0),
        newest: new Date(frame.times[i]!).toISOString(),
        suggestion: suggest(path),
      });
    }
    out.push(...frame.entries);
  };

  const rootFrame = openFrame(rootHost, "/", 0);
  rootFrame.open = true;
  const stack: Frame[] = [rootFrame];
  let work = 0;

  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.index < frame.dirents.length) {
      if ((++work & 1023) === 0) yield;
      const dirent = frame.dirents[frame.index++]!;
      const name = dirent.name;
      const live = childPath(frame.live, name);
      const host = prefix + live;
      if (
        kept.has(live) ||
        (frame.live === "/" && EXCLUDED.has(live)) ||
        (checkMounts && mounts.has(host))
      ) {
        frame.keep = true;
        continue;
      }
      let kind: Kind;
      if (dirent.isSymbolicLink()) {
        let target: string;
        try {
          target = readlinkSync(host);
        } catch (error) {
          fail(live, error);
          frame.unknown = true;
          continue;
        }
        if (isManagedLink(live, target)) {
          frame.keep = true;
          continue;
        }
        kind = "symlink";
      } else if (dirent.isDirectory()) {
        kind = "dir";
      } else if (dirent.isFile()) {
        kind = "file";
      } else {
        kind = "other";
      }
      let st;
      try {
        st = lstatSync(host);
      } catch (error) {
        fail(live, error);
        frame.unknown = true;
        continue;
      }
      if (checkDevices && st.dev !== rootDev) {
        frame.keep = true;
        continue;
      }
      const mtime = st.mtimeMs;
      if (kind === "dir") {
        stack.push(openFrame(host, live, mtime));
        continue;
      }
      // A second name of a file already counted adds neither bytes nor a file.
      let size = st.size;
      let count = 1;
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seenInodes.has(key)) {
          size = 0;
          count = 0;
        } else seenInodes.add(key);
      }
      frame.names.push(name);
      frame.kinds.push(kind);
      frame.sizes.push(size);
      frame.counts.push(count);
      frame.times.push(mtime);
      frame.bytes += size;
      frame.files += count;
      if (mtime > frame.newest) frame.newest = mtime;
      continue;
    }

    // The folder is done: fold it into its parent.
    stack.pop();
    const parent = stack[stack.length - 1];
    if (!parent) break;
    parent.bytes += frame.bytes;
    parent.files += frame.files;
    if (frame.unknown) parent.unknown = true;
    if (frame.newest > parent.newest) parent.newest = frame.newest;
    if (frame.scratch) {
      build(frame, scratch);
      parent.keep = true;
    } else if (frame.keep || frame.open) {
      build(frame, parent.entries);
      parent.keep = true;
    } else {
      parent.names.push(frame.live.slice(frame.live.lastIndexOf("/") + 1));
      parent.kinds.push("dir");
      parent.sizes.push(frame.bytes);
      parent.counts.push(frame.files === 0 && frame.unknown ? -1 : frame.files);
      parent.times.push(frame.newest);
    }
  }

  const entries: ScanEntry[] = [];
  build(rootFrame, entries);
  const byPath = (a: { path: string }, b: { path: string }) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  return {
    root: rootArg,
    entries: entries.sort(byPath),
    scratch: scratch.sort(byPath),
    errors: errors.sort(byPath),
  };
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case "EACCES":
    case "EPERM":
      return "permission denied (run the scan as root to see inside)";
    case "ENOENT":
      return "it disappeared during the scan";
    case "ELOOP":
    case "ENAMETOOLONG":
      return "the path is too long or loops";
    default:
      return e.message ?? String(error);
  }
}
