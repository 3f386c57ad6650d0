// unifiedDiff's output is a real patch: git apply turns the old text into the
// new one, for random texts and edits.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { unifiedDiff } from "../../../../shared/text/line-diff";
import { describeWith } from "../../../support/needs";
import { tempDir } from "../../../support/nix";

function applies(before: string, after: string, dir: string): string {
  writeFileSync(join(dir, "flake.nix"), before);
  const patch = unifiedDiff(before, after, {
    from: "a/flake.nix",
    to: "b/flake.nix",
  });
  writeFileSync(join(dir, "change.patch"), patch);
  execFileSync("git", ["apply", "change.patch"], { cwd: dir, stdio: "pipe" });
  return readFileSync(join(dir, "flake.nix"), "utf8");
}

describeWith(["git"], "unifiedDiff", () => {
  it("is empty for equal texts and names both files", () => {
    expect(unifiedDiff("a\n", "a\n", { from: "a/f", to: "b/f" })).toBe("");
    expect(unifiedDiff("a\nb\n", "a\nc\n", { from: "a/f", to: "b/f" })).toBe(
      "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
    );
  });

  it("gives patches git apply accepts, for random edits", () => {
    const line = fc.constantFrom(
      "{",
      "}",
      "  a = 1;",
      "  b = 2;",
      "",
      "  modules = [",
      "  ];",
      "x",
    );
    const text = fc
      .tuple(fc.array(line, { maxLength: 30 }), fc.boolean())
      .map(([lines, newline]) =>
        lines.length ? lines.join("\n") + (newline ? "\n" : "") : "",
      );
    const pairs = fc.sample(fc.tuple(text, text), { numRuns: 150 });
    const dir = tempDir("diff");
    for (const [before, after] of pairs) {
      if (before === after) continue;
      expect(
        applies(before, after, dir),
        JSON.stringify({ before, after }),
      ).toBe(after);
    }
  });

  it("keeps far-apart changes in separate hunks with three lines of context", () => {
    const before =
      Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const after = before
      .replace("line 2\n", "line two\n")
      .replace("line 17\n", "line seventeen\n");
    const patch = unifiedDiff(before, after, { from: "a/f", to: "b/f" });
    expect(patch.match(/^@@/gm)).toHaveLength(2);
    expect(patch).toContain("@@ -1,6 +1,6 @@");
    expect(patch).toContain("@@ -15,6 +15,6 @@");
  });
});
