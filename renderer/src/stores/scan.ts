// What the scanner found on a live root: state that is neither Nix-managed
// nor persisted and would be lost at the next reboot. The Persistence screen
// offers one action per finding (persist it) and totals what stays lost.
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import type { ScanEntry, ScanResult } from "../../../shared/scan/types";
import type { AddEntry } from "./design";
import { isKept, splitHome } from "../model/coverage";
import { plain, useDesignStore } from "./design";
import { messageOf, useSessionStore } from "./session";
import { useValidationStore } from "./validation";

export const useScanStore = defineStore("scan", () => {
  const result = ref<ScanResult | null>(null);
  const scanning = ref(false);
  const error = ref<string | null>(null);

  /** Findings the current design still loses (the design may have changed since the scan). */
  const lost = computed<ScanEntry[]>(() => {
    const design = useDesignStore().design;
    if (!result.value || !design) return [];
    return result.value.entries.filter((e) => !isKept(design, e.path));
  });
  const lostBytes = computed(() => lost.value.reduce((n, e) => n + e.bytes, 0));
  const scratchBytes = computed(
    () => result.value?.scratch.reduce((n, e) => n + e.bytes, 0) ?? 0,
  );

  /**
   * The backend skips what the design keeps, but refuses a design with
   * errors (recover's is incomplete until paths are chosen): then the scan
   * runs without it, and `lost` still filters by the design here.
   */
  async function scan(root?: string): Promise<void> {
    const current = useDesignStore().design;
    const validation = useValidationStore();
    const design =
      current && !validation.checking && validation.errors.length === 0
        ? current
        : null;
    scanning.value = true;
    error.value = null;
    try {
      result.value = await useSessionStore()
        .api()
        .call("scan", {
          ...(root ? { root } : {}),
          ...(design ? { design: plain(design) } : {}),
        });
    } catch (e) {
      error.value = `The scan failed: ${messageOf(e)}`;
    } finally {
      scanning.value = false;
    }
  }

  /** Persist one finding: a home path goes to its user's list, anything else system-wide. */
  function persist(entry: ScanEntry): boolean {
    const store = useDesignStore();
    const design = store.design;
    if (!design) return false;
    const kind = entry.kind === "dir" ? "directory" : "file";
    const home = splitHome(design, entry.path);
    const add: AddEntry = home
      ? { kind, path: home.rel, user: home.user }
      : { kind, path: entry.path, user: null };
    if (home && !design.users[home.user]) design.users[home.user] = {};
    return store.addEntry(add);
  }

  return {
    result,
    scanning,
    error,
    lost,
    lostBytes,
    scratchBytes,
    scan,
    persist,
  };
});
