// The knowledge catalog (shared/catalog) shaped for the Persistence screen:
// each preset with all its paths (those of the presets it extends included),
// the reason of any known path and where that reason comes from, and the
// base every new design starts with (the minimal server preset).
import type { DirPerms } from "../../../shared/design/types";
import {
  PRESETS,
  SERVICE_STATE,
  presetPaths,
  presetPersistence,
  type CatalogPath,
} from "../../../shared/catalog";
import type { EntryKind } from "./entries";
import type { BaseEntries } from "./new-design";

export interface PresetEntry {
  kind: EntryKind;
  path: string;
  /** "user": relative to each user's home. */
  scope: "system" | "user";
  reason: string;
  source: string;
  perms?: DirPerms;
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  /** Titles of the presets this one includes. */
  includes: string[];
  entries: PresetEntry[];
}

/** The preset a new design starts from. */
export const BASE_PRESET = "server";

function toEntry(p: CatalogPath): PresetEntry {
  const perms: DirPerms = {};
  if (p.user !== undefined) perms.user = p.user;
  if (p.group !== undefined) perms.group = p.group;
  if (p.mode !== undefined) perms.mode = p.mode;
  return {
    kind: p.kind,
    path: p.path,
    scope: p.scope === "home" ? "user" : "system",
    reason: p.reason,
    source: p.source,
    ...(Object.keys(perms).length ? { perms } : {}),
  };
}

const ALL: Preset[] = PRESETS.map((p) => ({
  id: p.id,
  title: p.title,
  description: p.description,
  includes: p.extends.map(
    (id) => PRESETS.find((q) => q.id === id)?.title ?? id,
  ),
  entries: presetPaths(p.id).map(toEntry),
}));

const KNOWN = new Map<string, PresetEntry>();
for (const item of [...PRESETS.flatMap((p) => p.paths), ...SERVICE_STATE]) {
  const e = toEntry(item);
  const key = `${e.scope}:${e.path}`;
  if (!KNOWN.has(key)) KNOWN.set(key, e);
}

export function presets(): Preset[] {
  return ALL;
}

/** Why a path is usually kept (and where that comes from), if the catalog knows it. */
export function reasonFor(
  path: string,
  scope: "system" | "user",
): PresetEntry | null {
  return KNOWN.get(`${scope}:${path}`) ?? null;
}

export function baseEntries(): BaseEntries {
  const p = presetPersistence([BASE_PRESET], []);
  return { directories: p.directories, files: p.files };
}
