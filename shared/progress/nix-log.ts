// A reader of Nix's structured log (`--log-format internal-json -v`): each
// `@nix {json}` line (see ./output-filter.ts) updates a BuildProgress and may
// yield text for the terminal, so the user still reads what Nix would have
// printed: build log lines ("name> line"), errors and warnings, "building
// '...'" and "copying path '...'" announcements.
//
// The format (Nix's src/libutil/logging.{hh,cc}, JSONLogger):
//   {"action":"msg","level":L,"msg":S}                    a message
//   {"action":"start","id":I,"level":L,"type":T,"text":S,"fields":[..],"parent":P}
//   {"action":"stop","id":I}
//   {"action":"result","id":I,"type":R,"fields":[..]}
// nix-output-monitor is the reference reader of it. Counting follows Nix's
// own progress bar (src/libmain/progress-bar.cc): per activity type, the
// numbers of running activities plus those already stopped, and the
// expected totals announced with SetExpected by a parent activity.
//
// Anything unknown or malformed is skipped, never fatal: a malformed line is
// shown as it is, so nothing is hidden from the user.
import type { BuildProgress } from "./types";
import { terminalLines } from "./sanitize";

export const ActivityType = {
  Unknown: 0,
  CopyPath: 100,
  FileTransfer: 101,
  Realise: 102,
  CopyPaths: 103,
  Builds: 104,
  Build: 105,
  OptimiseStore: 106,
  VerifyPaths: 107,
  Substitute: 108,
  QueryPathInfo: 109,
  PostBuildHook: 110,
  BuildWaiting: 111,
} as const;

export const ResultType = {
  FileLinked: 100,
  BuildLogLine: 101,
  UntrustedPath: 102,
  CorruptedPath: 103,
  SetPhase: 104,
  Progress: 105,
  SetExpected: 106,
  PostBuildLogLine: 107,
} as const;

/** Nix's verbosity levels: messages at or below the reader's level are shown. */
export const Verbosity = {
  Error: 0,
  Warn: 1,
  Notice: 2,
  Info: 3,
  Talkative: 4,
  Chatty: 5,
  Debug: 6,
  Vomit: 7,
} as const;

export interface NixLogReaderOptions {
  /**
   * Messages and activity announcements up to this level are shown. Default
   * Info, what `nix build` prints without `-v` (the `-v` the runner passes
   * only makes Nix tell us more, it should not flood the terminal).
   */
  verbosity?: number;
}

/** At most this many activities are tracked at once (hostile input). */
export const MAX_ACTIVITIES = 100_000;
/** Distinct error messages kept for a summary. */
export const MAX_ERRORS = 20;

interface Counts {
  done: number;
  expected: number;
  running: number;
  failed: number;
}

interface Activity {
  type: number;
  /** Derivation or path name, for Build and CopyPath. */
  name: string;
  progress: Counts;
  /** Totals this activity announced for its children, by activity type. */
  expects: Map<number, number>;
}

interface TypeTotals {
  /** Summed over stopped activities. */
  done: number;
  failed: number;
  /** Summed SetExpected announcements of running activities. */
  expected: number;
}

export class NixLogReader {
  private readonly verbosity: number;
  // Ids are strings: Nix makes them as (pid << 32) + n, beyond 2^53 when
  // the pid is above 2^21, where numbers would merge neighbouring ids.
  private readonly activities = new Map<string, Activity>();
  private readonly totals = new Map<number, TypeTotals>();
  /** Running builds' phases, by activity id. */
  private readonly phaseOf = new Map<string, string>();
  private readonly errorList: string[] = [];
  private events = 0;
  private bad = 0;

  constructor(options: NixLogReaderOptions = {}) {
    this.verbosity = options.verbosity ?? Verbosity.Info;
  }

  /** Whether any well-formed event has been read. */
  get seen(): boolean {
    return this.events > 0;
  }

  /** Lines that were not well-formed events (shown as they were). */
  get malformed(): number {
    return this.bad;
  }

  /** Nix's error messages so far, colours removed, each once. */
  get errors(): readonly string[] {
    return this.errorList;
  }

  /**
   * Reads one line's JSON (the text after `@nix `) and returns what the
   * terminal shows for it: "" or terminal lines ending in CR LF.
   */
  line(json: string): string {
    const event = parseEvent(json);
    if (!event) {
      this.bad++;
      return terminalLines(`@nix ${json}`);
    }
    this.events++;
    switch (event.action) {
      case "msg":
        return this.message(event);
      case "start":
        return this.start(event);
      case "stop":
        this.stop(event.id);
        return "";
      case "result":
        return this.result(event);
      default:
        return "";
    }
  }

  progress(): BuildProgress {
    const builds = this.count(ActivityType.Builds);
    const copies = this.count(ActivityType.CopyPaths);
    const bytes = this.count(ActivityType.CopyPath);
    const running: string[] = [];
    const phases: Record<string, string> = {};
    for (const [id, a] of this.activities) {
      if (a.type !== ActivityType.Build) continue;
      running.push(a.name);
      const phase = this.phaseOf.get(id);
      if (phase !== undefined) phases[a.name] = phase;
    }
    return {
      buildsDone: builds.done,
      buildsExpected: builds.expected,
      buildsFailed: builds.failed,
      running,
      downloadsDone: copies.done,
      downloadsExpected: copies.expected,
      bytesDone: bytes.done,
      bytesExpected: bytes.expected,
      phases,
    };
  }

  private message(event: RawEvent): string {
    const level = num(event.level) ?? Verbosity.Error;
    const text = typeof event.msg === "string" ? event.msg : null;
    if (text === null) return "";
    if (level === Verbosity.Error) this.noteError(text);
    return level <= this.verbosity ? terminalLines(text) : "";
  }

  private start(event: RawEvent): string {
    const id = event.id;
    const type = num(event.type);
    if (id === null || type === null) return "";
    if (!this.activities.has(id) && this.activities.size >= MAX_ACTIVITIES)
      return "";
    const fields = Array.isArray(event.fields) ? event.fields : [];
    const text = typeof event.text === "string" ? event.text : "";
    this.activities.set(id, {
      type,
      name: activityName(type, fields, text),
      progress: { done: 0, expected: 0, running: 0, failed: 0 },
      expects: new Map(),
    });
    const level = num(event.level) ?? Verbosity.Vomit;
    // What Nix's plain logger prints for an activity: its text and "...".
    return text && level <= this.verbosity ? terminalLines(`${text}...`) : "";
  }

  private stop(id: string | null): void {
    if (id === null) return;
    const a = this.activities.get(id);
    if (!a) return;
    const t = this.typeTotals(a.type);
    t.done += a.progress.done;
    t.failed += a.progress.failed;
    for (const [type, n] of a.expects) this.typeTotals(type).expected -= n;
    this.activities.delete(id);
    this.phaseOf.delete(id);
  }

  private result(event: RawEvent): string {
    const type = num(event.type);
    const fields = Array.isArray(event.fields) ? event.fields : [];
    const id = event.id;
    if (type === null || id === null) return "";
    const a = this.activities.get(id);
    switch (type) {
      case ResultType.BuildLogLine:
      case ResultType.PostBuildLogLine: {
        const line = fields[0];
        if (typeof line !== "string") return "";
        return terminalLines(a && a.name ? `${a.name}> ${line}` : line);
      }
      case ResultType.SetPhase: {
        const phase = fields[0];
        if (a && typeof phase === "string") this.phaseOf.set(id, phase);
        return "";
      }
      case ResultType.Progress: {
        const [done, expected, running, failed] = fields.map(count);
        if (!a || done == null || expected == null) return "";
        a.progress = {
          done,
          expected,
          running: running ?? 0,
          failed: failed ?? 0,
        };
        return "";
      }
      case ResultType.SetExpected: {
        const childType = count(fields[0]);
        const n = count(fields[1]);
        if (!a || childType === null || n === null) return "";
        const t = this.typeTotals(childType);
        t.expected += n - (a.expects.get(childType) ?? 0);
        a.expects.set(childType, n);
        return "";
      }
      default:
        return "";
    }
  }

  /** Nix's progress bar arithmetic for one activity type. */
  private count(type: number): Counts {
    const t = this.typeTotals(type);
    const sum: Counts = {
      done: t.done,
      expected: t.done,
      running: 0,
      failed: t.failed,
    };
    for (const a of this.activities.values()) {
      if (a.type !== type) continue;
      sum.done += a.progress.done;
      sum.expected += a.progress.expected;
      sum.running += a.progress.running;
      sum.failed += a.progress.failed;
    }
    sum.expected = Math.max(sum.expected, t.expected, sum.done);
    return sum;
  }

  private typeTotals(type: number): TypeTotals {
    let t = this.totals.get(type);
    if (!t) {
      t = { done: 0, failed: 0, expected: 0 };
      this.totals.set(type, t);
    }
    return t;
  }

  private noteError(text: string): void {
    // eslint-disable-next-line no-control-regex -- control characters are what it matches
    const plain = text.replace(/\u001b\[[0-9;:]*[A-Za-z]/g, "").trim();
    if (!plain || this.errorList.includes(plain)) return;
    if (this.errorList.length < MAX_ERRORS) this.errorList.push(plain);
  }
}

interface RawEvent {
  action: unknown;
  id: string | null;
  type?: unknown;
  level?: unknown;
  msg?: unknown;
  text?: unknown;
  fields?: unknown;
}

// `"id":123` and `"parent":123` as structural keys (a quote inside a JSON
// string is always escaped, so this cannot match inside one) become strings
// before JSON.parse can round them.
const BIG_IDS = /"(id|parent)"(\s*):(\s*)(\d+)/g;

function parseEvent(json: string): RawEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(json.replace(BIG_IDS, '"$1"$2:$3"$4"'));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return null;
  const o = value as Record<string, unknown>;
  // An action this reader does not know (a newer Nix) is skipped, not shown.
  if (typeof o.action !== "string") return null;
  return { ...o, action: o.action, id: typeof o.id === "string" ? o.id : null };
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function count(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null;
}

/** "/nix/store/<32 chars>-hello-2.12.drv" -> "hello-2.12". */
export function storePathName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1).replace(/\.drv$/, "");
  return /^[0-9a-z]{32}-/.test(base) ? base.slice(33) : base;
}

function activityName(type: number, fields: unknown[], text: string): string {
  if (type !== ActivityType.Build && type !== ActivityType.CopyPath) return "";
  const path = fields[0];
  if (typeof path === "string" && path) return storePathName(path);
  const quoted = /'([^']+)'/.exec(text);
  return quoted ? storePathName(quoted[1] as string) : "";
}
