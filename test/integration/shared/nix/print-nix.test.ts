// Printed strings and attribute names, hostile ones included, evaluate back
// to the same text in the real nix-instantiate.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { attrs, bind, bool, list, str } from "../../../../shared/nix/ast";
import { printFile } from "../../../../shared/nix/print";
import { describeWith } from "../../../support/needs";
import { nixEval, nixParse, tempDir } from "../../../support/nix";

describeWith(["nix"], "printed strings evaluate back to the same text", () => {
  it("round-trips hostile strings and attribute names through nix-instantiate", () => {
    const hostile = fc.string({
      unit: fc.constantFrom(
        ...Array.from("ab $${}\\\"'`\n\t/é漢🎉-_.:;"),
        "${",
        "$${",
        "''",
        "\\$",
      ),
      maxLength: 24,
    });
    const samples = fc.sample(fc.tuple(hostile, hostile), { numRuns: 300 });
    const expr = list(
      samples.map(([value, name]) =>
        attrs([bind(["v"], str(value)), bind(["n", name], bool(true))]),
      ),
    );
    const dir = tempDir("print");
    const file = join(dir, "values.nix");
    writeFileSync(file, printFile(["hostile strings"], expr));
    nixParse([file]);
    const values = nixEval(
      `map (x: { v = x.v; n = builtins.attrNames x.n; }) (import ${file})`,
    ) as { v: string; n: string[] }[];
    expect(values).toEqual(
      samples.map(([value, name]) => ({ v: value, n: [name] })),
    );
  });
});
