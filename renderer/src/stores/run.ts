// One run of a phase: starts it in a backend terminal, follows its RunStatus
// events (steps, percent, Nix build progress), buffers terminal output until
// the terminal view attaches, and offers cancel and the full log.
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { AckBatcher } from "../../../shared/api/flow-control";
import type { PhaseName } from "../../../shared/plan/types";
import type { RunStatus } from "../../../shared/progress/types";
import { promptAtEnd, type TerminalPrompt } from "../model/terminal-prompt";
import { useDesignStore } from "./design";
import { usePlanStore } from "./plan";
import { messageOf, useSessionStore } from "./session";

/** Where terminal output goes; `written` is called once xterm.js has drawn it (flow control). */
export type TerminalSink = (data: string, written: () => void) => void;

export const useRunStore = defineStore("run", () => {
  const runId = ref<string | null>(null);
  const terminalId = ref<string | null>(null);
  const phase = ref<PhaseName | null>(null);
  /** A dry run as the user asked for it on the Review screen. */
  const askedDryRun = ref(false);
  /**
   * Whether the run really is a dry run, as runPhase answered (the sandbox
   * makes most phases dry runs); until it answers, what was asked.
   */
  const dryRun = ref(false);
  const status = ref<RunStatus | null>(null);
  const exitCode = ref<number | null>(null);
  const starting = ref(false);
  const error = ref<string | null>(null);
  /** What the run really does when that differs from what was asked (the sandbox), one sentence. */
  const note = ref<string | null>(null);
  /** The prompt the terminal's output ends with: the run waits for the user's answer. */
  const waiting = ref<TerminalPrompt | null>(null);
  /** Asked for on the Review screen; the Run screen starts it once its terminal has a size. */
  const requested = ref<{ phase: PhaseName; dryRun: boolean } | null>(null);

  const state = computed(
    () => status.value?.state ?? (runId.value ? "running" : null),
  );
  const finished = computed(
    () => state.value !== null && state.value !== "running",
  );
  const percent = computed(() =>
    Math.max(0, Math.min(100, Math.round(status.value?.percent ?? 0))),
  );
  const currentStep = computed(
    () => status.value?.steps.find((s) => s.state === "running") ?? null,
  );
  const failedStep = computed(
    () => status.value?.steps.find((s) => s.state === "failed") ?? null,
  );

  let sink: TerminalSink | null = null;
  let pending: string[] = [];
  let unsubscribe: (() => void)[] = [];

  function subscribe(): void {
    const api = useSessionStore().api();
    unsubscribe.forEach((u) => u());
    unsubscribe = [
      api.on("run.status", (s) => {
        if (s.runId === runId.value) status.value = s;
      }),
      api.on("terminal.data", (d) => {
        // Output can arrive before runPhase has answered with the ids: keep it
        // while the terminal id is unknown, drop other terminals' output after.
        if (terminalId.value !== null && d.terminalId !== terminalId.value)
          return;
        deliver(d.terminalId, d.data);
      }),
      api.on("terminal.exit", (e) => {
        if (e.terminalId === terminalId.value) exitCode.value = e.exitCode;
      }),
    ];
  }

  const early: { terminalId: string; data: string }[] = [];
  /** The end of the output so far: enough for a prompt and the line before it. */
  let tail = "";
  function deliver(id: string, data: string): void {
    if (terminalId.value === null) {
      early.push({ terminalId: id, data });
      return;
    }
    tail = (tail + data).slice(-2000);
    waiting.value = promptAtEnd(tail);
    if (sink) sink(data, () => ack(data.length));
    else pending.push(data);
  }

  // Flow control: the backend pauses the pty when too much output is
  // unacknowledged; acknowledge in chunks as xterm.js draws it.
  let acks = new AckBatcher();
  function ack(chars: number): void {
    const n = acks.written(chars);
    if (n === 0 || terminalId.value === null) return;
    void useSessionStore()
      .api()
      .call("terminalAck", { terminalId: terminalId.value, chars: n })
      .catch(() => undefined);
  }

  /** The terminal view attaches here; output buffered so far is replayed first. */
  function attach(s: TerminalSink): () => void {
    sink = s;
    const replay = pending;
    pending = [];
    for (const data of replay) s(data, () => ack(data.length));
    return () => {
      if (sink === s) sink = null;
    };
  }

  async function start(opts: {
    phase: PhaseName;
    dryRun: boolean;
    cols: number;
    rows: number;
  }): Promise<boolean> {
    const plan = usePlanStore();
    const design =
      plan.reviewedDesign ?? JSON.stringify(useDesignStore().design);
    reset();
    starting.value = true;
    phase.value = opts.phase;
    askedDryRun.value = opts.dryRun;
    dryRun.value = opts.dryRun;
    subscribe();
    try {
      const r = await useSessionStore()
        .api()
        .call("runPhase", {
          design: JSON.parse(design),
          phase: opts.phase,
          dryRun: opts.dryRun,
          cols: opts.cols,
          rows: opts.rows,
        });
      runId.value = r.runId;
      terminalId.value = r.terminalId;
      dryRun.value = r.dryRun;
      note.value = r.note ?? null;
      for (const e of early.splice(0))
        if (e.terminalId === r.terminalId) deliver(e.terminalId, e.data);
      // Status events sent before we knew the run id were dropped: ask once,
      // unless a newer event has arrived meanwhile.
      const now = await useSessionStore()
        .api()
        .call("runStatus", { runId: r.runId });
      if (!status.value) status.value = now;
      return true;
    } catch (e) {
      error.value = `The ${opts.phase} phase could not be started: ${messageOf(e)}`;
      return false;
    } finally {
      starting.value = false;
    }
  }

  async function cancel(): Promise<void> {
    if (!runId.value) return;
    try {
      await useSessionStore().api().call("cancelRun", { runId: runId.value });
    } catch (e) {
      error.value = `The run could not be cancelled: ${messageOf(e)}`;
    }
  }

  async function log(): Promise<{ text: string; path: string } | null> {
    if (!runId.value) return null;
    try {
      return await useSessionStore()
        .api()
        .call("runLog", { runId: runId.value });
    } catch (e) {
      error.value = `The log could not be read: ${messageOf(e)}`;
      return null;
    }
  }

  function request(p: PhaseName, dry: boolean): void {
    reset();
    requested.value = { phase: p, dryRun: dry };
  }

  /** Start what was requested, once; the terminal size comes from the Run screen. */
  async function startRequested(cols: number, rows: number): Promise<boolean> {
    const r = requested.value;
    if (!r) return false;
    requested.value = null;
    return start({ phase: r.phase, dryRun: r.dryRun, cols, rows });
  }

  function input(data: string): void {
    if (!terminalId.value) return;
    void useSessionStore()
      .api()
      .call("terminalInput", { terminalId: terminalId.value, data })
      .catch(() => undefined);
  }

  function resize(cols: number, rows: number): void {
    if (!terminalId.value) return;
    void useSessionStore()
      .api()
      .call("terminalResize", { terminalId: terminalId.value, cols, rows })
      .catch(() => undefined);
  }

  function reset(): void {
    runId.value = null;
    terminalId.value = null;
    status.value = null;
    exitCode.value = null;
    error.value = null;
    note.value = null;
    pending = [];
    early.length = 0;
    tail = "";
    waiting.value = null;
    acks = new AckBatcher();
  }

  return {
    runId,
    terminalId,
    phase,
    askedDryRun,
    dryRun,
    status,
    exitCode,
    starting,
    error,
    note,
    waiting,
    requested,
    state,
    finished,
    percent,
    currentStep,
    failedStep,
    attach,
    request,
    startRequested,
    start,
    cancel,
    log,
    input,
    resize,
    reset,
  };
});
