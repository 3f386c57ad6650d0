// Turns a plan into one bash script, steps.sh:
//   bash steps.sh PHASE [--yes] [--dry-run] [--target DIR] [--force]
// The script is the library (shared/plan/steps-lib/*.sh, embedded unchanged) followed by
// one function per phase and per step, generated here. Every value is
// quoted with shellQuote; every marker is encoded with markers.ts, so the
// runner and the script cannot disagree. docs/step-script.md describes the
// contract.
import { WHY_CLOSE, WHY_MAX_BYTES, WHY_OPEN, encodeMarker } from "./markers";
import { shellQuote } from "./quote";
import { STEPS_LIB } from "./steps-lib";
import type { Phase, Plan, Step } from "./types";

const ID = /^[a-z0-9][a-z0-9-]*$/;

export function renderScript(plan: Plan): string {
  const phaseNames = plan.phases.map((p) => p.name);
  const lines = [
    "#!/usr/bin/env bash",
    `# Tabula step script for host ${printable(plan.hostname)} (plan ${plan.planId}, mode ${plan.mode}).`,
    "# Generated from design.json by `tabula plan`: do not edit, make the plan again.",
    "#   bash steps.sh PHASE [--yes] [--dry-run] [--target DIR] [--force]",
    `# Phases: ${phaseNames.join(", ")}. What each does, the markers it prints, its`,
    "# journal and its exit statuses: docs/step-script.md in Tabula.",
    "set -euo pipefail",
    "umask 022",
    "# Globs sort the same way everywhere.",
    "export LC_COLLATE=C",
    "",
    `TABULA_PLAN_ID=${shellQuote(plan.planId)}`,
    `TABULA_HOSTNAME=${shellQuote(plan.hostname)}`,
    `TABULA_PHASES=(${phaseNames.join(" ")})`,
    "# Phases a user who owns the --target folder may run without root.",
    `TABULA_USER_PHASES=(${plan.phases
      .filter((p) => p.userWithTarget)
      .map((p) => p.name)
      .join(" ")})`,
    "# The two ends of the marker saying why a run stops (tabula_why).",
    `TABULA_MARK_WHY_OPEN=${marker(WHY_OPEN)}`,
    `TABULA_MARK_WHY_CLOSE=${marker(WHY_CLOSE)}`,
    `TABULA_WHY_MAX_BYTES=${WHY_MAX_BYTES}`,
    "",
    STEPS_LIB.trimEnd(),
    "",
    ...plan.phases.flatMap(renderPhase),
    'tabula_main "$@"',
    "",
  ];
  return lines.join("\n");
}

function renderPhase(phase: Phase): string[] {
  if (!ID.test(phase.name))
    throw new Error(`phase name "${phase.name}" must match ${ID}`);
  const total = phase.steps.reduce((sum, s) => sum + s.weight, 0) || 1;
  const seen = new Set<string>();
  let done = 0;
  const stepFunctions: string[] = [];
  const calls: string[] = [];
  phase.steps.forEach((step, i) => {
    if (!ID.test(step.id))
      throw new Error(`step id "${step.id}" must match ${ID}`);
    if (seen.has(step.id))
      throw new Error(`step id "${step.id}" appears twice in ${phase.name}`);
    seen.add(step.id);
    const start = (100 * done) / total;
    done += step.weight;
    const end = (100 * done) / total;
    const fn = `tabula_step_${phase.name}_${i + 1}`;
    // One typed answer confirms every destructive step on the same device in
    // the run, so the question shows their commands too, before it is asked.
    const later = step.destructive
      ? phase.steps.flatMap((s, j) =>
          j > i && s.destructive && s.confirm === step.confirm
            ? [
                `[${j + 1}/${phase.steps.length}] ${s.title}`,
                ...s.commands.map((c) => `  ${c}`),
              ]
            : [],
        )
      : [];
    stepFunctions.push(...renderStep(fn, step, i + 1, start, end, later));
    calls.push(`  ${fn}`);
  });
  // One line per tool, naming the first step that needs it.
  const firstUse = new Map<string, string>();
  phase.steps.forEach((step, i) => {
    for (const tool of step.requires)
      if (!firstUse.has(tool))
        firstUse.set(
          tool,
          `${tool}\t${i + 1}\t${step.title.replace(/[\t\n]/g, " ")}`,
        );
  });
  const preflight = [...firstUse.values()].map(shellQuote);
  const journals = phase.journal ?? [];
  return [
    `# --- phase ${phase.name}: ${printable(phase.title)} ---`,
    `tabula_phase_${phase.name}() {`,
    `  TABULA_PHASE=${phase.name}`,
    `  TABULA_PHASE_TITLE=${shellQuote(phase.title)}`,
    `  TABULA_STEP_COUNT=${phase.steps.length}`,
    `  TABULA_TARGET_DEFAULT=${shellQuote(phase.target?.default ?? "")}`,
    `  TABULA_TARGET_MEANING=${shellQuote(phase.target?.meaning ?? "")}`,
    `  TABULA_MARK_PHASE_START=${marker(
      encodeMarker({
        kind: "phase-start",
        phase: phase.name,
        steps: phase.steps.length,
      }) + encodeMarker({ kind: "progress", state: 1, percent: 0 }),
    )}`,
    `  TABULA_MARK_PHASE_OK=${marker(
      encodeMarker({ kind: "progress", state: 0, percent: 100 }) +
        encodeMarker({ kind: "phase-end", phase: phase.name, result: "ok" }),
    )}`,
    `  TABULA_MARK_PHASE_FAILED=${marker(
      encodeMarker({ kind: "progress", state: 2, percent: 100 }) +
        encodeMarker({
          kind: "phase-end",
          phase: phase.name,
          result: "failed",
        }),
    )}`,
    `  TABULA_MARK_PHASE_CANCELLED=${marker(
      encodeMarker({ kind: "progress", state: 0, percent: 0 }) +
        encodeMarker({
          kind: "phase-end",
          phase: phase.name,
          result: "cancelled",
        }),
    )}`,
    `  TABULA_SUMMARY=(${(phase.summary ?? []).map(shellQuote).join(" ")})`,
    `  TABULA_PREFLIGHT=(${preflight.join(" ")})`,
    "  tabula_phase_begin",
    `  TABULA_JOURNALS=(${journals.join(" ")})`,
    ...calls,
    "  tabula_phase_end",
    "}",
    "",
    ...stepFunctions,
  ];
}

function renderStep(
  fn: string,
  step: Step,
  index: number,
  start: number,
  end: number,
  later: string[],
): string[] {
  if (step.destructive && !step.confirm)
    throw new Error(
      `destructive step "${step.id}" needs the text to confirm it`,
    );
  const endMarker = (result: "done" | "skipped" | "failed", state: 1 | 2) =>
    marker(
      encodeMarker({ kind: "step-end", step: step.id, result }) +
        encodeMarker({ kind: "progress", state, percent: end }),
    );
  return [
    `# step ${index}: ${step.id}`,
    `${fn}() {`,
    `  TABULA_STEP_INDEX=${index}`,
    `  TABULA_STEP_ID=${step.id}`,
    `  TABULA_STEP_TITLE=${shellQuote(step.title)}`,
    `  TABULA_STEP_EXPLAIN=${shellQuote(step.explain ?? "")}`,
    `  TABULA_STEP_DESTRUCTIVE=${step.destructive ? 1 : 0}`,
    `  TABULA_STEP_CONFIRM=${shellQuote(step.confirm ?? "")}`,
    `  TABULA_STEP_REQUIRES=(${step.requires.map(shellQuote).join(" ")})`,
    `  TABULA_STEP_GUARD=${shellQuote(step.guard?.check ?? "")}`,
    `  TABULA_STEP_DONE=${shellQuote(step.guard?.done ?? "")}`,
    "  TABULA_STEP_COMMANDS=(",
    ...step.commands.map((c) => `    ${shellQuote(c)}`),
    "  )",
    `  TABULA_STEP_LATER=(${later.map(shellQuote).join(" ")})`,
    `  TABULA_MARK_STEP_START=${marker(
      encodeMarker({ kind: "step-start", step: step.id }) +
        encodeMarker({ kind: "progress", state: 1, percent: start }),
    )}`,
    `  TABULA_MARK_STEP_DONE=${endMarker("done", 1)}`,
    `  TABULA_MARK_STEP_SKIPPED=${endMarker("skipped", 1)}`,
    `  TABULA_MARK_STEP_FAILED=${endMarker("failed", 2)}`,
    `  TABULA_MARK_DRY_STOP=${marker(encodeMarker({ kind: "dry-stop", step: step.id }))}`,
    "  tabula_run_step",
    "}",
    "",
  ];
}

/** A marker string as a bash word ($'\E]...\a'). */
function marker(text: string): string {
  return shellQuote(text);
}

/** One line of comment text: no control characters. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  return text.replace(/[\u0000-\u001f\u007f]/g, "?");
}
