// Why a scanned path is usually worth keeping: the knowledge catalog's
// answer (shared/catalog, `suggestFor`), the one place the scanner asks.
//
// The catalog answers for a path at or under one it knows. The scanner also
// folds folders, so an entry can be a folder that merely holds a known path
// (/etc/NetworkManager holding system-connections): then the suggestion names
// what is inside and why.
import {
  PRESETS,
  SERVICE_STATE,
  suggestFor as catalogSuggestion,
  type CatalogPath,
} from "../../shared/catalog";
import type { ScanSuggestion } from "../../shared/scan/types";

interface Inside {
  /** System paths absolute; home paths relative to the home. */
  path: string;
  scope: CatalogPath["scope"];
  reason: string;
  preset: string | null;
}

const KNOWN: Inside[] = [
  ...PRESETS.flatMap((preset) =>
    preset.paths.map((p) => ({
      path: p.path,
      scope: p.scope,
      reason: p.reason,
      preset: preset.id,
    })),
  ),
  ...SERVICE_STATE.map((p) => ({
    path: p.path,
    scope: p.scope,
    reason: p.reason,
    preset: null,
  })),
];

/** The catalog path nearest below `folder`, as a live path, if any. */
function knownInside(folder: string): Inside | null {
  const home = /^(\/home\/[^/]+|\/root)(\/.*)?$/.exec(folder);
  let best: Inside | null = null;
  for (const k of KNOWN) {
    const live =
      k.scope === "system" ? k.path : home ? `${home[1]}/${k.path}` : null;
    if (live === null || !live.startsWith(`${folder}/`)) continue;
    if (best === null || live.length < best.path.length)
      best = { ...k, path: live };
  }
  return best;
}

export function suggestFor(path: string): ScanSuggestion | null {
  const direct = catalogSuggestion(path);
  if (direct) return direct;
  const inside = knownInside(path);
  return inside
    ? {
        reason: `Holds ${inside.path}: ${inside.reason}`,
        preset: inside.preset,
      }
    : null;
}
