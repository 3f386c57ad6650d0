// Shell quoting for the step script. Every value that reaches a command line
// (paths, device names, options, labels) goes through shellQuote, so a name
// with spaces, quotes, `$`, a newline or a leading dash stays one word and
// is never interpreted. Strings with control characters use bash's ANSI-C
// form ($'...') so the printed command never carries a raw newline or escape
// sequence to the terminal; so do the Unicode characters that can make a
// printed command look different from what runs (C1 controls, bidirectional
// overrides, line separators).
import { utf8 } from "../utf8";

/** Words made only of these need no quotes (no `=`: a bare `a=b` first word is an assignment). */
const PLAIN = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Characters that must not appear raw in a printed command. */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;

export class QuoteError extends Error {}

/** Quotes one word for bash. Throws on NUL, which no shell word can hold. */
export function shellQuote(word: string): string {
  if (word.includes("\u0000"))
    throw new QuoteError("a NUL character cannot be passed to a shell command");
  if (/\p{Surrogate}/u.test(word))
    throw new QuoteError(
      "a lone UTF-16 surrogate is not a character and cannot be written as UTF-8",
    );
  if (word === "") return "''";
  if (PLAIN.test(word)) return word;
  if (!UNSAFE.test(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  return ansiC(word);
}

const NAMED: Record<string, string> = {
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\u001b": "\\E",
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\v": "\\v",
  "\\": "\\\\",
  "'": "\\'",
};

function ansiC(word: string): string {
  let out = "$'";
  for (const ch of word) {
    const named = NAMED[ch];
    if (named !== undefined) out += named;
    else if (UNSAFE.test(ch)) out += utf8(ch).map(hexByte).join("");
    else out += ch;
  }
  return `${out}'`;
}

function hexByte(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, "0")}`;
}

/** A piece of command text used as is: a variable expansion such as `"$TARGET"`. */
export interface Raw {
  raw: string;
}

export const TARGET: Raw = { raw: '"$TARGET"' };
export const PLAN_DIR: Raw = { raw: '"$PLAN_DIR"' };

/** `base` followed by a relative path, e.g. `"$TARGET"/nix` or `"$TARGET"'/a b'`. */
export function under(base: Raw, relative: string): Raw {
  if (relative === "") return base;
  return { raw: base.raw + shellQuote(`/${relative}`) };
}

/** Joins words into one command line: strings are quoted, Raw pieces kept. */
export function command(...words: (string | Raw)[]): string {
  return words
    .map((w) => (typeof w === "string" ? shellQuote(w) : w.raw))
    .join(" ");
}
