// Where the user is: the screens of the chosen path (install, convert,
// recover) in order, and the current one. A plain list instead of a router:
// an installer moves forward and back through fixed steps, and every screen
// stays reachable from the sidebar once its predecessors were visited.
import { defineStore } from "pinia";
import { computed, ref, watch } from "vue";
import type { Mode } from "../../../shared/design/types";

export type ScreenId =
  | "start"
  | "disk"
  | "system"
  | "persistence"
  | "users"
  | "recover"
  | "review"
  | "run";

export interface ScreenInfo {
  id: ScreenId;
  title: string;
}

const TITLES: Record<ScreenId, string> = {
  start: "Start",
  disk: "Disk",
  system: "This system",
  persistence: "Persistence",
  users: "Users",
  recover: "Recover",
  review: "Review",
  run: "Run",
};

const SCREENS_OF: Record<Mode, ScreenId[]> = {
  // Users before Persistence: the per-user trees need the users.
  install: ["start", "disk", "users", "persistence", "review", "run"],
  convert: ["start", "system", "persistence", "review", "run"],
  recover: ["start", "recover", "review", "run"],
};

export const useFlowStore = defineStore("flow", () => {
  const mode = ref<Mode | null>(null);
  const current = ref<ScreenId>("start");
  /** The furthest screen reached, so the sidebar can jump back and forth up to it. */
  const reached = ref(0);
  /** How many times the user moved between screens (focus follows a move, not the first load). */
  const moves = ref(0);

  const screens = computed<ScreenInfo[]>(() =>
    (mode.value ? SCREENS_OF[mode.value] : (["start"] as ScreenId[])).map(
      (id) => ({ id, title: TITLES[id] }),
    ),
  );
  const index = computed(() =>
    screens.value.findIndex((s) => s.id === current.value),
  );
  const next = computed<ScreenInfo | null>(
    () => screens.value[index.value + 1] ?? null,
  );
  const previous = computed<ScreenInfo | null>(
    () => screens.value[index.value - 1] ?? null,
  );

  /** Start a path: the Start screen stays first, the next screen opens. */
  function choose(m: Mode): void {
    mode.value = m;
    reached.value = 0;
    current.value = "start";
    goNext();
  }

  watch(current, () => {
    moves.value += 1;
  });

  function go(id: ScreenId): void {
    const i = screens.value.findIndex((s) => s.id === id);
    if (i < 0 || i > reached.value) return;
    current.value = id;
  }

  function goNext(): void {
    const n = next.value;
    if (!n) return;
    reached.value = Math.max(reached.value, index.value + 1);
    current.value = n.id;
  }

  function goBack(): void {
    if (previous.value) current.value = previous.value.id;
  }

  function canGo(id: ScreenId): boolean {
    const i = screens.value.findIndex((s) => s.id === id);
    return i >= 0 && i <= reached.value;
  }

  /** The screen where the field at a JSON path is edited, in the current path. */
  function screenOf(path: string): ScreenId | null {
    const top = path.split(/[.[]/)[0] ?? "";
    const m = mode.value;
    if (top === "persistence") return "persistence";
    if (top === "disk") return "disk";
    if (top === "convert") return "system";
    if (top === "recover") return "recover";
    if (top === "hostname" || top === "stateVersion")
      return m === "install" ? "users" : m === "convert" ? "system" : "recover";
    if (top === "root")
      return m === "install" ? "disk" : m === "convert" ? "system" : null;
    if (top === "users" || top === "groups")
      return m === "install" ? "users" : "persistence";
    return null;
  }

  function reset(): void {
    mode.value = null;
    current.value = "start";
    reached.value = 0;
  }

  return {
    mode,
    current,
    reached,
    moves,
    screens,
    index,
    next,
    previous,
    choose,
    go,
    goNext,
    goBack,
    canGo,
    screenOf,
    reset,
  };
});
