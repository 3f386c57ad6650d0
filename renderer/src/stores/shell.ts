// The way out to a shell: an interactive bash on the machine Tabula runs on
// (root on the LiveCD, where Tabula is a full-screen kiosk with no other
// window). It is one more terminal of the backend's terminal service, with
// the same flow control as a run's.
import { defineStore } from "pinia";
import { ref } from "vue";
import { AckBatcher } from "../../../shared/api/flow-control";
import type { TerminalSink } from "./run";
import { messageOf, useSessionStore } from "./session";

export const useShellStore = defineStore("shell", () => {
  /** The panel is shown. */
  const visible = ref(false);
  const terminalId = ref<string | null>(null);
  const exitCode = ref<number | null>(null);
  const error = ref<string | null>(null);

  let sink: TerminalSink | null = null;
  let pending: string[] = [];
  let early: { terminalId: string; data: string }[] = [];
  let unsubscribe: (() => void)[] = [];
  let acks = new AckBatcher();
  /** Keys typed before openShell answered: sent once the shell exists. */
  let typedEarly = "";

  function deliver(data: string): void {
    if (sink) sink(data, () => ack(data.length));
    else pending.push(data);
  }

  function ack(chars: number): void {
    const n = acks.written(chars);
    if (n === 0 || terminalId.value === null) return;
    void useSessionStore()
      .api()
      .call("terminalAck", { terminalId: terminalId.value, chars: n })
      .catch(() => undefined);
  }

  function attach(s: TerminalSink): () => void {
    sink = s;
    const replay = pending;
    pending = [];
    for (const data of replay) s(data, () => ack(data.length));
    return () => {
      if (sink === s) sink = null;
    };
  }

  /** Starts the shell once the panel's terminal knows its size. */
  async function open(cols: number, rows: number): Promise<void> {
    if (terminalId.value !== null && exitCode.value === null) return;
    const api = useSessionStore().api();
    unsubscribe.forEach((u) => u());
    terminalId.value = null;
    exitCode.value = null;
    error.value = null;
    pending = [];
    early = [];
    acks = new AckBatcher();
    typedEarly = "";
    unsubscribe = [
      api.on("terminal.data", (d) => {
        // Output may come before openShell answers with the id.
        if (terminalId.value === null) early.push(d);
        else if (d.terminalId === terminalId.value) deliver(d.data);
      }),
      api.on("terminal.exit", (e) => {
        if (e.terminalId === terminalId.value) exitCode.value = e.exitCode;
      }),
    ];
    try {
      const r = await api.call("openShell", { cols, rows });
      terminalId.value = r.terminalId;
      for (const e of early.splice(0))
        if (e.terminalId === r.terminalId) deliver(e.data);
      if (typedEarly) input(typedEarly);
      typedEarly = "";
    } catch (e) {
      error.value = `The shell could not be started: ${messageOf(e)}`;
    }
  }

  function input(data: string): void {
    if (exitCode.value !== null) return;
    if (!terminalId.value) {
      if (visible.value) typedEarly += data;
      return;
    }
    void useSessionStore()
      .api()
      .call("terminalInput", { terminalId: terminalId.value, data })
      .catch(() => undefined);
  }

  function resize(cols: number, rows: number): void {
    if (!terminalId.value || exitCode.value !== null) return;
    void useSessionStore()
      .api()
      .call("terminalResize", { terminalId: terminalId.value, cols, rows })
      .catch(() => undefined);
  }

  function show(): void {
    visible.value = true;
  }

  /** Hides the panel and ends the shell (and whatever it started). */
  async function close(): Promise<void> {
    // Forget this shell at once: the panel may be opened again (a new shell)
    // before the backend has answered the kill.
    const id = terminalId.value;
    const running = exitCode.value === null;
    visible.value = false;
    unsubscribe.forEach((u) => u());
    unsubscribe = [];
    terminalId.value = null;
    exitCode.value = null;
    if (id !== null && running)
      await useSessionStore()
        .api()
        .call("terminalKill", { terminalId: id })
        .catch(() => undefined);
  }

  return {
    visible,
    terminalId,
    exitCode,
    error,
    attach,
    open,
    input,
    resize,
    show,
    close,
  };
});
