import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { shapeProblem } from "../../../../renderer/src/model/design-shape";
import { installDesign } from "../support";

describe("design shape check before opening", () => {
  it("opens the example designs", () => {
    for (const m of ["install", "convert", "recover"]) {
      const doc: unknown = JSON.parse(
        readFileSync(`docs/examples/${m}.json`, "utf8"),
      );
      expect(shapeProblem(doc), m).toBeNull();
    }
  });

  it("names the missing or wrong field", () => {
    const d = installDesign() as unknown as Record<string, unknown>;
    expect(shapeProblem([])).toMatch(/expected a JSON object/);
    expect(shapeProblem({ ...d, mode: "fix" })).toMatch(/^mode: expected/);
    expect(shapeProblem({ ...d, disk: undefined })).toMatch(/^disk: missing/);
    expect(
      shapeProblem({
        ...d,
        persistence: { directories: [], files: [], users: { a: [] } },
      }),
    ).toMatch(/^persistence\.users\.a:/);
    expect(shapeProblem({ ...d, root: "2G" })).toMatch(/^root:/);
  });
});
