// Validation runs on every change of the design and keeps the problems by
// JSON path, so each field shows its own problems where the user typed.
// `use` swaps the validator (tests; a slower remote check would also fit:
// results of an older edit never overwrite a newer one).
import { defineStore } from "pinia";
import { computed, ref, watch } from "vue";
import type { Problem } from "../../../shared/design/types";
import { plain, useDesignStore } from "./design";
import { messageOf } from "./session";

export type Validator = (design: unknown) => Problem[] | Promise<Problem[]>;

/**
 * The same validation the CLI and the backend run, here in the renderer:
 * instant, at every keystroke. Loaded with the first design, not at start-up,
 * so the first screen renders sooner.
 */
const localValidator: Validator = async (design) => {
  const { validateDesign } = await import("../../../shared/design/validate");
  return validateDesign(design).problems;
};

export const useValidationStore = defineStore("validation", () => {
  const problems = ref<Problem[]>([]);
  const checking = ref(false);
  const error = ref<string | null>(null);
  let validator: Validator = localValidator;
  let generation = 0;

  const errors = computed(() =>
    problems.value.filter((p) => p.severity === "error"),
  );
  const warnings = computed(() =>
    problems.value.filter((p) => p.severity === "warning"),
  );
  const valid = computed(() => errors.value.length === 0 && !checking.value);

  async function run(): Promise<void> {
    const design = useDesignStore().design;
    const mine = ++generation;
    if (!design) {
      problems.value = [];
      return;
    }
    checking.value = true;
    try {
      // A plain copy: the validator must never see (or keep) reactive proxies.
      const result = await validator(plain(design));
      if (mine !== generation) return; // a newer edit has been checked since
      problems.value = result;
      error.value = null;
    } catch (e) {
      if (mine !== generation) return;
      error.value = `The design could not be checked: ${messageOf(e)}`;
    } finally {
      if (mine === generation) checking.value = false;
    }
  }

  watch(() => useDesignStore().design, run, { deep: true, immediate: true });

  function use(v: Validator): Promise<void> {
    validator = v;
    return run();
  }

  /** Problems of exactly this field. */
  function at(path: string): Problem[] {
    return problems.value.filter((p) => p.path === path);
  }

  /** Problems of this field and everything inside it. */
  function under(path: string): Problem[] {
    return problems.value.filter(
      (p) =>
        p.path === path ||
        p.path.startsWith(`${path}.`) ||
        p.path.startsWith(`${path}[`),
    );
  }

  return {
    problems,
    checking,
    error,
    errors,
    warnings,
    valid,
    run,
    use,
    at,
    under,
  };
});
