// Every file `tabula plan` writes, as a pure function of the design (plus the
// user's flake text in convert mode). The same design always gives the same
// files, byte for byte. The step files (plan.json, steps.sh and, for a
// conversion, migration.json) come from shared/plan/files.ts.
import { normalizeDesign } from "./design/normalize";
import type { Design } from "./design/types";
import { configChanges } from "./flake/flake-changes";
import type { GeneratedFile } from "./generated-file";
import { configurationNix } from "./nix/configuration-nix";
import { defaultNix } from "./nix/default-nix";
import { filesystemsNix } from "./nix/filesystems-nix";
import { flakeNix } from "./nix/flake-nix";
import { impermanenceNix } from "./nix/impermanence-nix";
import { persistenceNix } from "./nix/persistence-nix";
import { statelessNix } from "./nix/stateless-nix";
import { planStepFiles } from "./plan/files";

export type { GeneratedFile } from "./generated-file";

export interface PlanContext {
  /**
   * The text of the user's configuration file the conversion changes
   * (flake.nix, or configuration.nix without a flake), for its patch.
   */
  userConfig?: string;
}

/** The NixOS files of a design: modules under nixos/, and the flake or the flake changes. */
export function nixFiles(
  d: Design,
  context: PlanContext = {},
): GeneratedFile[] {
  if (d.mode === "recover")
    // The system already has the other modules; only the persistence changes.
    return [{ path: "nixos/persistence.nix", content: persistenceNix(d) }];
  const files: GeneratedFile[] = [
    { path: "nixos/default.nix", content: defaultNix(d) },
    { path: "nixos/stateless.nix", content: statelessNix(d) },
    { path: "nixos/filesystems.nix", content: filesystemsNix(d) },
    { path: "nixos/persistence.nix", content: persistenceNix(d) },
  ];
  if (d.mode === "install") {
    files.push(
      { path: "nixos/configuration.nix", content: configurationNix(d) },
      { path: "flake.nix", content: flakeNix(d) },
    );
  } else {
    if (d.convert?.configType === "configuration.nix")
      files.push({
        path: "nixos/impermanence.nix",
        content: impermanenceNix(d),
      });
    const changes = configChanges(d, context.userConfig);
    files.push({ path: changes.docName, content: changes.markdown });
    if (changes.patch)
      files.push({ path: changes.patchName, content: changes.patch });
  }
  return files;
}

/** design.json: the normalized design the plan was made from. */
export function designFile(d: Design): GeneratedFile {
  return { path: "design.json", content: `${JSON.stringify(d, null, 2)}\n` };
}

/**
 * Every file of the plan folder for a valid design (validate it first with
 * validateDesign). Paths are relative and use "/".
 */
export function planFiles(
  design: Design,
  context: PlanContext = {},
): GeneratedFile[] {
  const d = normalizeDesign(design);
  const steps = planStepFiles(d);
  if (!steps.ok)
    throw new Error(
      `the design has problems the plan cannot handle (validateDesign reports them): ${steps.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    );
  return [...nixFiles(d, context), designFile(d), ...steps.files];
}

/**
 * Every path planFiles can write, whatever the mode. A plan written over an
 * earlier one (the same folder, another design) must not keep the earlier
 * plan's files this one lacks: steps.sh would apply a stale flake.patch, and
 * prepare copies the whole folder onto the partition.
 */
export const PLAN_FILE_PATHS: readonly string[] = [
  "nixos/impermanence.nix",
  "nixos/default.nix",
  "nixos/stateless.nix",
  "nixos/filesystems.nix",
  "nixos/persistence.nix",
  "nixos/configuration.nix",
  "flake.nix",
  "flake-changes.md",
  "flake.patch",
  "configuration-changes.md",
  "configuration.patch",
  "design.json",
  "plan.json",
  "steps.sh",
  "migration.json",
];

/** The files of an earlier plan in the same folder that this plan does not write. */
export function stalePlanFiles(files: readonly GeneratedFile[]): string[] {
  const written = new Set(files.map((f) => f.path));
  return PLAN_FILE_PATHS.filter((p) => !written.has(p));
}
