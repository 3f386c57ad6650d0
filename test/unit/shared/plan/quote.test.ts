// shellQuote against real bash: every string (spaces, quotes, `$`, newlines,
// control characters, unicode, leading dashes) comes back byte for byte, in
// a UTF-8 and in the C locale, and the quoted form never carries a raw
// control character to the terminal.
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  QuoteError,
  TARGET,
  command,
  shellQuote,
  under,
} from "../../../../shared/plan/quote";
import { describeWith } from "../../../support/needs";

/** What bash prints for each quoted word: printf '%s\0' WORD... */
function throughBash(words: string[], locale: string): string[] {
  const script = `printf '%s\\0' ${words.map(shellQuote).join(" ")}`;
  const r = spawnSync("bash", ["-c", script], {
    env: { PATH: process.env.PATH, LC_ALL: locale },
  });
  expect(r.status, r.stderr.toString()).toBe(0);
  const out = r.stdout;
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++)
    if (out[i] === 0) {
      parts.push(out.subarray(start, i).toString("utf8"));
      start = i + 1;
    }
  return parts;
}

const HOSTILE = [
  "",
  " ",
  "a b",
  "it's",
  "'",
  "''",
  '"',
  "$HOME",
  "${HOME}",
  "$(rm -rf /)",
  "`id`",
  "\\",
  "back\\slash\\",
  "new\nline",
  "trailing\n",
  "\n",
  "tab\there",
  "\u001b[31mred",
  "\u0007bell",
  "\r",
  "-rf",
  "--",
  "-",
  "~",
  "~root",
  "#comment",
  "a=b",
  "*",
  "?",
  "[a]",
  "{a,b}",
  "!",
  "!!",
  "a;b",
  "a|b",
  "a&b",
  "<a>",
  "ünïcødé ☃",
  "😀",
  "\u009b2J",
  "\u202eevil",
  "\u2028",
  "\ufeff",
  "日本語/パス",
];

describeWith(["bash"], "shellQuote through bash", () => {
  it.each(["C.UTF-8", "C"])(
    "round-trips hostile words (LC_ALL=%s)",
    (locale) => {
      expect(throughBash(HOSTILE, locale)).toEqual(HOSTILE);
    },
  );

  it("round-trips random strings", () => {
    // One bash for all samples: starting bash per case is the slow part.
    const words = fc.sample(
      fc
        .string({ unit: "binary", maxLength: 40 })
        .filter((s) => !s.includes("\u0000") && !/\p{Surrogate}/u.test(s)),
      { numRuns: 2000, seed: 4 },
    );
    expect(throughBash(words, "C.UTF-8")).toEqual(words);
  });

  it("builds commands whose words stay words", () => {
    const line = command("printf", "%s|", "a b", "-x", under(TARGET, "x y/$z"));
    const r = spawnSync("bash", ["-c", `TARGET='/t t'; ${line}`], {
      encoding: "utf8",
    });
    expect(r.stdout).toBe("a b|-x|/t t/x y/$z|");
  });
});

it("leaves plain words bare and quotes the rest", () => {
  expect(shellQuote("/dev/nvme0n1p2")).toBe("/dev/nvme0n1p2");
  expect(shellQuote("--disk-guid=X")).toBe("'--disk-guid=X'");
  expect(shellQuote("a b")).toBe("'a b'");
  expect(shellQuote("it's")).toBe("'it'\\''s'");
  expect(shellQuote("new\nline")).toBe("$'new\\nline'");
  expect(shellQuote("")).toBe("''");
});

it("never prints a raw control or direction character", () => {
  fc.assert(
    fc.property(
      fc
        .string({ unit: "binary", maxLength: 60 })
        .filter((s) => !s.includes("\u0000") && !/\p{Surrogate}/u.test(s)),
      (s) => {
        expect(shellQuote(s)).not.toMatch(
          // eslint-disable-next-line no-control-regex -- what must not appear
          /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/,
        );
      },
    ),
  );
});

it("refuses what no shell word can hold", () => {
  expect(() => shellQuote("a\u0000b")).toThrow(QuoteError);
  expect(() => shellQuote("\ud800")).toThrow(QuoteError);
});
