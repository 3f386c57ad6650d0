// A design's plan as the API shows it: validation problems, the plan's own
// problems and warnings, and every file of the plan folder (the NixOS files
// from shared/plan-files.ts, the step files from shared/plan/files.ts).
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PlanPreview } from "../../shared/api/contract";
import { validateDesign } from "../../shared/design/validate";
import type { Design } from "../../shared/design/types";
import { planFiles } from "../../shared/plan-files";
import { planStepFiles } from "../../shared/plan/files";

/**
 * The user's flake.nix (or configuration.nix without a flake), for a
 * conversion's patch. Read only where it is the machine's own (`configRoot`
 * is "/" on the real machine); null leaves the patch out and the changes
 * document says what to change by hand.
 */
async function userConfig(
  design: Design,
  configRoot: string | null,
): Promise<string | undefined> {
  if (design.mode !== "convert" || !design.convert || configRoot === null)
    return undefined;
  try {
    return await readFile(
      path.join(
        configRoot,
        design.convert.configDir,
        design.convert.configType === "configuration.nix"
          ? "configuration.nix"
          : "flake.nix",
      ),
      "utf8",
    );
  } catch {
    return undefined;
  }
}

export async function planPreview(
  input: unknown,
  configRoot: string | null,
): Promise<PlanPreview> {
  const { design, problems } = validateDesign(input);
  if (!design) return { problems, plan: null, files: [] };
  const steps = planStepFiles(design);
  if (!steps.ok)
    return {
      problems: [...problems, ...steps.problems],
      plan: null,
      files: [],
    };
  const config = await userConfig(design, configRoot);
  return {
    problems: [...problems, ...steps.warnings],
    plan: steps.plan,
    // planFiles already holds the step files (plan.json, steps.sh, migration.json).
    files: planFiles(design, { userConfig: config }),
  };
}

/** One sentence for a design that has no plan, naming its first errors. */
export function noPlanSentence(preview: PlanPreview): string {
  const errors = preview.problems.filter((p) => p.severity === "error");
  const shown = errors
    .slice(0, 3)
    .map((p) => `${p.path || "(document)"}: ${p.message}`)
    .join("; ");
  const more = errors.length > 3 ? `; and ${errors.length - 3} more` : "";
  return `The design has ${errors.length} error${errors.length === 1 ? "" : "s"}, so it has no plan yet; fix ${errors.length === 1 ? "it" : "them"} first (${shown}${more}).`;
}
