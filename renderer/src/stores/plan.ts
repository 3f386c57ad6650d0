// What the design becomes: the backend compiles it into the generated files
// and the plan (phases of steps with their exact commands). The Review screen
// shows all of it, and the chosen phase is what the Run screen runs.
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import type {
  GeneratedFile,
  PlanPreview,
  RunMode,
} from "../../../shared/api/contract";
import type { Phase, PhaseName, Step } from "../../../shared/plan/types";
import { useDesignStore } from "./design";
import { messageOf, useSessionStore } from "./session";

export const usePlanStore = defineStore("plan", () => {
  const preview = ref<PlanPreview | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const chosenPhase = ref<PhaseName | null>(null);
  /** The design exactly as it was compiled, so the run uses what was reviewed. */
  const reviewedDesign = ref<string | null>(null);

  const plan = computed(() => preview.value?.plan ?? null);
  const phases = computed<Phase[]>(() => plan.value?.phases ?? []);
  const phase = computed<Phase | null>(
    () => phases.value.find((p) => p.name === chosenPhase.value) ?? null,
  );
  const destructiveSteps = computed<Step[]>(
    () => phase.value?.steps.filter((s) => s.destructive) ?? [],
  );
  const files = computed<GeneratedFile[]>(() => preview.value?.files ?? []);
  /** Convert mode: the change to the user's flake, as a unified diff. */
  const flakePatch = computed(
    () => files.value.find((f) => f.path.endsWith("flake.patch")) ?? null,
  );
  const flakeChanges = computed(
    () => files.value.find((f) => f.path.endsWith("flake-changes.md")) ?? null,
  );
  /** True when the design changed since it was compiled. */
  const stale = computed(() => {
    const d = useDesignStore().design;
    return (
      reviewedDesign.value !== null &&
      JSON.stringify(d) !== reviewedDesign.value
    );
  });

  async function refresh(): Promise<void> {
    const design = useDesignStore().design;
    if (!design) return;
    loading.value = true;
    error.value = null;
    const snapshot = JSON.stringify(design);
    try {
      const r = await useSessionStore()
        .api()
        .call("plan", { design: JSON.parse(snapshot) });
      preview.value = r;
      reviewedDesign.value = snapshot;
      const names = r.plan?.phases.map((p) => p.name) ?? [];
      if (!chosenPhase.value || !names.includes(chosenPhase.value))
        chosenPhase.value = names[0] ?? null;
    } catch (e) {
      error.value = `The plan could not be made: ${messageOf(e)}`;
    } finally {
      loading.value = false;
    }
  }

  /**
   * How the chosen phase will really run, as the backend says before it
   * runs (runMode): the Review screen shows it, so the user knows whether
   * pressing Start changes anything. `forcedDry`: the backend runs this
   * phase dry even when a real run is asked for (the sandbox).
   */
  const runMode = ref<
    (RunMode & { phase: PhaseName; asked: boolean; forcedDry: boolean }) | null
  >(null);
  const runModeError = ref<string | null>(null);
  let runModeAsk = 0;

  async function checkRunMode(p: PhaseName, dryRun: boolean): Promise<void> {
    const ask = ++runModeAsk;
    try {
      const api = useSessionStore().api();
      const [asked, real] = await Promise.all([
        api.call("runMode", { phase: p, dryRun }),
        dryRun ? api.call("runMode", { phase: p, dryRun: false }) : null,
      ]);
      if (ask !== runModeAsk) return;
      runMode.value = {
        ...asked,
        phase: p,
        asked: dryRun,
        forcedDry: (real ?? asked).dryRun,
      };
      runModeError.value = null;
    } catch (e) {
      if (ask !== runModeAsk) return;
      runMode.value = null;
      runModeError.value = `Tabula could not tell how this phase will run: ${messageOf(e)}`;
    }
  }

  function choose(name: PhaseName): void {
    if (phases.value.some((p) => p.name === name)) chosenPhase.value = name;
  }

  return {
    preview,
    loading,
    error,
    chosenPhase,
    reviewedDesign,
    plan,
    phases,
    phase,
    destructiveSteps,
    files,
    flakePatch,
    flakeChanges,
    stale,
    refresh,
    choose,
    runMode,
    runModeError,
    checkRunMode,
  };
});
