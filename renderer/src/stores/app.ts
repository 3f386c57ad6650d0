import { defineStore } from "pinia";
import { ref } from "vue";

/** Which backend the renderer is talking to, and its version. */
export const useAppStore = defineStore("app", () => {
  const backendVersion = ref<string | null>(null);
  const transport = ref<"electron" | "websocket" | "none">("none");

  function connected(kind: "electron" | "websocket", version: string) {
    transport.value = kind;
    backendVersion.value = version;
  }

  return { backendVersion, transport, connected };
});
