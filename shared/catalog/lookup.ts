// Lookups over the catalog: the paths of a preset (with what it extends), a
// preset as a persistence block for a design, what to suggest for a path the
// scanner found, and which service to stop before copying a path.
import { isAtOrUnder } from "../design/paths";
import type { DirEntry, FileEntry, UserPersistence } from "../design/types";
import {
  PRESETS,
  SERVICE_STATE,
  type CatalogPath,
  type DesktopProgram,
  type Preset,
} from "./presets";

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** A preset's own paths and those of the presets it extends, each once, base first. */
export function presetPaths(id: string): CatalogPath[] {
  const seen = new Set<string>();
  const out: CatalogPath[] = [];
  const visit = (pid: string) => {
    const preset = presetById(pid);
    if (!preset) throw new Error(`no preset named "${pid}"`);
    preset.extends.forEach(visit);
    for (const p of preset.paths) {
      const key = `${p.scope}:${p.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(p);
    }
  };
  visit(id);
  return out;
}

function entry(p: CatalogPath): DirEntry | FileEntry {
  if (p.kind === "file") return p.path;
  if (p.user === undefined && p.group === undefined && p.mode === undefined)
    return p.path;
  const e: DirEntry = { directory: p.path };
  if (p.user !== undefined) e.user = p.user;
  if (p.group !== undefined) e.group = p.group;
  if (p.mode !== undefined) e.mode = p.mode;
  return e;
}

/** The persistence lists of one or more presets, for the given users. */
export function presetPersistence(
  ids: string[],
  users: string[],
): {
  directories: DirEntry[];
  files: FileEntry[];
  users: Record<string, UserPersistence>;
} {
  const all = new Map<string, CatalogPath>();
  for (const id of ids)
    for (const p of presetPaths(id)) all.set(`${p.scope}:${p.path}`, p);
  const paths = [...all.values()];
  const system = paths.filter((p) => p.scope === "system");
  const inHome = paths.filter((p) => p.scope === "home");
  const perUser: Record<string, UserPersistence> = {};
  for (const name of users)
    perUser[name] = {
      directories: inHome
        .filter((p) => p.kind === "directory")
        .map(entry) as DirEntry[],
      files: inHome.filter((p) => p.kind === "file").map(entry) as FileEntry[],
    };
  return {
    directories: system
      .filter((p) => p.kind === "directory")
      .map(entry) as DirEntry[],
    files: system.filter((p) => p.kind === "file").map(entry) as FileEntry[],
    users: perUser,
  };
}

interface Known {
  item: CatalogPath;
  preset: string | null;
}

/** Every catalog path once, with the first preset that lists it. */
function known(): Known[] {
  const out: Known[] = [];
  const seen = new Set<string>();
  for (const preset of PRESETS)
    for (const item of preset.paths) {
      const key = `${item.scope}:${item.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ item, preset: preset.id });
    }
  for (const item of SERVICE_STATE) out.push({ item, preset: null });
  return out;
}

const KNOWN = known();

/** The catalog entry covering an absolute path on the live system, nearest first. */
function lookup(path: string): Known | null {
  let best: Known | null = null;
  let bestLength = -1;
  for (const k of KNOWN) {
    const candidates =
      k.item.scope === "system" ? [k.item.path] : homeForms(path, k.item.path);
    for (const base of candidates) {
      const covers =
        k.item.kind === "file" ? path === base : isAtOrUnder(path, base);
      if (covers && base.length > bestLength) {
        best = k;
        bestLength = base.length;
      }
    }
  }
  return best;
}

/** Where a home-relative catalog path would be for the home `path` is in (/home/NAME or /root). */
function homeForms(path: string, relative: string): string[] {
  const m = /^(\/home\/[^/]+|\/root)(\/|$)/.exec(path);
  return m ? [`${m[1]}/${relative}`] : [];
}

/**
 * Why a path the scanner found is worth keeping, and the preset listing it
 * (null for service state outside the presets); null when the catalog does
 * not know the path.
 */
export function suggestFor(
  path: string,
): { reason: string; preset: string | null } | null {
  const k = lookup(path);
  return k ? { reason: k.item.reason, preset: k.preset } : null;
}

/** The systemd unit that writes `path` (or a folder holding it), to stop before copying it. */
export function owningService(path: string): string | null {
  return lookup(path)?.item.service ?? null;
}

/** The desktop program that writes `path` (or a folder holding it) while it runs. */
export function writingProgram(path: string): DesktopProgram | null {
  return lookup(path)?.item.program ?? null;
}

/** Where a suggestion's reason comes from, for the review screen. */
export function sourceFor(path: string): string | null {
  return lookup(path)?.item.source ?? null;
}
