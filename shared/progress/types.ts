// Progress the runner reports while a phase runs.
import type { StopReason } from "../plan/markers";
import type { StepState } from "../plan/types";

export interface StepStatus {
  id: string;
  title: string;
  state: StepState;
  /** In a dry run: the real run would stop in this step (the terminal says why). */
  wouldStop?: boolean;
}

/** Nix build progress, from `--log-format internal-json` (see ./nix-log.ts). */
export interface BuildProgress {
  buildsDone: number;
  buildsExpected: number;
  buildsFailed: number;
  /** Derivation names being built now. */
  running: string[];
  downloadsDone: number;
  downloadsExpected: number;
  bytesDone: number;
  bytesExpected: number;
  /** The current phase of each running build, when Nix reports it. */
  phases: Record<string, string>;
}

export interface RunStatus {
  runId: string;
  phase: string;
  steps: StepStatus[];
  /** 0 to 100. */
  percent: number;
  state: "running" | "succeeded" | "failed" | "cancelled";
  exitCode: number | null;
  build: BuildProgress | null;
  /**
   * Why the script stopped, in the sentence the terminal shows ("why"
   * marker): the refusal, the failed command, the missing tool. Null while
   * it runs, when it succeeded, and when it ended without saying (killed,
   * cancelled).
   */
  why: { reason: StopReason; text: string } | null;
}
