// Designs and plans live in one workspace folder the user chose
// (`--workspace DIR`, default ~/tabula). Nothing is ever read or written
// outside it: names are relative paths without "." or ".." segments or
// hidden parts, and every existing component is resolved so that a symbolic
// link leading out of the workspace is refused. Writes go to a temporary file
// beside the target and are renamed over it, so a crash leaves either the old
// or the new file, never half of one.
import { randomBytes } from "node:crypto";
import { constants, type Dirent } from "node:fs";
import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { GeneratedFile } from "../../shared/api/contract";
import { stalePlanFiles } from "../../shared/plan-files";

/** Where designs and plans go when `--workspace` is not given. */
export function defaultWorkspace(): string {
  return path.join(os.homedir(), "tabula");
}

export const DESIGN_SUFFIX = ".json";
/** A design "hosts/laptop.json" has its plan in "hosts/laptop.plan/". */
export const PLAN_SUFFIX = ".plan";
/** Largest design file openDesign reads. */
export const MAX_DESIGN_BYTES = 8 << 20;
const MAX_LISTED = 2000;
const MAX_DEPTH = 4;

export interface FilesService {
  /** The workspace's real path (symbolic links resolved). */
  workspace: string;
  listDesigns(): Promise<{ workspace: string; designs: string[] }>;
  openDesign(name: string): Promise<{ design: unknown }>;
  saveDesign(name: string, design: unknown): Promise<{ path: string }>;
  /** Writes generated files into the design's plan folder. */
  writePlan(
    name: string,
    files: GeneratedFile[],
  ): Promise<{ dir: string; files: string[] }>;
}

/**
 * Open the workspace. The default folder is created when missing; a folder
 * the user named must exist (a typo should not silently make a new one).
 */
export async function openWorkspace(
  dir: string,
  options: { create?: boolean } = {},
): Promise<FilesService> {
  const absolute = path.resolve(dir);
  if (options.create) await mkdir(absolute, { recursive: true });
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new Error(
      `The workspace folder ${absolute} does not exist; create it or pass --workspace with an existing folder.`,
    );
  }
  if (!info.isDirectory())
    throw new Error(
      `The workspace ${absolute} is not a folder; pass --workspace with a folder.`,
    );
  return filesIn(await realpath(absolute));
}

function filesIn(root: string): FilesService {
  const inside = (p: string) => p === root || p.startsWith(root + path.sep);

  /**
   * Resolve a relative name to a real path inside the workspace. Folders on
   * the way are created when `createDirs`; a missing one otherwise makes the
   * result's `exists` false.
   */
  async function resolve(
    segments: string[],
    label: string,
    createDirs: boolean,
  ): Promise<{ target: string; exists: boolean }> {
    let current = root;
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      const next = path.join(current, segment);
      let info;
      try {
        info = await lstat(next);
      } catch {
        if (last) return { target: next, exists: false };
        if (!createDirs) return { target: next, exists: false };
        await mkdir(next);
        current = next;
        continue;
      }
      let real = next;
      if (info.isSymbolicLink()) {
        try {
          real = await realpath(next);
        } catch {
          throw new Error(
            `${label} passes through the broken symbolic link ${path.relative(root, next)}; remove it or choose another name.`,
          );
        }
        if (!inside(real))
          throw new Error(
            `${label} passes through the symbolic link ${path.relative(root, next)}, which leads outside the workspace ${root}; Tabula only reads and writes inside the workspace.`,
          );
        info = await stat(real);
      }
      if (!last && !info.isDirectory())
        throw new Error(
          `${label}: ${path.relative(root, next)} is not a folder.`,
        );
      current = real;
    }
    return { target: current, exists: true };
  }

  async function writeAtomic(
    target: string,
    content: string,
    mode: number,
  ): Promise<void> {
    const dir = path.dirname(target);
    const temp = path.join(
      dir,
      `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`,
    );
    // O_EXCL: never follows or reuses a file someone placed at the temp name.
    const handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      mode,
    );
    try {
      await handle.writeFile(content, "utf8");
      await handle.chmod(mode);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    // rename replaces a link at `target` itself, never what it points to.
    await rename(temp, target);
  }

  async function listDesigns() {
    const designs: string[] = [];
    async function walk(dir: string, prefix: string, depth: number) {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // unreadable folder: nothing to list there
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (designs.length >= MAX_LISTED) return;
        if (entry.name.startsWith(".")) continue;
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        // Symbolic links are not followed: no loops, no escapes.
        if (entry.isDirectory()) {
          if (entry.name.endsWith(PLAN_SUFFIX) || depth >= MAX_DEPTH) continue;
          await walk(path.join(dir, entry.name), rel, depth + 1);
        } else if (entry.isFile() && entry.name.endsWith(DESIGN_SUFFIX)) {
          designs.push(rel);
        }
      }
    }
    await walk(root, "", 0);
    return { workspace: root, designs };
  }

  async function openDesign(name: string) {
    const rel = designName(name);
    const label = `Design "${rel}"`;
    const { target, exists } = await resolve(rel.split("/"), label, false);
    if (!exists)
      throw new Error(
        `${label} does not exist in the workspace ${root}; pick one of the listed designs.`,
      );
    const info = await stat(target);
    if (!info.isFile()) throw new Error(`${label} is not a file.`);
    if (info.size > MAX_DESIGN_BYTES)
      throw new Error(
        `${label} is ${info.size} bytes, larger than any design (at most ${MAX_DESIGN_BYTES}); check that it is the right file.`,
      );
    const text = await readFile(target, "utf8");
    try {
      return { design: JSON.parse(text) as unknown };
    } catch (error) {
      throw new Error(
        `${label} is not valid JSON (${(error as Error).message}); fix the file in an editor or save the design again.`,
      );
    }
  }

  async function saveDesign(name: string, design: unknown) {
    const rel = designName(name);
    const label = `Design "${rel}"`;
    if (typeof design !== "object" || design === null || Array.isArray(design))
      throw new Error(
        `${label} cannot be saved: the design must be a JSON object.`,
      );
    const { target, exists } = await resolve(rel.split("/"), label, true);
    if (exists && !(await stat(target)).isFile())
      throw new Error(
        `${label} cannot be saved: ${path.relative(root, target)} is not a file.`,
      );
    await writeAtomic(target, `${JSON.stringify(design, null, 2)}\n`, 0o644);
    return { path: target };
  }

  async function writePlan(name: string, files: GeneratedFile[]) {
    const rel = designName(name);
    const dirRel = rel.slice(0, -DESIGN_SUFFIX.length) + PLAN_SUFFIX;
    const label = `The plan folder "${dirRel}"`;
    // Check every name before writing anything: a bad one changes nothing.
    const checked = files.map((file) => ({
      segments: [
        ...dirRel.split("/"),
        ...relativeName(file.path, `Plan file "${file.path}"`).split("/"),
      ],
      file,
    }));
    const written: string[] = [];
    for (const { segments, file } of checked) {
      const { target, exists } = await resolve(segments, label, true);
      if (exists && !(await stat(target)).isFile())
        throw new Error(
          `${label}: ${path.relative(root, target)} is not a file.`,
        );
      const executable = file.path.endsWith(".sh");
      await writeAtomic(target, file.content, executable ? 0o755 : 0o644);
      written.push(file.path);
    }
    // An earlier plan's files this one lacks would be used by steps.sh.
    // Only a regular file is removed, never what a link points to.
    for (const stale of stalePlanFiles(files)) {
      const parts = stale.split("/");
      const parent = await resolve(
        [...dirRel.split("/"), ...parts.slice(0, -1)],
        label,
        false,
      );
      if (!parent.exists) continue;
      const target = path.join(parent.target, parts[parts.length - 1]!);
      const info = await lstat(target).catch(() => null);
      if (info?.isFile()) await rm(target);
    }
    const dir = (await resolve(dirRel.split("/"), label, true)).target;
    return { dir, files: written };
  }

  return { workspace: root, listDesigns, openDesign, saveDesign, writePlan };
}

/** A design name as stored: relative, checked, ending in ".json". */
export function designName(name: string): string {
  const rel = relativeName(name, `Design name "${name}"`);
  return rel.endsWith(DESIGN_SUFFIX) ? rel : rel + DESIGN_SUFFIX;
}

/** Check a name relative to the workspace; the error says what to use instead. */
export function relativeName(name: string, label: string): string {
  const hint =
    'use a name inside the workspace, such as "laptop" or "hosts/laptop"';
  if (name.length === 0) throw new Error(`${label} is empty; ${hint}.`);
  if (name.length > 1024) throw new Error(`${label} is too long; ${hint}.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(name))
    throw new Error(
      `${label} contains a control character or a backslash; ${hint}.`,
    );
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name))
    throw new Error(`${label} is an absolute path; ${hint}.`);
  const segments = name.split("/");
  for (const segment of segments) {
    if (segment === "..")
      throw new Error(
        `${label} contains "..", which leads out of the workspace; ${hint}.`,
      );
    if (segment === "" || segment === ".")
      throw new Error(`${label} has an empty or "." part; ${hint}.`);
    if (segment.startsWith("."))
      throw new Error(`${label} has a hidden part "${segment}"; ${hint}.`);
    if (Buffer.byteLength(segment) > 200)
      throw new Error(`${label} has a part longer than 200 bytes; ${hint}.`);
  }
  return segments.join("/");
}
