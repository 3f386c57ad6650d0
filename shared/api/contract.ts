// The backend as one API, declared once and bound by both transports: the
// Electron adapter (ipcMain.handle + a preload bridge with one function per
// method) and the remote adapter (a WebSocket at /api). The renderer talks
// only to this contract (compare VS Code's channels and subiquity's apidef).
// Arguments are checked at the boundary (electron/backend/api-schemas.ts): a
// malformed message gets an error reply, never a crash.
import type { Problem } from "../design/types";
import type { GeneratedFile } from "../generated-file";
import type { MachineFacts } from "../machine/types";
import type { Plan, PhaseName } from "../plan/types";
import type { RunStatus } from "../progress/types";
import type { ScanResult } from "../scan/types";

export interface Hello {
  version: string;
  /** "sandbox": a pretend machine; nothing real is touched. Always shown in the UI. */
  machine: "sandbox" | "real";
  transport: "electron" | "websocket";
  /** Only one client controls the backend at a time (remote mode). */
  controlling: boolean;
}

export type { GeneratedFile } from "../generated-file";

export interface PlanPreview {
  problems: Problem[];
  /** Null when the design has errors. */
  plan: Plan | null;
  files: GeneratedFile[];
}

export interface DirEntryInfo {
  /** The name; a name that is not UTF-8 has U+FFFD for its bad bytes. */
  name: string;
  /** The name is not UTF-8: shown, but it cannot be named in a design (rename it first). */
  undecodable?: true;
  kind: "dir" | "file" | "symlink" | "other";
  bytes: number;
  mtime: string;
}

/** How a phase really runs. */
export interface RunMode {
  /** True when nothing is changed: every command is only printed (`steps.sh --dry-run`). */
  dryRun: boolean;
  /**
   * What the run really does when that differs from what was asked, or what
   * it really touches (on the sandbox machine), one sentence.
   */
  note?: string;
}

/** Request methods: name -> arguments and result. */
export interface ApiMethods {
  hello: { args: Record<string, never>; result: Hello };
  probe: { args: Record<string, never>; result: MachineFacts };
  validate: { args: { design: unknown }; result: { problems: Problem[] } };
  plan: { args: { design: unknown }; result: PlanPreview };
  /** Scan a live root (default "/", or the sandbox's) for state that would be lost. */
  scan: { args: { root?: string; design?: unknown }; result: ScanResult };
  /** Browse a folder of a quarantine (old-root/) or scanned root, one level. */
  listDir: {
    args: { root: string; path: string };
    result: { entries: DirEntryInfo[] };
  };
  /**
   * Browse the old-root/ quarantine of an install the probe found
   * (`installs[]` with `hasOldRoot`), one level, read-only, straight from its
   * partition: read where it is mounted, else through a private read-only
   * mount made for the one listing (nothing stays mounted). `path` is inside
   * old-root/; the LiveCD's boot medium is refused.
   */
  listQuarantine: {
    args: { device: string; subvolume?: string | null; path: string };
    result: { entries: DirEntryInfo[] };
  };
  /** Designs and plans are read from and written to the workspace folder only. */
  listDesigns: {
    args: Record<string, never>;
    result: { workspace: string; designs: string[] };
  };
  openDesign: { args: { name: string }; result: { design: unknown } };
  saveDesign: {
    args: { name: string; design: unknown };
    result: { path: string };
  };
  writePlan: {
    args: { name: string; design: unknown };
    result: { dir: string; files: string[] };
  };
  /** Run one phase of a design's plan in a terminal; progress arrives as run.status events. */
  runPhase: {
    args: {
      design: unknown;
      phase: PhaseName;
      dryRun: boolean;
      cols: number;
      rows: number;
    };
    /** `dryRun` and `note` as `runMode` says for the same phase and dryRun. */
    result: { runId: string; terminalId: string } & RunMode;
  };
  /**
   * What `runPhase` with these arguments will really do, before it runs (the
   * Review screen says it): on the real machine exactly what was asked; on
   * the sandbox machine what the sandbox allows.
   */
  runMode: {
    args: { phase: PhaseName; dryRun: boolean };
    result: RunMode;
  };
  cancelRun: { args: { runId: string }; result: { cancelled: boolean } };
  runStatus: { args: { runId: string }; result: RunStatus };
  /** The run's full log (terminal output with the Nix JSON lines kept). */
  runLog: { args: { runId: string }; result: { text: string; path: string } };
  /** A plain interactive shell, for the "way out" on the LiveCD. */
  openShell: {
    args: { cols: number; rows: number };
    result: { terminalId: string };
  };
  terminalInput: { args: { terminalId: string; data: string }; result: null };
  terminalResize: {
    args: { terminalId: string; cols: number; rows: number };
    result: null;
  };
  /** Flow control: the renderer acknowledges characters it has written to xterm.js. */
  terminalAck: { args: { terminalId: string; chars: number }; result: null };
  terminalKill: { args: { terminalId: string }; result: null };
}

export type ApiMethod = keyof ApiMethods;
export type ApiArgs<M extends ApiMethod> = ApiMethods[M]["args"];
export type ApiResult<M extends ApiMethod> = ApiMethods[M]["result"];

/** Every method name, for transports that bind them one by one. */
export const API_METHODS = [
  "hello",
  "probe",
  "validate",
  "plan",
  "scan",
  "listDir",
  "listQuarantine",
  "listDesigns",
  "openDesign",
  "saveDesign",
  "writePlan",
  "runPhase",
  "runMode",
  "cancelRun",
  "runStatus",
  "runLog",
  "openShell",
  "terminalInput",
  "terminalResize",
  "terminalAck",
  "terminalKill",
] as const satisfies readonly ApiMethod[];

/** Event streams: name -> payload. */
export interface ApiEvents {
  "terminal.data": { terminalId: string; data: string };
  "terminal.exit": {
    terminalId: string;
    exitCode: number | null;
    signal: number | null;
  };
  "run.status": RunStatus;
}

export type ApiEvent = keyof ApiEvents;
export const API_EVENTS = [
  "terminal.data",
  "terminal.exit",
  "run.status",
] as const satisfies readonly ApiEvent[];

/** What the renderer holds: one call function and one subscription function. */
export interface ApiClient {
  call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>>;
  on<E extends ApiEvent>(
    event: E,
    handler: (payload: ApiEvents[E]) => void,
  ): () => void;
}

/** The backend side: one handler per method, and an emitter for events. */
export type ApiHandlers = {
  [M in ApiMethod]: (args: ApiArgs<M>) => Promise<ApiResult<M>>;
};

/** Wire messages of the WebSocket transport (docs/api.md). */
export type WireRequest = { id: number; method: string; args: unknown };
/**
 * `id` is null only in the error reply to a message whose id could not be
 * read (not JSON, not an object, no numeric id), as in JSON-RPC.
 */
export type WireReply =
  | { id: number; result: unknown }
  | { id: number | null; error: { message: string } };
export type WireEvent = { event: string; payload: unknown };

// Compile-time check that the lists above name every method and event.
type Missing<T extends string, L extends readonly string[]> = Exclude<
  T,
  L[number]
>;
const _allMethods: Missing<ApiMethod, typeof API_METHODS> extends never
  ? true
  : never = true;
const _allEvents: Missing<ApiEvent, typeof API_EVENTS> extends never
  ? true
  : never = true;
void _allMethods;
void _allEvents;
