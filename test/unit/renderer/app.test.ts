// @vitest-environment happy-dom
import { mount } from "@vue/test-utils";
import { createPinia, setActivePinia } from "pinia";
import { beforeEach, describe, expect, it } from "vitest";
import App from "../../../renderer/src/App.vue";
import { useAppStore } from "../../../renderer/src/stores/app";

describe("App", () => {
  beforeEach(() => setActivePinia(createPinia()));

  it("says when no backend is connected, then which one is", async () => {
    const wrapper = mount(App);
    expect(wrapper.get("[data-testid=backend-status]").text()).toBe(
      "No backend connected.",
    );
    useAppStore().connected("websocket", "0.1.0");
    await wrapper.vm.$nextTick();
    expect(wrapper.get("[data-testid=backend-status]").text()).toBe(
      "Connected over websocket to Tabula 0.1.0.",
    );
  });
});
