// A small Nix expression tree: just what generated NixOS modules and flakes
// need. Values are built with the constructors below and printed by
// ./print.ts; strings are escaped there, so any text (quotes, backslashes,
// "${", unicode) can be passed in as is.

export type NixExpr =
  | { kind: "string"; value: string }
  | { kind: "int"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "null" }
  /** A relative path literal such as ./nixos. */
  | { kind: "path"; value: string }
  /** A variable or a selection of plain names: lib.mkForce, nixpkgs.lib.nixosSystem. */
  | { kind: "ref"; names: string[] }
  | { kind: "list"; items: NixExpr[] }
  | { kind: "attrs"; bindings: Binding[] }
  /** Function application: fn arg1 arg2 ... */
  | { kind: "apply"; fn: NixExpr; args: NixExpr[] }
  /** A function of an attribute set: { a, b, ... }: body */
  | { kind: "lambda"; formals: string[]; ellipsis: boolean; body: NixExpr }
  /** let NAME = VALUE; ... in BODY */
  | { kind: "let"; bindings: Binding[]; body: NixExpr }
  /** A binary operator: the comparisons and boolean connectives a condition needs. */
  | { kind: "op"; op: BinaryOp; left: NixExpr; right: NixExpr }
  /** Boolean negation: !x */
  | { kind: "not"; operand: NixExpr };

export type BinaryOp = "==" | "!=" | "&&" | "||";

export interface Binding {
  /** The attribute path: ["fileSystems", "/"] prints as fileSystems."/". */
  path: string[];
  value: NixExpr;
  /** Comment lines printed above the binding (without "# "). */
  comment?: string[];
  /** An empty line before this binding, to group related settings. */
  blankBefore?: boolean;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const KEYWORDS = new Set([
  "if",
  "then",
  "else",
  "assert",
  "with",
  "let",
  "in",
  "rec",
  "inherit",
  "or",
]);

/** Can `name` be written bare as an identifier or attribute name? */
export function isIdentifier(name: string): boolean {
  return IDENT.test(name) && !KEYWORDS.has(name);
}

export const str = (value: string): NixExpr => ({ kind: "string", value });
export const int = (value: number): NixExpr => {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return { kind: "int", value };
};
export const bool = (value: boolean): NixExpr => ({ kind: "bool", value });
export const nul: NixExpr = { kind: "null" };

export function path(value: string): NixExpr {
  if (!/^\.\.?\/[A-Za-z0-9._+-]+(\/[A-Za-z0-9._+-]+)*$/.test(value))
    throw new Error(`not a plain relative path literal: ${value}`);
  return { kind: "path", value };
}

/** A variable or selection written as "a.b.c"; every part must be a plain name. */
export function ref(dotted: string): NixExpr {
  const names = dotted.split(".");
  if (!names.every(isIdentifier))
    throw new Error(`not a plain variable or selection: ${dotted}`);
  return { kind: "ref", names };
}

export const list = (items: NixExpr[]): NixExpr => ({ kind: "list", items });
export const strings = (items: readonly string[]): NixExpr =>
  list(items.map(str));

export const attrs = (bindings: Binding[]): NixExpr => ({
  kind: "attrs",
  bindings,
});

export const apply = (fn: NixExpr, ...args: NixExpr[]): NixExpr => ({
  kind: "apply",
  fn,
  args,
});

export function lambda(
  formals: string[],
  body: NixExpr,
  ellipsis = true,
): NixExpr {
  if (!formals.every(isIdentifier))
    throw new Error(`not plain argument names: ${formals.join(", ")}`);
  return { kind: "lambda", formals, ellipsis, body };
}

/** let bindings in body; each binding names one plain variable. */
export function letIn(bindings: Binding[], body: NixExpr): NixExpr {
  for (const b of bindings)
    if (b.path.length !== 1 || !isIdentifier(b.path[0]!))
      throw new Error(`not a plain variable name: ${b.path.join(".")}`);
  return { kind: "let", bindings, body };
}

export const op = (
  left: NixExpr,
  operator: BinaryOp,
  right: NixExpr,
): NixExpr => ({ kind: "op", op: operator, left, right });

export const not = (operand: NixExpr): NixExpr => ({ kind: "not", operand });

/** A binding; `path` is an attribute path given as its parts. */
export function bind(
  path: string[],
  value: NixExpr,
  extra: Pick<Binding, "comment" | "blankBefore"> = {},
): Binding {
  if (path.length === 0) throw new Error("a binding needs a name");
  return { path, value, ...extra };
}

/** Converts plain JSON-like data (strings, numbers, booleans, lists, objects). */
export function fromData(value: unknown): NixExpr {
  if (typeof value === "string") return str(value);
  if (typeof value === "number") return int(value);
  if (typeof value === "boolean") return bool(value);
  if (value === null) return nul;
  if (Array.isArray(value)) return list(value.map(fromData));
  if (typeof value === "object")
    return attrs(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => bind([k], fromData(v))),
    );
  throw new Error(`cannot express ${typeof value} in Nix`);
}
