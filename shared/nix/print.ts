// Prints a NixExpr the way nixfmt (the official formatter, RFC 166 "standard
// Nix format") lays it out, so a user who runs nixfmt on a generated file sees
// no change:
// - two spaces per level; a soft width of 100 characters not counting
//   indentation;
// - a list or attribute set is on one line only with at most one element that
//   fits; an attribute set that is the value of a binding is always expanded;
// - a binding's value starts on its line when it is a list, a set, or an
//   application whose last argument is one ("absorbed"); a function value
//   starts on the next line;
// - a function's body is not indented; its formals stay on one line when
//   there are at most two of them, otherwise one per line with commas.
import { isIdentifier, type Binding, type NixExpr } from "./ast";

const WIDTH = 100;
const INDENT = "  ";

/** A whole file: comment lines, the expression, a final newline. */
export function printFile(header: string[], expr: NixExpr): string {
  const comments = header.map((line) => commentLine(line)).join("\n");
  return `${comments ? `${comments}\n` : ""}${print(expr, 0)}\n`;
}

export function commentLine(text: string): string {
  // A line break inside a comment would end it: keep each comment one line.
  return `# ${text.replace(/[\r\n]+/g, " ")}`.trimEnd();
}

/** Nix source of a string literal: `"`, `\` and `${` escaped. */
export function quote(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (c === "$" && value[i + 1] === "{") out += "\\$";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else out += c;
  }
  return `${out}"`;
}

/** An attribute name: bare when it is a plain identifier, else quoted. */
export function attrName(name: string): string {
  return isIdentifier(name) ? name : quote(name);
}

export function attrPath(path: string[]): string {
  return path.map(attrName).join(".");
}

/** The one-line form, or null when the rules force this value onto several lines. */
function flat(e: NixExpr, asBindingValue = false): string | null {
  switch (e.kind) {
    case "string":
      return quote(e.value);
    case "int":
      return String(e.value);
    case "bool":
      return e.value ? "true" : "false";
    case "null":
      return "null";
    case "path":
      return e.value;
    case "ref":
      return e.names.join(".");
    case "list": {
      if (e.items.length === 0) return "[ ]";
      if (e.items.length > 1) return null;
      const item = flat(e.items[0]!);
      return item === null ? null : `[ ${item} ]`;
    }
    case "attrs": {
      if (e.bindings.length === 0) return "{ }";
      if (asBindingValue || e.bindings.length > 1) return null;
      const b = e.bindings[0]!;
      if (b.comment?.length) return null;
      const value = flat(b.value, true);
      return value === null ? null : `{ ${attrPath(b.path)} = ${value}; }`;
    }
    case "apply": {
      const parts = [e.fn, ...e.args].map((x) => flat(x));
      if (parts.some((p) => p === null)) return null;
      return parts
        .map((p, i) => (i > 0 && needsParens(e.args[i - 1]!) ? `(${p})` : p))
        .join(" ");
    }
    case "lambda":
    case "let":
      return null;
    case "op": {
      const left = flat(e.left);
      const right = flat(e.right);
      if (left === null || right === null) return null;
      return `${operand(e.left, left, e.op)} ${e.op} ${operand(e.right, right, e.op)}`;
    }
    case "not": {
      const x = flat(e.operand);
      if (x === null) return null;
      return e.operand.kind === "apply" || e.operand.kind === "op"
        ? `!(${x})`
        : `!${x}`;
    }
  }
}

// Nix's precedence, loosest last: application binds tighter than every
// operator here, == and != tighter than &&, && tighter than ||.
const PRECEDENCE: Record<string, number> = {
  "==": 3,
  "!=": 3,
  "&&": 2,
  "||": 1,
};

/** An operand of `outer`, in parentheses unless it binds tighter (or is the same connective). */
function operand(e: NixExpr, text: string, outer: string): string {
  if (e.kind === "op") {
    const inner = PRECEDENCE[e.op]!;
    const mine = PRECEDENCE[outer]!;
    const same = e.op === outer && (outer === "&&" || outer === "||");
    return inner > mine || same ? text : `(${text})`;
  }
  return e.kind === "lambda" || e.kind === "let" ? `(${text})` : text;
}

function needsParens(arg: NixExpr): boolean {
  return (
    arg.kind === "apply" ||
    arg.kind === "lambda" ||
    arg.kind === "op" ||
    arg.kind === "not" ||
    arg.kind === "let"
  );
}

/** Does `text` fit the soft width, given the columns already taken on its line (indentation not counted)? */
function fits(text: string, used: number): boolean {
  return !text.includes("\n") && used + text.length <= WIDTH;
}

function isAbsorbable(e: NixExpr): boolean {
  return (
    (e.kind === "attrs" && e.bindings.length > 0) ||
    (e.kind === "list" && e.items.length > 0)
  );
}

/**
 * e printed with its first line continuing the current line at `depth`;
 * `used` counts what that line already holds before e and after it (such as
 * "name = " and ";"), indentation excluded.
 */
function print(
  e: NixExpr,
  depth: number,
  asBindingValue = false,
  used = 0,
): string {
  const one = flat(e, asBindingValue);
  const breakable = isAbsorbable(e) || e.kind === "op";
  if (one !== null && (fits(one, used) || !breakable)) return one;
  const pad = INDENT.repeat(depth);
  const inner = INDENT.repeat(depth + 1);
  switch (e.kind) {
    case "list":
      return `[\n${e.items.map((item) => `${inner}${print(item, depth + 1)}`).join("\n")}\n${pad}]`;
    case "attrs":
      return `{\n${printBindings(e.bindings, depth + 1)}\n${pad}}`;
    case "apply": {
      const head = [e.fn, ...e.args.slice(0, -1)].map((x) => flat(x));
      const last = e.args[e.args.length - 1];
      if (last && isAbsorbable(last) && head.every((h) => h !== null))
        return `${head.join(" ")} ${print(last, depth, false, used + head.join(" ").length + 1)}`;
      // Expanded form: every argument on its own line, one level deeper.
      const fn = flat(e.fn) ?? print(e.fn, depth);
      return `${fn}\n${e.args.map((a) => `${inner}${wrap(a, depth + 1)}`).join("\n")}`;
    }
    case "lambda":
      // A module's body is a set of settings: expanded like a binding's value.
      return `${formals(e, depth)}:\n${pad}${print(e.body, depth, true)}`;
    case "let":
      // nixfmt: `let` and `in` on lines of their own, the bindings one level
      // deeper, the body at the let's own level.
      return `let\n${printBindings(e.bindings, depth + 1)}\n${pad}in\n${pad}${print(e.body, depth, true)}`;
    case "op": {
      // Too long for one line: nixfmt breaks before each operator of the
      // chain, at the first operand's indentation (a binding moves the chain
      // to a line of its own first, see printBinding).
      return opChain(e)
        .map(([o, x], i) =>
          i === 0
            ? wrapOperand(x, e.op, depth)
            : `\n${pad}${o} ${wrapOperand(x, e.op, depth)}`,
        )
        .join("");
    }
    default:
      return one ?? "";
  }
}

/** The operands of a chain of one connective (a && b && c), each with the operator before it. */
function opChain(e: Extract<NixExpr, { kind: "op" }>): [string, NixExpr][] {
  const left: [string, NixExpr][] =
    e.left.kind === "op" && e.left.op === e.op
      ? opChain(e.left)
      : [["", e.left]];
  return [...left, [e.op, e.right]];
}

function wrapOperand(x: NixExpr, outer: string, depth: number): string {
  const text = print(x, depth);
  return operand(x, text, outer);
}

function wrap(arg: NixExpr, depth: number): string {
  const text = print(arg, depth);
  return needsParens(arg) ? `(${text})` : text;
}

function formals(
  e: Extract<NixExpr, { kind: "lambda" }>,
  depth: number,
): string {
  const names = [...e.formals, ...(e.ellipsis ? ["..."] : [])];
  if (names.length <= 2) return `{ ${names.join(", ")} }`;
  const inner = INDENT.repeat(depth + 1);
  const lines = names.map((n) => `${inner}${n}${n === "..." ? "" : ","}`);
  return `{\n${lines.join("\n")}\n${INDENT.repeat(depth)}}`;
}

function printBindings(bindings: Binding[], depth: number): string {
  const pad = INDENT.repeat(depth);
  return bindings
    .map((b, i) => {
      const lines: string[] = [];
      if (b.blankBefore && i > 0) lines.push("");
      for (const c of b.comment ?? []) lines.push(`${pad}${commentLine(c)}`);
      lines.push(`${pad}${printBinding(b, depth)}`);
      return lines.join("\n");
    })
    .join("\n");
}

function printBinding(b: Binding, depth: number): string {
  const name = attrPath(b.path);
  if (b.value.kind === "lambda")
    return `${name} =\n${INDENT.repeat(depth + 1)}${print(b.value, depth + 1)};`;
  if (b.value.kind === "op") {
    // nixfmt moves an operator chain that does not fit after the name onto
    // the next line, and breaks it there only if it still does not fit.
    const one = flat(b.value);
    if (one === null || !fits(one, name.length + 4))
      return `${name} =\n${INDENT.repeat(depth + 1)}${print(b.value, depth + 1)};`;
  }
  return `${name} = ${print(b.value, depth, true, name.length + 4)};`;
}
