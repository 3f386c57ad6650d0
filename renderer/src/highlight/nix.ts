// A small Nix highlighter for the Review screen: a lexer that splits source
// into classed tokens without losing a character (joined, the tokens are the
// input), so the screen shows exactly the generated file. It knows strings
// with `${...}` interpolation (nested), indented strings with their `''`
// escapes, comments, paths, numbers, keywords, builtins and attribute names.

export type TokenType =
  | "text"
  | "keyword"
  | "builtin"
  | "attr"
  | "string"
  | "escape"
  | "interp"
  | "comment"
  | "number"
  | "path"
  | "punct";

export interface Token {
  type: TokenType;
  text: string;
}

const KEYWORDS = new Set([
  "assert",
  "else",
  "if",
  "in",
  "inherit",
  "let",
  "or",
  "rec",
  "then",
  "with",
]);
const BUILTINS = new Set([
  "true",
  "false",
  "null",
  "builtins",
  "import",
  "throw",
  "abort",
  "map",
  "toString",
  "baseNameOf",
  "dirOf",
  "isNull",
  "removeAttrs",
  "derivation",
  "lib",
]);

const IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*/;
// After an identifier: more `.segment`s and then `=` (not `==`) make it an attribute name.
const ATTR_TAIL =
  /^(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_'-]*))*\s*=(?!=)/;
const NUMBER = /^[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/;
const PATH = /^(?:~|\.{1,2}|[A-Za-z0-9._+-]*)?(?:\/[A-Za-z0-9._+-]+)+\/?/;
const SEARCH_PATH = /^<[A-Za-z0-9._+-]+(?:\/[A-Za-z0-9._+-]+)*>/;

type Context = "code" | "string" | "indented";

export function tokenizeNix(src: string): Token[] {
  const out: Token[] = [];
  // Each open `${` remembers the string it interrupts and the brace depth.
  const stack: { resume: Context; depth: number }[] = [];
  let ctx: Context = "code";
  let depth = 0;
  let i = 0;

  const push = (type: TokenType, text: string) => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.type === type && type !== "interp") last.text += text;
    else out.push({ type, text });
  };

  while (i < src.length) {
    const rest = src.slice(i);
    if (ctx === "string" || ctx === "indented") {
      const close = ctx === "string" ? '"' : "''";
      if (ctx === "indented" && /^''['$\\]/.test(rest)) {
        // '''  ''$  ''\x are escapes inside an indented string
        const len = rest[2] === "\\" ? Math.min(4, rest.length) : 3;
        push("escape", rest.slice(0, len));
        i += len;
        continue;
      }
      if (rest.startsWith(close)) {
        push("string", close);
        i += close.length;
        ctx = "code";
        continue;
      }
      if (ctx === "string" && rest[0] === "\\") {
        push("escape", rest.slice(0, 2));
        i += Math.min(2, rest.length);
        continue;
      }
      if (rest.startsWith("$${")) {
        push("string", "$${");
        i += 3;
        continue;
      }
      if (rest.startsWith("${")) {
        push("interp", "${");
        stack.push({ resume: ctx, depth });
        ctx = "code";
        depth = 0;
        i += 2;
        continue;
      }
      // plain string text up to the next special character
      const m = (ctx === "string" ? /^[^"\\$]+/ : /^[^'$]+/).exec(rest);
      const text = m ? m[0] : rest[0]!;
      push("string", text);
      i += text.length;
      continue;
    }

    // code context
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) {
      push("text", m[0]);
      i += m[0].length;
    } else if (rest[0] === "#") {
      const end = rest.indexOf("\n");
      const text = end < 0 ? rest : rest.slice(0, end);
      push("comment", text);
      i += text.length;
    } else if (rest.startsWith("/*")) {
      const end = rest.indexOf("*/", 2);
      const text = end < 0 ? rest : rest.slice(0, end + 2);
      push("comment", text);
      i += text.length;
    } else if (rest[0] === '"') {
      push("string", '"');
      ctx = "string";
      i += 1;
    } else if (rest.startsWith("''")) {
      push("string", "''");
      ctx = "indented";
      i += 2;
    } else if (rest[0] === "{") {
      depth += 1;
      push("punct", "{");
      i += 1;
    } else if (rest[0] === "}") {
      if (depth === 0 && stack.length) {
        const frame = stack.pop()!;
        push("interp", "}");
        ctx = frame.resume;
        depth = frame.depth;
      } else {
        depth = Math.max(0, depth - 1);
        push("punct", "}");
      }
      i += 1;
    } else if ((m = SEARCH_PATH.exec(rest))) {
      push("path", m[0]);
      i += m[0].length;
    } else if (
      (m = PATH.exec(rest)) &&
      m[0].includes("/") &&
      !/^\/[*/]/.test(rest)
    ) {
      push("path", m[0]);
      i += m[0].length;
    } else if ((m = NUMBER.exec(rest))) {
      push("number", m[0]);
      i += m[0].length;
    } else if ((m = IDENT.exec(rest))) {
      const word = m[0];
      const after = src.slice(i + word.length);
      const type: TokenType = KEYWORDS.has(word)
        ? "keyword"
        : ATTR_TAIL.test(after)
          ? "attr"
          : BUILTINS.has(word)
            ? "builtin"
            : "text";
      out.push({ type, text: word }); // never merged: each name is its own token
      i += word.length;
    } else {
      push("punct", rest[0]!);
      i += 1;
    }
  }
  return out;
}

/** Tokens split into lines (a token spanning lines is cut at each newline). */
export function tokenLines(tokens: Token[]): Token[][] {
  const lines: Token[][] = [[]];
  for (const t of tokens) {
    const parts = t.text.split("\n");
    parts.forEach((part, k) => {
      if (k > 0) lines.push([]);
      if (part) lines[lines.length - 1]!.push({ type: t.type, text: part });
    });
  }
  return lines;
}
