// @vitest-environment happy-dom
import { createPinia, setActivePinia } from "pinia";
import { beforeEach, describe, expect, it } from "vitest";
import { useFlowStore } from "../../../../renderer/src/stores/flow";

describe("flow store", () => {
  beforeEach(() => setActivePinia(createPinia()));

  it("walks the install path in order and back", () => {
    const flow = useFlowStore();
    expect(flow.screens.map((s) => s.id)).toEqual(["start"]);
    flow.choose("install");
    expect(flow.current).toBe("disk");
    expect(flow.screens.map((s) => s.id)).toEqual([
      "start",
      "disk",
      "users",
      "persistence",
      "review",
      "run",
    ]);
    flow.goNext();
    expect(flow.current).toBe("users");
    flow.goBack();
    expect(flow.current).toBe("disk");
  });

  it("lets the sidebar jump only to screens already reached", () => {
    const flow = useFlowStore();
    flow.choose("recover");
    expect(flow.canGo("review")).toBe(false);
    flow.go("review");
    expect(flow.current).toBe("recover");
    flow.goNext();
    flow.go("start");
    expect(flow.current).toBe("start");
    flow.go("review");
    expect(flow.current).toBe("review");
  });

  it("has its own screens for convert", () => {
    const flow = useFlowStore();
    flow.choose("convert");
    expect(flow.screens.map((s) => s.id)).toEqual([
      "start",
      "system",
      "persistence",
      "review",
      "run",
    ]);
  });
});
