// A plan is the list of steps that make a design real, grouped in phases.
// The script generator turns a phase into one bash script (steps.sh); the
// runner follows its markers (./markers.ts) to show step states.

export type PhaseName =
  "install" | "prepare" | "migrate" | "bootloader" | "recover";

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
}

export interface Phase {
  name: PhaseName;
  title: string;
  /** Where the phase runs. */
  where: "livecd" | "running-system";
  steps: Step[];
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
