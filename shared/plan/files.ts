// The files `tabula plan` writes for the steps: plan.json, steps.sh and, for a
// conversion, migration.json. steps.sh does not embed the generated NixOS
// files: it uses the ones next to it (nixos/, flake.nix, flake.patch,
// migration.json) through $PLAN_DIR, so what the user reviewed in the folder
// is what runs. docs/step-script.md explains the choice.
import type { GeneratedFile } from "../generated-file";
import type { Design, Problem } from "../design/types";
import { compilePlan } from "./compile";
import { persistedPaths } from "./persisted";
import { storageOnPartition } from "./install";
import { QUARANTINE, TABULA_DIR } from "./labels";
import { renderScript } from "./script";
import type { Plan } from "./types";

export const MIGRATION_FORMAT = "tabula-migration/1";

/** What phase migrate must do, written next to the plan and, by phase prepare, to /.tabula/migration.json. */
export interface Migration {
  format: typeof MIGRATION_FORMAT;
  /** The plan this migration belongs to; migrate refuses another (unless --force). */
  planId: string;
  hostname: string;
  /** The old root partition, which becomes /nix. */
  partition: { device: string; fsType: string; options: string[] };
  boot: { device: string; fsType: string; options: string[] } | null;
  /** Persistent storage as the new system sees it, and on the partition. */
  storage: { path: string; onPartition: string };
  /** Where the rest of the old root goes, on the partition. */
  quarantine: string;
  /** Tabula's own folder on the partition (migration.json, journal, plan copy). */
  tabulaDir: string;
  /** Every persisted path, outermost first, as migrate moves them. */
  persisted: { path: string; kind: "directory" | "file"; user?: string }[];
}

export function migrationOf(design: Design, plan: Plan): Migration {
  const convert = design.convert!;
  const onPartition = storageOnPartition(design.persistence.storage)!;
  return {
    format: MIGRATION_FORMAT,
    planId: plan.planId,
    hostname: design.hostname,
    partition: {
      device: convert.device,
      fsType: convert.fsType,
      options: [...convert.options],
    },
    boot: convert.boot
      ? {
          device: convert.boot.device,
          fsType: convert.boot.fsType,
          options: [...convert.boot.options],
        }
      : null,
    storage: { path: design.persistence.storage, onPartition },
    quarantine: QUARANTINE,
    tabulaDir: TABULA_DIR,
    persisted: persistedPaths(design.persistence, design.users).map((p) =>
      p.user === undefined
        ? { path: p.path, kind: p.kind }
        : { path: p.path, kind: p.kind, user: p.user },
    ),
  };
}

export type StepFilesResult =
  | { ok: true; plan: Plan; files: GeneratedFile[]; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

/** plan.json, steps.sh and (convert) migration.json for a valid, normalized design. */
export function planStepFiles(design: Design): StepFilesResult {
  const result = compilePlan(design);
  if (!result.ok) return result;
  const { plan } = result;
  const files: GeneratedFile[] = [
    { path: "plan.json", content: `${JSON.stringify(plan, null, 2)}\n` },
    { path: "steps.sh", content: renderScript(plan) },
  ];
  if (design.mode === "convert")
    files.push({
      path: "migration.json",
      content: `${JSON.stringify(migrationOf(design, plan), null, 2)}\n`,
    });
  return { ok: true, plan, files, warnings: result.warnings };
}
