// From a valid, normalized design to its plan: the phases of its mode, each a
// list of exact steps. Designs the plan cannot serve safely are refused here
// with problems naming the field (validation in shared/design checks the
// document itself; these are the plan's own limits).
import type { Design, Problem } from "../design/types";
import { canonicalJson, sha256Hex } from "../hash/sha256";
import { bootloaderPhase, migratePhase, preparePhase } from "./convert";
import { installPhase, storageOnPartition } from "./install";
import { QUARANTINE, TABULA_DIR } from "./labels";
import { persistedPaths, segments } from "./persisted";
import { recoverPhase } from "./recover";
import { revertPhase } from "./revert";
import type { Plan } from "./types";

export type PlanResult =
  | { ok: true; plan: Plan; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

/**
 * The identity of a design: the first 16 hex digits of the SHA-256 of its
 * canonical JSON, free-form notes left out (editing them changes nothing the
 * plan does).
 */
export function planIdOf(design: Design): string {
  const { notes: _notes, ...meaningful } = design;
  return sha256Hex(canonicalJson(meaningful)).slice(0, 16);
}

/** Characters a flake reference ("DIR#attr") or a nixos-rebuild argument cannot carry. */
const FLAKE_UNSAFE = /[\s#?"'\\$`]/;

export function compilePlan(design: Design): PlanResult {
  const problems = planProblems(design);
  if (problems.some((p) => p.severity === "error"))
    return { ok: false, problems };
  const planId = planIdOf(design);
  const phases =
    design.mode === "install"
      ? [installPhase(design, planId)]
      : design.mode === "convert"
        ? [
            preparePhase(design),
            migratePhase(design),
            bootloaderPhase(design),
            revertPhase(design),
          ]
        : [recoverPhase(design)];
  return {
    ok: true,
    plan: {
      format: "tabula-plan/1",
      planId,
      mode: design.mode,
      hostname: design.hostname,
      phases,
    },
    warnings: problems,
  };
}

function error(path: string, message: string): Problem {
  return { path, message, severity: "error" };
}

/**
 * What the plan itself cannot do with a design validation accepts (the
 * design checks in shared/design cover the document; validateDesign reports
 * these too, so `tabula validate` and `tabula plan` agree).
 */
export function planProblems(design: Design): Problem[] {
  const out: Problem[] = [];
  const storage = design.persistence.storage;
  const needsPartitionStorage =
    design.mode === "convert" ||
    design.mode === "install" ||
    design.recover?.from === "old-root";
  if (needsPartitionStorage && storageOnPartition(storage) === null) {
    out.push(
      error(
        "persistence.storage",
        `"${storage}" is not under /nix: in ${design.mode} mode the storage lives on the /nix partition (e.g. "/nix/persistent").`,
      ),
    );
  }
  if (design.mode === "install" && !design.disk)
    out.push(error("disk", "install mode needs the disk to install on."));
  if (design.mode === "convert") {
    const storeTop = segments(storageOnPartition(storage) ?? "")[0];
    if (storeTop === QUARANTINE || storeTop === TABULA_DIR)
      out.push(
        error(
          "persistence.storage",
          `"${storage}" uses /nix/${storeTop}, which the conversion keeps for itself: choose another folder, e.g. "/nix/persistent".`,
        ),
      );
    const reserved = [QUARANTINE, TABULA_DIR, ...(storeTop ? [storeTop] : [])];
    for (const p of persistedPaths(design.persistence, design.users)) {
      const top = segments(p.path)[0];
      if (top !== undefined && reserved.includes(top))
        out.push(
          error(
            "persistence",
            `"${p.path}" is inside /${top}, a name the conversion itself uses at the top of the partition: Tabula cannot persist it; move that data elsewhere first.`,
          ),
        );
    }
    const convert = design.convert;
    if (!convert) {
      out.push(
        error("convert", "convert mode needs the existing root filesystem."),
      );
    } else {
      if (
        convert.configType !== "configuration.nix" &&
        FLAKE_UNSAFE.test(convert.configDir)
      )
        out.push(
          error(
            "convert.configDir",
            `"${convert.configDir}" holds a space, quote, "#", "?", "$" or backslash, which a flake reference cannot carry: move the configuration to a plain path.`,
          ),
        );
    }
  }
  if (design.mode === "recover") {
    const recover = design.recover;
    if (!recover) {
      out.push(error("recover", "recover mode needs the recover block."));
    } else if (
      recover.configType !== "configuration.nix" &&
      FLAKE_UNSAFE.test(recover.configDir)
    ) {
      out.push(
        error(
          "recover.configDir",
          `"${recover.configDir}" holds a space, quote, "#", "?", "$" or backslash, which a flake reference cannot carry: move the configuration to a plain path.`,
        ),
      );
    }
  }
  return out;
}
