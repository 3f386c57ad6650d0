// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import App from "../../../../renderer/src/App.vue";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import {
  convertFacts,
  mountWith,
  sampleFacts,
  settle,
  setup,
  until,
} from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

describe("the app shell and Start screen", () => {
  it("shows what Tabula found, says sandbox, and offers only the paths that fit", async () => {
    const ctx = setup();
    const w = mountWith(App, ctx);
    unmount = () => w.unmount();
    await settle();
    expect(w.get("[data-testid=machine-badge]").text()).toBe(
      "Sandbox: nothing real is touched",
    );
    expect(w.get("[data-testid=found-disks]").text()).toContain(
      "Samsung SSD 980 PRO 512GB",
    );
    expect(w.get("[data-testid=found-disks]").text()).toContain("boot medium");
    expect(
      w.get("[data-testid=path-install]").attributes("disabled"),
    ).toBeUndefined();
    expect(
      w.get("[data-testid=path-convert]").attributes("disabled"),
    ).toBeDefined();
    expect(w.text()).toContain(
      "No NixOS install that is not yet converted was found on the disks.",
    );
  });

  it("says a real machine is real", async () => {
    const ctx = setup({}, sampleFacts({ machine: "real" }));
    const w = mountWith(App, ctx);
    unmount = () => w.unmount();
    await settle();
    expect(w.get("[data-testid=machine-badge]").text()).toBe(
      "Real machine: changes are real",
    );
  });

  it("starts a path, then walks forward and back with the sidebar", async () => {
    const ctx = setup({}, convertFacts());
    const w = mountWith(App, ctx);
    unmount = () => w.unmount();
    await settle();
    await w.get("[data-testid=path-convert]").trigger("click");
    await until(
      () =>
        w.find("main h1").exists() &&
        w.get("main h1").text() !== "Welcome to Tabula",
    );
    expect(w.get("main h1").text()).toBe("This system");
    expect(useDesignStore().design?.mode).toBe("convert");
    expect((w.get("main input.mono").element as HTMLInputElement).value).toBe(
      "/dev/disk/by-uuid/1111-2222",
    );
    expect(
      w.get("[data-testid=nav-review]").attributes("disabled"),
    ).toBeDefined();
    await w.get("[data-testid=back]").trigger("click");
    await settle();
    expect(w.get("main h1").text()).toBe("Welcome to Tabula");
    await w.get("[data-testid=nav-system]").trigger("click");
    await until(
      () =>
        w.find("main h1").exists() && w.get("main h1").text() === "This system",
    );
    expect(w.get("main h1").text()).toBe("This system");
  });

  it("counts each screen's problems in the sidebar, in words for screen readers", async () => {
    const ctx = setup();
    const w = mountWith(App, ctx);
    unmount = () => w.unmount();
    await settle();
    await w.get("[data-testid=path-install]").trigger("click");
    // A new install has no user yet: one problem, on Users.
    await until(() => w.find("[data-testid=nav-users] .tag").exists());
    expect(w.get("[data-testid=nav-users] .tag").attributes("aria-label")).toBe(
      "1 problem",
    );
  });

  it("shows a design file that could not be opened on the Start screen too (no footer there)", async () => {
    const ctx = setup();
    const w = mountWith(App, ctx);
    unmount = () => w.unmount();
    await settle();
    expect(w.find("footer").exists()).toBe(false);
    expect(useDesignStore().importJson("{nope", "x.json")).toBe(false);
    await settle();
    expect(w.get("main [data-testid=file-error]").text()).toMatch(
      /^x\.json was not opened: it is not valid JSON/,
    );
  });
});
