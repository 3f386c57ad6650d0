// The connection to the backend and what it told us about the machine: the
// hello (version, transport, sandbox or real) and the probe, asked again on
// every (re)connection. Every other store reaches the backend through `api()`
// here; the connection is the one provided to the app (`API_KEY`): the real
// transport in main.ts, a fake in tests.
import { defineStore } from "pinia";
import { computed, ref, watch } from "vue";
import type { ApiClient, Hello } from "../../../shared/api/contract";
import type { Disk, MachineFacts } from "../../../shared/machine/types";
import { useApiConnection } from "../api";

export type SessionState = "connecting" | "ready" | "failed";

export const useSessionStore = defineStore("session", () => {
  const connection = useApiConnection();
  const hello = ref<Hello | null>(null);
  const facts = ref<MachineFacts | null>(null);
  const state = ref<SessionState>("connecting");
  const error = ref<string | null>(null);
  /** The transport's own state: "disconnected" while a WebSocket is down. */
  const link = computed(() => connection.state.value);

  /** Sandbox or real, as soon as either the hello or the probe said so. */
  const machine = computed(
    () => hello.value?.machine ?? facts.value?.machine ?? null,
  );
  /** Disks the user may install to (not the boot medium, not in use). */
  const installableDisks = computed<Disk[]>(
    () =>
      facts.value?.disks.filter(
        (d) => !d.isBootMedium && !d.inUse && d.unavailableReason === null,
      ) ?? [],
  );

  async function greet(): Promise<void> {
    state.value = "connecting";
    error.value = null;
    try {
      hello.value = await api().call("hello", {});
      facts.value = await api().call("probe", {});
      state.value = "ready";
    } catch (e) {
      state.value = "failed";
      error.value = `Tabula could not learn about this machine: ${messageOf(e)}`;
    }
  }

  watch(
    link,
    (s) => {
      if (s === "connected") void greet();
    },
    { immediate: true },
  );

  /** Probe again, e.g. after the user plugged in a disk. */
  async function reprobe(): Promise<void> {
    try {
      facts.value = await api().call("probe", {});
    } catch (e) {
      error.value = `The machine could not be probed again: ${messageOf(e)}`;
    }
  }

  function api(): ApiClient {
    return connection.client;
  }

  function diskByPath(path: string | undefined): Disk | null {
    return facts.value?.disks.find((d) => d.path === path) ?? null;
  }

  return {
    hello,
    facts,
    state,
    error,
    link,
    machine,
    installableDisks,
    greet,
    reprobe,
    api,
    diskByPath,
  };
});

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
