// The connection to the backend and what it told us about the machine: the
// hello (version, transport, sandbox or real) and the probe. Every other store
// reaches the backend through `api()` here, so tests hand in a fake client and
// the app hands in whichever transport is present (preload bridge or WebSocket).
import { defineStore } from "pinia";
import { computed, ref, shallowRef } from "vue";
import type { ApiClient, Hello } from "../../../shared/api/contract";
import type { Disk, MachineFacts } from "../../../shared/machine/types";

export type SessionState = "connecting" | "ready" | "failed";

export const useSessionStore = defineStore("session", () => {
  const client = shallowRef<ApiClient | null>(null);
  const hello = ref<Hello | null>(null);
  const facts = ref<MachineFacts | null>(null);
  const state = ref<SessionState>("connecting");
  const error = ref<string | null>(null);

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

  async function connect(api: ApiClient): Promise<void> {
    client.value = api;
    state.value = "connecting";
    error.value = null;
    try {
      hello.value = await api.call("hello", {});
      facts.value = await api.call("probe", {});
      state.value = "ready";
    } catch (e) {
      state.value = "failed";
      error.value = `Tabula could not reach its backend: ${messageOf(e)}`;
    }
  }

  /** Probe again, e.g. after the user plugged in a disk. */
  async function reprobe(): Promise<void> {
    facts.value = await api().call("probe", {});
  }

  function api(): ApiClient {
    if (!client.value) throw new Error("No backend is connected yet.");
    return client.value;
  }

  function diskByPath(path: string | undefined): Disk | null {
    return facts.value?.disks.find((d) => d.path === path) ?? null;
  }

  return {
    client,
    hello,
    facts,
    state,
    error,
    machine,
    installableDisks,
    connect,
    reprobe,
    api,
    diskByPath,
  };
});

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
