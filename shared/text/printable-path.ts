// A path as a terminal or a screen can show it without being fooled: the
// CLI's scan table and the renderer's lists of found state use the same
// quoting, which can be pasted back into bash (the Shell, a terminal).
/**
 * Characters a name must not print as themselves: C0 and C1 controls and DEL
 * (a terminal may act on them: U+009B is CSI on some), and the Unicode
 * format characters that reorder or hide text (bidi embeddings, overrides
 * and isolates, the Arabic letter mark, the line and paragraph separators),
 * with which a name can look like another ("Trojan Source").
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** A path as a terminal can show it: unsafe characters in bash's $'...' quoting. */
export function printablePath(path: string): string {
  if (!UNSAFE.test(path)) return path;
  const body = [...path]
    .map((c) => {
      const code = c.codePointAt(0)!;
      if (c === "\\") return "\\\\";
      if (c === "'") return "\\'";
      if (c === "\n") return "\\n";
      if (c === "\t") return "\\t";
      if (c === "\r") return "\\r";
      if (code < 0x20 || code === 0x7f)
        return `\\x${code.toString(16).padStart(2, "0")}`;
      // \u, not \x: bash reads \x80 back as the byte, not the character.
      if (UNSAFE.test(c)) return `\\u${code.toString(16).padStart(4, "0")}`;
      return c;
    })
    .join("");
  return `$'${body}'`;
}
