import { createPinia } from "pinia";
import { createApp, watch } from "vue";
import App from "./App.vue";
import { API_KEY, connectApi } from "./api";
import { useAppStore } from "./stores/app";

const connection = connectApi();
const app = createApp(App).provide(API_KEY, connection).use(createPinia());
app.mount("#app");

// Greet the backend on every (re)connection so the UI shows which one it is.
const store = useAppStore();
watch(
  connection.state,
  (state) => {
    if (state !== "connected") return;
    connection.client.call("hello", {}).then(
      (hello) => store.connected(hello.transport, hello.version),
      (error: unknown) => console.error("Tabula API: hello failed:", error),
    );
  },
  { immediate: true },
);
