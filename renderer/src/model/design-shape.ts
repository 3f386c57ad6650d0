// The screens read a design's containers (persistence lists, users) without
// checking each time, so a document must have them before it replaces the
// one being edited. Everything finer is validation's job: a document that
// passes here opens, and its problems are then shown at their fields.
import type { Design } from "../../../shared/design/types";
import { DESIGN_FORMAT, MODES } from "../../../shared/design/types";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Null when the document can be opened, else one sentence naming the field. */
export function shapeProblem(doc: unknown): string | null {
  if (!isObject(doc))
    return "The file does not hold a design: expected a JSON object.";
  if (doc.format !== DESIGN_FORMAT)
    return `format: expected "${DESIGN_FORMAT}", found ${JSON.stringify(doc.format) ?? "nothing"}; this is not a Tabula design or it is from another version.`;
  if (typeof doc.mode !== "string" || !MODES.includes(doc.mode as never))
    return `mode: expected "install", "convert" or "recover", found ${JSON.stringify(doc.mode) ?? "nothing"}.`;
  if (!isObject(doc.root))
    return 'root: missing; add { "size": "2G" } (the tmpfs size for /).';
  const p = doc.persistence;
  if (!isObject(p))
    return "persistence: missing; a design needs a persistence block.";
  if (!Array.isArray(p.directories))
    return "persistence.directories: expected a list of paths.";
  if (!Array.isArray(p.files))
    return "persistence.files: expected a list of paths.";
  if (!isObject(p.users))
    return "persistence.users: expected an object of users (it may be empty).";
  for (const [name, u] of Object.entries(p.users)) {
    if (
      !isObject(u) ||
      !Array.isArray(u.directories) ||
      !Array.isArray(u.files)
    )
      return `persistence.users.${name}: expected { "directories": [...], "files": [...] }.`;
  }
  if (!isObject(doc.users))
    return "users: expected an object of users (it may be empty).";
  const needs = { install: "disk", convert: "convert", recover: "recover" }[
    doc.mode as Design["mode"]
  ];
  if (!isObject(doc[needs]))
    return `${needs}: missing; a ${String(doc.mode)} design needs this block.`;
  if (doc.mode === "install") {
    const d = doc.disk as Record<string, unknown>;
    if (!isObject(d.esp) || !isObject(d.nix) || !Array.isArray(d.nix.options))
      return 'disk: needs "esp": { "size" } and "nix": { "fsType", "options": [...] }.';
  }
  if (doc.mode === "recover") {
    const r = doc.recover as Record<string, unknown>;
    if (!isObject(r.add) || !isObject(r.nix))
      return 'recover: needs "nix" (the partition) and "add" (what to bring in).';
  }
  return null;
}

export function asDesign(doc: unknown): { design: Design } | { error: string } {
  const problem = shapeProblem(doc);
  return problem ? { error: problem } : { design: doc as Design };
}
