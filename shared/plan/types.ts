// A plan is the list of steps that make a design real, grouped in phases.
// The script generator turns a phase into one bash script (steps.sh); the
// runner follows its markers (./markers.ts) to show step states.

export type PhaseName =
  "install" | "prepare" | "migrate" | "bootloader" | "recover" | "revert";

export interface Step {
  /** Stable identifier, [a-z0-9-]+; the journal and the markers use it. */
  id: string;
  title: string;
  /** Why the step exists, in one or two sentences for the review screen. */
  explain?: string;
  /** The commands exactly as they will run (bash). */
  commands: string[];
  /** Destroys or moves data: asks for typed confirmation unless --yes. */
  destructive: boolean;
  /** What the user must type to confirm a destructive step (a device name). */
  confirm?: string;
  /** Relative cost, for the overall progress percentage. */
  weight: number;
  /** Tools the commands need; a missing one stops the script naming the step and tool. */
  requires: string[];
  /**
   * How the script knows the step is already done (a rerun after a crash
   * skips it). Decided from the filesystem, never from memory.
   */
  guard?: StepGuard;
}

export interface StepGuard {
  /** A read-only bash test; success means done. It may print why (one line). */
  check: string;
  /** What the script prints when it skips the step and the check printed nothing. */
  done: string;
}

export interface Phase {
  name: PhaseName;
  title: string;
  /** Where the phase runs. */
  where: "livecd" | "running-system";
  steps: Step[];
  /** The folder `--target` names in this phase (its default, and what it is); absent: no `--target`. */
  target?: { default: string; meaning: string };
  /**
   * With `--target`, the phase mounts nothing and only renames files inside
   * the target, so it may run as a user who owns the target folder (the
   * kernel then checks every rename); without it, root is required.
   */
  userWithTarget?: boolean;
  /**
   * Where the journal goes, next to the data the phase changes: bash words
   * (they may use "$TARGET"); the first whose folder exists is used. Records
   * made before any exists are kept and written as soon as one does.
   */
  journal?: string[];
  /** Printed when the phase succeeds: what happened and what to do next. */
  summary?: string[];
}

export interface Plan {
  format: "tabula-plan/1";
  /** Identity of the design this plan came from (a hash of the normalized design). */
  planId: string;
  mode: "install" | "convert" | "recover";
  hostname: string;
  phases: Phase[];
}

/** State of a step as the runner reports it. */
export type StepState = "pending" | "running" | "done" | "failed" | "skipped";
