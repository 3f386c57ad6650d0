// Moving to another step puts keyboard focus on the new screen's heading, so
// a keyboard or screen-reader user starts reading the new screen at its top.
// Screens load on demand, so each screen does it once it is mounted; the
// very first screen of a visit keeps the browser's own starting focus.
import { onMounted } from "vue";
import { useFlowStore } from "./stores/flow";

export function useFocusHeading(): void {
  const flow = useFlowStore();
  onMounted(() => {
    if (flow.moves === 0) return;
    const h = document.querySelector<HTMLElement>("main h1");
    if (!h) return;
    h.tabIndex = -1;
    h.focus();
  });
}
