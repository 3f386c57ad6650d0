// The live paths a design keeps, for the scanner to leave out: its persisted
// directories and files (persistence and recover.add, user paths joined to
// the home) and the persistent storage folder itself.
import { persistedPaths } from "../../shared/design/checks";
import type { Problem } from "../../shared/design/types";
import { validateDesign } from "../../shared/design/validate";

export type KeptPaths =
  { ok: true; kept: string[] } | { ok: false; problems: Problem[] };

/** From a design document (parsed JSON); a design with errors gives its problems. */
export function keptByDesign(document: unknown): KeptPaths {
  const { design, problems } = validateDesign(document);
  if (!design)
    return {
      ok: false,
      problems: problems.filter((p) => p.severity === "error"),
    };
  return {
    ok: true,
    kept: [
      design.persistence.storage,
      ...persistedPaths(design).map((p) => p.abs),
    ],
  };
}
