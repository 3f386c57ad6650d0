// @vitest-environment happy-dom
import { mount } from "@vue/test-utils";
import { createPinia, defineStore, setActivePinia } from "pinia";
import { createApp, defineComponent, h, ref } from "vue";
import { describe, expect, it } from "vitest";
import {
  API_KEY,
  connectApi,
  useApi,
  useApiConnection,
} from "../../../../renderer/src/api";
import type { SocketLike } from "../../../../renderer/src/api/socket-client";
import { fakeApi } from "../../../support/fake-api";

const hello = {
  version: "9.9.9",
  machine: "sandbox" as const,
  transport: "websocket" as const,
  controlling: true,
};

// A store written the way the renderer's stores are: it asks useApi().
const useHelloStore = defineStore("hello-test", () => {
  const api = useApi();
  const version = ref<string | null>(null);
  async function load() {
    version.value = (await api.call("hello", {})).version;
  }
  return { version, load };
});

describe("useApi", () => {
  it("gives components the provided client", async () => {
    const fake = fakeApi({ hello: async () => hello });
    const Show = defineComponent({
      setup() {
        const api = useApi();
        const version = ref("");
        void api.call("hello", {}).then((r) => (version.value = r.version));
        const connection = useApiConnection();
        return () => h("p", `${version.value} ${connection.state.value}`);
      },
    });
    const wrapper = mount(Show, {
      global: { provide: { [API_KEY as symbol]: fake } },
    });
    await new Promise((r) => setTimeout(r));
    expect(wrapper.text()).toBe("9.9.9 connected");
    fake.setState("disconnected");
    await wrapper.vm.$nextTick();
    expect(wrapper.text()).toBe("9.9.9 disconnected");
  });

  it("gives Pinia setup stores the client provided to the app", async () => {
    const fake = fakeApi({ hello: async () => hello });
    const pinia = createPinia();
    createApp({}).provide(API_KEY, fake).use(pinia);
    setActivePinia(pinia);
    const store = useHelloStore();
    await store.load();
    expect(store.version).toBe("9.9.9");
    expect(fake.calls).toEqual([{ method: "hello", args: {} }]);
  });

  it("says what to do when nothing was provided", () => {
    const Bare = defineComponent({
      setup() {
        useApi();
        return () => null;
      },
    });
    expect(() => mount(Bare)).toThrow(/No Tabula API connection is provided/);
  });
});

describe("connectApi", () => {
  it("prefers the Electron bridge when the preload exposed one", async () => {
    const bridge = {
      hello: async () => ({ result: { ...hello, transport: "electron" } }),
      onEvent: () => () => {},
    };
    const connection = connectApi({
      tabula: bridge,
      location: { protocol: "file:", host: "" },
    });
    expect(connection.transport).toBe("electron");
    expect(connection.state.value).toBe("connected");
    expect((await connection.client.call("hello", {})).transport).toBe(
      "electron",
    );
  });

  it("else opens a WebSocket to /api on the page's origin", () => {
    const urls: string[] = [];
    let socket: SocketLike | null = null;
    const connection = connectApi(
      { location: { protocol: "http:", host: "127.0.0.1:7878" } },
      (url) => {
        urls.push(url);
        socket = {
          readyState: 0,
          onopen: null,
          onmessage: null,
          onclose: null,
          onerror: null,
          send: () => {},
          close: () => {},
        };
        return socket;
      },
    );
    expect(connection.transport).toBe("websocket");
    expect(urls).toEqual(["ws://127.0.0.1:7878/api"]);
    expect(connection.state.value).toBe("connecting");
    (socket as unknown as { readyState: number }).readyState = 1;
    (socket as unknown as SocketLike).onopen!({});
    expect(connection.state.value).toBe("connected");
    connection.close();
    expect(connection.state.value).toBe("disconnected");
  });
});
