// The runner: runs one phase of a plan's step script in a terminal session
// (`bash steps.sh PHASE [--dry-run] [--yes] [--target DIR] [--force]`) and
// follows it:
//   - the output goes through the output filter (shared/progress/output-filter.ts):
//     the step markers become step states, OSC 9;4 the overall percent, and
//     Nix's `--log-format internal-json` lines a BuildProgress, while the
//     terminal shows the build log lines those carry instead of the JSON;
//   - the full, unfiltered output (JSON lines included) goes to a log file
//     the user can save;
//   - RunStatus updates are emitted as "run.status" events: at once (in the
//     same turn) when a step or the phase changes, at most every
//     statusIntervalMs for percent and build progress, and always at the end;
//   - cancel kills the script and everything it started (the terminal
//     service's process-tree kill); the run then ends "cancelled".
// Step states: pending until the script says step-start, running until
// step-end says done, skipped or failed. A step still running when the
// script ends (it crashed, or was cancelled) is marked failed: it did not
// finish, and the script's journal will run it again next time.
import { randomUUID } from "node:crypto";
import {
  createWriteStream,
  mkdirSync,
  openSync,
  closeSync,
  readSync,
  rmSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { join, resolve } from "node:path";
import { finished } from "node:stream/promises";
import type { Marker } from "../../shared/plan/markers";
import type { Plan, PhaseName } from "../../shared/plan/types";
import { NixLogReader } from "../../shared/progress/nix-log";
import { OutputFilter } from "../../shared/progress/output-filter";
import type { RunStatus, StepStatus } from "../../shared/progress/types";
import type {
  TerminalExit,
  TerminalService,
  TerminalSession,
} from "./terminal";

export interface RunOptions {
  plan: Plan;
  phase: PhaseName;
  /** The step script (steps.sh) to run. */
  script: string;
  /** Where it runs (the plan's folder); default the script's folder. */
  cwd?: string;
  dryRun?: boolean;
  /** Answer the destructive steps' confirmations in advance. */
  yes?: boolean;
  /** `--target DIR`: the folder the phase works on (migrate, bootloader, install). */
  target?: string;
  /** `--force`: the script's own override of some refusals (docs/step-script.md). */
  force?: boolean;
  cols: number;
  rows: number;
  /** The script's environment (default: the terminal service's default). */
  env?: Record<string, string>;
  /** Flow control by the renderer's acks (default true; off when nothing renders). */
  flowControl?: boolean;
}

export interface RunnerOptions {
  /** Folder for the full logs; created if missing. */
  logDir: string;
  /** Least time between two progress-only updates (default 100 ms). */
  statusIntervalMs?: number;
  /** runLog returns at most this many characters, the end of the log (default 32 MiB). */
  maxLogTextChars?: number;
}

type StatusListener = (status: RunStatus) => void;

/** One run of one phase. */
export class Run {
  readonly id: string;
  readonly logPath: string;
  readonly terminal: TerminalSession;
  /** Resolves with the final status once the script exited and the log is on disk. */
  readonly finished: Promise<RunStatus>;
  private readonly steps: StepStatus[];
  private readonly stepIndex = new Map<string, number>();
  private percent = 0;
  private state: RunStatus["state"] = "running";
  private exitCode: number | null = null;
  private phaseResult: "ok" | "failed" | "cancelled" | null = null;
  private why: RunStatus["why"] = null;
  private readonly nix = new NixLogReader();
  private readonly log: WriteStream;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private lastEmit = 0;

  constructor(
    private readonly options: RunOptions,
    terminals: TerminalService,
    logDir: string,
    private readonly intervalMs: number,
    private readonly emit: (status: RunStatus) => void,
  ) {
    const phase = options.plan.phases.find((p) => p.name === options.phase);
    if (!phase)
      throw new Error(
        `the plan has no phase "${options.phase}": choose one of ${options.plan.phases.map((p) => p.name).join(", ") || "(none)"}`,
      );
    const script = resolve(options.script);
    let isFile = false;
    try {
      isFile = statSync(script).isFile();
    } catch {
      // reported below
    }
    if (!isFile)
      throw new Error(
        `the step script ${script} does not exist: write the plan's files first`,
      );
    this.id = randomUUID();
    this.steps = phase.steps.map((s) => ({
      id: s.id,
      title: s.title,
      state: "pending",
    }));
    this.steps.forEach((s, i) => this.stepIndex.set(s.id, i));

    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    this.logPath = join(
      logDir,
      `${stamp}-${options.phase}-${this.id.slice(0, 8)}.log`,
    );
    let fd: number;
    try {
      mkdirSync(logDir, { recursive: true });
      // "wx": never overwrite an earlier log.
      fd = openSync(this.logPath, "wx");
    } catch (err) {
      throw new Error(
        `cannot write the run's log ${this.logPath} (${(err as Error).message}): choose a log folder Tabula can write to`,
      );
    }
    this.log = createWriteStream("", { fd });
    // A disk that fills up mid-run must not stop the run; the log just ends.
    this.log.on("error", () => {});

    const filter = new OutputFilter({
      renderNix: (json) => this.nix.line(json),
    });
    const args = [script, options.phase];
    if (options.dryRun) args.push("--dry-run");
    if (options.yes) args.push("--yes");
    if (options.target !== undefined) args.push("--target", options.target);
    if (options.force) args.push("--force");
    try {
      this.terminal = terminals.spawn({
        file: "bash",
        args,
        cols: options.cols,
        rows: options.rows,
        cwd: options.cwd ?? resolve(script, ".."),
        env: options.env,
        flowControl: options.flowControl,
        transform: {
          write: (raw) => {
            this.log.write(raw);
            const { text, events } = filter.push(raw);
            this.apply(events);
            return text;
          },
          end: () => {
            const { text, events } = filter.flush();
            this.apply(events);
            return text;
          },
        },
      });
    } catch (err) {
      // A size out of range, or no bash: no run, and no empty log left open.
      this.log.destroy();
      rmSync(this.logPath, { force: true });
      throw err;
    }
    this.finished = this.terminal.exited.then((exit) => this.end(exit));
  }

  status(): RunStatus {
    return {
      runId: this.id,
      phase: this.options.phase,
      steps: this.steps.map((s) => ({ ...s })),
      percent: this.percent,
      state: this.state,
      exitCode: this.exitCode,
      build: this.nix.seen ? this.nix.progress() : null,
      // Said only once the script ended, so it never shows beside "running".
      why: this.state === "running" ? null : this.why,
    };
  }

  /** Kills the script and all it started; resolves with the final status ("cancelled"). */
  async cancel(): Promise<RunStatus> {
    if (this.state === "running") await this.terminal.cancel();
    return this.finished;
  }

  /**
   * The log as text: all of it, or its last `maxChars` characters after a
   * line saying where the rest is.
   */
  readLog(maxChars: number): { text: string; path: string } {
    const size = statSync(this.logPath).size;
    // Bytes, not characters, but close enough for a cap; UTF-8 is at least
    // one byte per character so the text never exceeds maxChars * 4 bytes.
    const start = Math.max(0, size - maxChars);
    const fd = openSync(this.logPath, "r");
    try {
      const buf = Buffer.alloc(size - start);
      let read = 0;
      while (read < buf.length) {
        const n = readSync(fd, buf, read, buf.length - read, start + read);
        if (n === 0) break;
        read += n;
      }
      const text = buf.subarray(0, read).toString("utf8");
      return {
        path: this.logPath,
        text: start
          ? `[tabula: the log is ${size} bytes; only its last ${read} are shown here, all of it is in ${this.logPath}]\n${text}`
          : text,
      };
    } finally {
      closeSync(fd);
    }
  }

  private apply(events: ReturnType<OutputFilter["push"]>["events"]): void {
    let urgent = false;
    let changed = false;
    for (const event of events) {
      if (event.kind === "marker") {
        urgent = this.marker(event.marker) || urgent;
        changed = true;
      } else {
        changed = true; // Nix progress
      }
    }
    if (changed) this.changed(urgent);
  }

  /** Applies one marker; true when a step or the phase changed state. */
  private marker(m: Marker): boolean {
    switch (m.kind) {
      case "progress":
        // 1 normal and 4 paused carry the percent. 2 (error) is how far the
        // bar is painted red (the step script paints it all on failure):
        // the run's percent stays where the work got. 0 clear and
        // 3 indeterminate carry none.
        if (m.state === 1 || m.state === 4) this.percent = m.percent;
        return false;
      case "phase-start":
        return false;
      case "step-start":
        this.step(m.step).state = "running";
        return true;
      case "step-end":
        this.step(m.step).state = m.result;
        return true;
      case "phase-end":
        this.phaseResult = m.result;
        return true;
      case "dry-stop":
        this.step(m.step).wouldStop = true;
        return true;
      case "why":
        // The last one said is why it stopped (a helper's refusal, then
        // nothing more; or a failed command).
        this.why = { reason: m.reason, text: m.text };
        return false;
    }
  }

  /** The step, added at the end if the plan did not list it (a newer script). */
  private step(id: string): StepStatus {
    let i = this.stepIndex.get(id);
    if (i === undefined) {
      i = this.steps.push({ id, title: id, state: "pending" }) - 1;
      this.stepIndex.set(id, i);
    }
    return this.steps[i] as StepStatus;
  }

  private changed(urgent: boolean): void {
    const now = Date.now();
    const at = urgent ? now : Math.max(now, this.lastEmit + this.intervalMs);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.emitNow(), at - now);
  }

  private emitNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastEmit = Date.now();
    this.emit(this.status());
  }

  private async end(exit: TerminalExit): Promise<RunStatus> {
    this.exitCode = exit.exitCode;
    if (this.terminal.wasCancelled || this.phaseResult === "cancelled")
      this.state = "cancelled";
    else if (exit.exitCode === 0 && this.phaseResult !== "failed")
      this.state = "succeeded";
    else this.state = "failed";
    for (const s of this.steps) if (s.state === "running") s.state = "failed";
    if (this.state === "succeeded") this.percent = 100;
    // Background jobs the script left behind go with it.
    await this.terminal.cancel();
    this.log.end();
    await finished(this.log).catch(() => {});
    this.emitNow();
    return this.status();
  }
}

/** All runs, and the "run.status" event stream the API forwards. */
export class RunnerService {
  private readonly runs = new Map<string, Run>();
  private readonly listeners = new Set<StatusListener>();
  private readonly logDir: string;
  private readonly intervalMs: number;
  private readonly maxLogTextChars: number;

  constructor(
    private readonly terminals: TerminalService,
    options: RunnerOptions,
  ) {
    this.logDir = options.logDir;
    this.intervalMs = options.statusIntervalMs ?? 100;
    this.maxLogTextChars = options.maxLogTextChars ?? 32 * 1024 * 1024;
  }

  on(event: "run.status", listener: StatusListener): () => void {
    void event;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(options: RunOptions): Run {
    const run = new Run(
      options,
      this.terminals,
      this.logDir,
      this.intervalMs,
      (status) => {
        for (const l of this.listeners) l(status);
      },
    );
    this.runs.set(run.id, run);
    return run;
  }

  get(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run)
      throw new Error(
        `run "${runId}" does not exist: start a phase first (runs are forgotten when Tabula restarts; their logs stay in ${this.logDir})`,
      );
    return run;
  }

  status(runId: string): RunStatus {
    return this.get(runId).status();
  }

  async cancel(runId: string): Promise<{ cancelled: boolean }> {
    const run = this.get(runId);
    const wasRunning = run.status().state === "running";
    const final = await run.cancel();
    return { cancelled: wasRunning && final.state === "cancelled" };
  }

  log(runId: string): { text: string; path: string } {
    return this.get(runId).readLog(this.maxLogTextChars);
  }

  /** On quit: every running script cancelled, every log closed. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.cancel()));
  }
}
