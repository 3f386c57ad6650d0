import { createPinia } from "pinia";
import { createApp } from "vue";
import App from "./App.vue";
import { API_KEY, connectApi } from "./api";
import "./styles.css";

// The transport (Electron bridge or WebSocket) is provided to the whole app;
// the session store greets the backend on every (re)connection.
createApp(App).provide(API_KEY, connectApi()).use(createPinia()).mount("#app");
