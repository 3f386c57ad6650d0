// Terminal sessions: a real pty (node-pty) running bash, the way VS Code's
// terminalProcess.ts does it, with
//   - a controlled environment (an allow-list of the backend's variables, or
//     exactly what the caller gives) and TERM=xterm-256color;
//   - input, resize, and exit status;
//   - flow control by acknowledged characters (shared/api/flow-control.ts):
//     the pty is paused while the renderer is more than HIGH_WATERMARK_CHARS
//     behind, so a noisy build cannot fill the backend's memory;
//   - output batched for a few milliseconds (fewer, larger messages);
//   - an optional transform of the output (the runner's filter) applied
//     before anything is sent, so flow control counts what the user sees;
//   - cancel and shutdown that kill every process the session started, in
//     its process group, its Linux session, its process tree, or carrying
//     its token (./process-tree.ts), first gently, then with SIGKILL.
// The service emits the API's "terminal.data" and "terminal.exit" payloads;
// the API layer forwards them as they are.
import { randomUUID } from "node:crypto";
import { closeSync, constants, openSync } from "node:fs";
import * as pty from "node-pty";
import type { ApiEvents } from "../../shared/api/contract";
import { FlowWindow } from "../../shared/api/flow-control";
import { TOKEN_VAR, isGone, sessionProcesses, signalAll } from "./process-tree";

export const TERM_NAME = "xterm-256color";
export const MIN_SIZE = 1;
export const MAX_SIZE = 1000;

/** Variables a session inherits from the backend when the caller gives no env. */
const INHERITED = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "LOCALE_ARCHIVE", // NixOS: glibc finds locales through it
  "NIX_PATH",
  "NIX_REMOTE",
  "NIX_SSL_CERT_FILE",
  "SSL_CERT_FILE",
];
const FALLBACK_PATH =
  "/run/wrappers/bin:/run/current-system/sw/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The environment a session gets by default: an allow-list of the backend's
 * own (no NODE_OPTIONS, ELECTRON_*, tokens or secrets of the app's caller).
 */
export function defaultEnv(
  from: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(from))
    if (
      value !== undefined &&
      (INHERITED.includes(key) || key.startsWith("LC_"))
    )
      env[key] = value;
  env.PATH ??= FALLBACK_PATH;
  return env;
}

export interface TerminalExit {
  /** Null when a signal ended the process. */
  exitCode: number | null;
  signal: number | null;
}

/** Turns the raw pty output into what is shown; `end` runs once at exit. */
export interface OutputTransform {
  write(raw: string): string;
  end(): string;
}

export interface SpawnOptions {
  /** The program, found on the session's PATH. */
  file: string;
  args: string[];
  cols: number;
  rows: number;
  cwd: string;
  /** Exactly the session's environment (TERM and the token are added); default defaultEnv(). */
  env?: Record<string, string>;
  /** Pause the pty while output is unacknowledged (default true). Off for a consumer that never acks. */
  flowControl?: boolean;
  transform?: OutputTransform;
  /**
   * An interactive shell ignores SIGTERM: cancel sends it SIGHUP (what a
   * closed terminal sends) as well.
   */
  interactive?: boolean;
}

export interface TerminalServiceOptions {
  /** How long cancel waits after SIGTERM/SIGHUP before SIGKILL (default 2 s). */
  graceMs?: number;
  /** How long output is collected before it is sent (default 5 ms). */
  batchMs?: number;
  /** The shell of openShell (default "bash"). */
  shell?: string;
}

type Listener<E extends "terminal.data" | "terminal.exit"> = (
  payload: ApiEvents[E],
) => void;

function checkSize(name: "cols" | "rows", value: number): number {
  if (!Number.isInteger(value) || value < MIN_SIZE || value > MAX_SIZE)
    throw new Error(
      `${name} must be a whole number from ${MIN_SIZE} to ${MAX_SIZE} (got ${String(value)})`,
    );
  return value;
}

export class TerminalSession {
  readonly id: string;
  readonly pid: number;
  /** Resolves once, when the process has exited and all its output was sent. */
  readonly exited: Promise<TerminalExit>;
  private readonly pty: pty.IPty;
  private readonly flow = new FlowWindow();
  private flowControl: boolean;
  private readonly transform: OutputTransform | undefined;
  private readonly interactive: boolean;
  private batch: string[] = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private exitPoll: NodeJS.Timeout | null = null;
  private exitStatus: TerminalExit | null = null;
  private resolveExit!: (exit: TerminalExit) => void;
  private killing: Promise<TerminalExit> | null = null;
  /** Our own descriptor of the pty's slave side, held until exit (see holdSlave). */
  private slave: number | null = null;
  private cancelled = false;

  constructor(
    options: SpawnOptions,
    private readonly emit: {
      data: (id: string, data: string) => void;
      exit: (id: string, exit: TerminalExit) => void;
    },
    private readonly settings: Required<Omit<TerminalServiceOptions, "shell">>,
  ) {
    this.id = randomUUID();
    this.flowControl = options.flowControl ?? true;
    this.transform = options.transform;
    this.interactive = options.interactive ?? false;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    const env = {
      ...(options.env ?? defaultEnv()),
      TERM: TERM_NAME,
      COLORTERM: "truecolor",
      [TOKEN_VAR]: this.id,
    };
    this.pty = pty.spawn(options.file, options.args, {
      name: TERM_NAME,
      cols: checkSize("cols", options.cols),
      rows: checkSize("rows", options.rows),
      cwd: options.cwd,
      env,
    });
    this.pid = this.pty.pid;
    this.holdSlave();
    this.pty.onData((raw) => this.onRaw(raw));
    this.pty.onExit(({ exitCode, signal }) =>
      this.onExit(
        signal ? { exitCode: null, signal } : { exitCode, signal: null },
      ),
    );
  }

  /** The exit status, or null while it runs. */
  get exit(): TerminalExit | null {
    return this.exitStatus;
  }

  /** Whether cancel() or the service's shutdown ended it. */
  get wasCancelled(): boolean {
    return this.cancelled;
  }

  /** Characters sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.flow.unacknowledged;
  }

  get paused(): boolean {
    return this.flow.paused;
  }

  write(data: string): void {
    if (typeof data !== "string")
      throw new Error("terminal input must be a string");
    if (this.exitStatus || this.killing) return; // keystrokes racing the exit
    this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    checkSize("cols", cols);
    checkSize("rows", rows);
    if (this.exitStatus) return;
    try {
      this.pty.resize(cols, rows);
    } catch {
      // the pty closed between our check and the ioctl
    }
  }

  /** The renderer has written `chars` more characters (flow control). */
  ack(chars: number): void {
    if (!Number.isInteger(chars) || chars < 0)
      throw new Error(
        `acknowledged characters must be a whole number of at least 0 (got ${String(chars)})`,
      );
    if (this.flow.acked(chars) === "resume") this.resume();
  }

  /**
   * Turns flow control on or off (off: for a consumer that never acks, or a
   * renderer that went away). Turning it off resumes a paused pty.
   */
  setFlowControl(enabled: boolean): void {
    this.flowControl = enabled;
    if (this.flow.reset() === "resume") this.resume();
  }

  /**
   * Ends the session and everything it started: SIGTERM to every process
   * (and SIGHUP to an interactive shell), SIGKILL after the grace period to
   * whatever is left, repeated until nothing is left. Resolves with the exit
   * status once the session's process has exited. Called after the session
   * exited by itself, it kills what the session left running (background
   * jobs) and does not count as a cancel.
   */
  cancel(): Promise<TerminalExit> {
    this.killing ??= this.killTree();
    return this.killing;
  }

  /** SIGKILL to everything now, synchronously (for process "exit" handlers). */
  killNow(): void {
    if (this.exitStatus === null) this.cancelled = true;
    signalAll(sessionProcesses(this.pid, this.id), "SIGKILL");
  }

  private async killTree(): Promise<TerminalExit> {
    const running = sessionProcesses(this.pid, this.id);
    // After a normal exit this only clears away what the session left behind.
    if (this.exitStatus === null) this.cancelled = true;
    // Drain: a child blocked writing to a paused pty must be able to go on
    // to its signal handler and exit.
    this.setFlowControl(false);
    if (this.interactive) signalAll([this.pid], "SIGHUP");
    signalAll(running, "SIGTERM");
    signalAll(running, "SIGCONT"); // a stopped process only acts on SIGTERM once continued
    const deadline = Date.now() + this.settings.graceMs;
    while (Date.now() < deadline) {
      if (sessionProcesses(this.pid, this.id).length === 0) break;
      await sleep(25);
    }
    // Whatever is left, and whatever it forked meanwhile.
    for (let round = 0; round < 40; round++) {
      const left = sessionProcesses(this.pid, this.id);
      if (left.length === 0) break;
      signalAll(left, "SIGKILL");
      await sleep(25);
    }
    return this.exited;
  }

  /**
   * Without this the end of the output is lost now and then: when the last
   * process holding the pty's slave side exits, libuv sees POLLHUP after a
   * partial read and reports end-of-file although the kernel still holds
   * output (measured here: a few KB lost in half the runs of a 1 MB burst).
   * With the slave also open in the backend, no hangup happens; node-pty
   * then reads on and ends the session 200 ms after the child exited.
   */
  private holdSlave(): void {
    const name = (this.pty as unknown as { ptsName?: unknown }).ptsName;
    if (typeof name !== "string") return;
    try {
      this.slave = openSync(name, constants.O_RDWR | constants.O_NOCTTY);
    } catch {
      this.slave = null;
    }
  }

  private onRaw(raw: string): void {
    let shown = raw;
    if (this.transform) {
      try {
        shown = this.transform.write(raw);
      } catch {
        // A broken transform must not lose the user's output.
      }
    }
    if (!shown) return;
    this.batch.push(shown);
    // Counted when queued, not when the batch leaves: a fast child would
    // otherwise fill a whole batch window past the high mark. Past it, the
    // batch leaves at once, so a renderer that keeps up can ack (and resume
    // the pty) without waiting for the timer. Pause first: an ack that
    // arrives while the batch is being sent must find the pty paused.
    if (this.flowControl && this.flow.sent(shown.length) === "pause") {
      this.pause();
      this.sendBatch();
      return;
    }
    this.batchTimer ??= setTimeout(
      () => this.sendBatch(),
      this.settings.batchMs,
    );
  }

  private sendBatch(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    if (!this.batch.length) return;
    const data = this.batch.join("");
    this.batch = [];
    this.emit.data(this.id, data);
  }

  private pause(): void {
    this.pty.pause();
    // node-pty destroys the pty 200 ms after the child exits, unread output
    // and all; so while paused, watch the child and drain once it is gone.
    this.exitPoll ??= setInterval(() => {
      if (isGone(this.pid)) {
        this.stopExitPoll();
        this.pty.resume();
      }
    }, 20);
  }

  private resume(): void {
    this.stopExitPoll();
    if (!this.exitStatus) this.pty.resume();
  }

  private stopExitPoll(): void {
    if (this.exitPoll) clearInterval(this.exitPoll);
    this.exitPoll = null;
  }

  private onExit(exit: TerminalExit): void {
    this.stopExitPoll();
    if (this.slave !== null) closeSync(this.slave);
    this.slave = null;
    try {
      const tail = this.transform?.end();
      if (tail) this.batch.push(tail);
    } catch {
      // as above
    }
    this.sendBatch();
    this.exitStatus = exit;
    this.emit.exit(this.id, exit);
    this.resolveExit(exit);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** All terminal sessions of the backend, and the events the API forwards. */
export class TerminalService {
  private readonly sessions = new Map<string, TerminalSession>();
  private readonly dataListeners = new Set<Listener<"terminal.data">>();
  private readonly exitListeners = new Set<Listener<"terminal.exit">>();
  private readonly settings: Required<Omit<TerminalServiceOptions, "shell">>;
  private readonly shell: string;

  constructor(options: TerminalServiceOptions = {}) {
    this.settings = {
      graceMs: options.graceMs ?? 2000,
      batchMs: options.batchMs ?? 5,
    };
    this.shell = options.shell ?? "bash";
  }

  /** Subscribes to an event stream; returns the unsubscribe function. */
  on<E extends "terminal.data" | "terminal.exit">(
    event: E,
    listener: Listener<E>,
  ): () => void {
    const set = (
      event === "terminal.data" ? this.dataListeners : this.exitListeners
    ) as Set<Listener<E>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  spawn(options: SpawnOptions): TerminalSession {
    const session = new TerminalSession(
      options,
      {
        data: (terminalId, data) => {
          for (const l of this.dataListeners) l({ terminalId, data });
        },
        exit: (terminalId, { exitCode, signal }) => {
          for (const l of this.exitListeners)
            l({ terminalId, exitCode, signal });
        },
      },
      this.settings,
    );
    this.sessions.set(session.id, session);
    return session;
  }

  /** An interactive bash (the "way out" shell of the LiveCD). */
  openShell(options: {
    cols: number;
    rows: number;
    cwd?: string;
    env?: Record<string, string>;
  }): TerminalSession {
    const env = options.env ?? defaultEnv();
    return this.spawn({
      file: this.shell,
      args: ["-i"],
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd ?? env.HOME ?? "/",
      env,
      interactive: true,
    });
  }

  /** The session, or an error naming the id. */
  get(terminalId: string): TerminalSession {
    const session = this.sessions.get(terminalId);
    if (!session)
      throw new Error(
        `terminal "${terminalId}" does not exist: open a shell or start a run first`,
      );
    return session;
  }

  list(): TerminalSession[] {
    return [...this.sessions.values()];
  }

  input(terminalId: string, data: string): void {
    this.get(terminalId).write(data);
  }

  resize(terminalId: string, cols: number, rows: number): void {
    this.get(terminalId).resize(cols, rows);
  }

  ack(terminalId: string, chars: number): void {
    this.get(terminalId).ack(chars);
  }

  /** Kills the session's processes and forgets it. */
  async kill(terminalId: string): Promise<TerminalExit> {
    const session = this.get(terminalId);
    const exit = await session.cancel();
    this.sessions.delete(terminalId);
    return exit;
  }

  /** On quit: every session killed, every process gone. */
  async shutdown(): Promise<void> {
    await Promise.all(this.list().map((s) => s.cancel()));
    this.sessions.clear();
  }

  /** Synchronous last resort for a process "exit" handler: SIGKILL to all. */
  killAllNow(): void {
    for (const s of this.sessions.values()) s.killNow();
  }
}
