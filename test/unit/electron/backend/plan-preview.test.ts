import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { planPreview } from "../../../../electron/backend/plan-preview";

it("holds every file of the plan folder once, the step files included", async () => {
  for (const mode of ["install", "convert", "recover"]) {
    const design: unknown = JSON.parse(
      readFileSync(`docs/examples/${mode}.json`, "utf8"),
    );
    const preview = await planPreview(design, null);
    expect(preview.plan?.mode).toBe(mode);
    const paths = preview.files.map((f) => f.path);
    expect(new Set(paths).size, mode).toBe(paths.length);
    expect(paths).toContain("plan.json");
    expect(paths).toContain("steps.sh");
    if (mode === "convert") expect(paths).toContain("migration.json");
    expect(
      JSON.parse(preview.files.find((f) => f.path === "plan.json")!.content),
    ).toEqual(preview.plan);
  }
});
