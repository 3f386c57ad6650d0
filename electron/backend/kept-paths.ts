// The live paths a design keeps, for the scanner: its persisted paths and
// its storage folder. The renderer sends the design being edited, which is
// often a draft with errors elsewhere (an empty device, a missing hostname);
// the scan should still know what the user already chose to keep. So a
// valid design is read exactly (validateDesign, persistedPaths), and a draft
// is read leniently: only well-formed absolute entries of its persistence
// block count, anything else is left out rather than guessed. (`tabula scan
// --design` reads a file the user chose and refuses a draft: scan-design.ts.)
import { homeOf } from "../../shared/design/checks";
import { underHome } from "../../shared/design/paths";
import type { UserDesign } from "../../shared/design/types";
import { keptByDesign } from "./scan-design";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** "/a/b" with no empty, "." or ".." parts; trailing slashes dropped. */
function absolute(value: unknown): string | null {
  if (typeof value !== "string" || !value.startsWith("/")) return null;
  const parts = value.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === "." || p === "..")) return null;
  return `/${parts.join("/")}`;
}

function relative(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  const parts = value.split("/").filter((p) => p !== "");
  if (parts.length === 0 || parts.some((p) => p === "." || p === ".."))
    return null;
  return parts.join("/");
}

/** Entries of a directories/files list: strings or { directory } / { file }. */
function entries(list: unknown, key: "directory" | "file"): unknown[] {
  if (!Array.isArray(list)) return [];
  return list.map((e) => (isObj(e) ? e[key] : e));
}

export function keptPaths(input: unknown): string[] {
  const exact = keptByDesign(input);
  if (exact.ok) return exact.kept;
  if (!isObj(input) || !isObj(input.persistence)) return [];
  const p = input.persistence;
  const kept: string[] = [];
  const add = (path: string | null) => {
    if (path !== null) kept.push(path);
  };
  add(absolute(p.storage));
  for (const e of entries(p.directories, "directory")) add(absolute(e));
  for (const e of entries(p.files, "file")) add(absolute(e));
  const users = isObj(input.users) ? input.users : {};
  if (isObj(p.users))
    for (const [name, lists] of Object.entries(p.users)) {
      if (!isObj(lists)) continue;
      const user = isObj(users[name]) ? (users[name] as UserDesign) : undefined;
      const home = absolute(homeOf(name, user));
      if (home === null) continue;
      for (const e of [
        ...entries(lists.directories, "directory"),
        ...entries(lists.files, "file"),
      ]) {
        const rel = relative(e);
        if (rel !== null) kept.push(underHome(home, rel));
      }
    }
  return kept;
}
