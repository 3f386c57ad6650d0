// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import DiskScreen from "../../../../renderer/src/screens/DiskScreen.vue";
import { baseEntries } from "../../../../renderer/src/model/presets";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useSessionStore } from "../../../../renderer/src/stores/session";
import { mountWith, settle, setup, until } from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

async function disk() {
  const ctx = setup();
  useSessionStore();
  await settle();
  useDesignStore().start("install", baseEntries());
  const w = mountWith(DiskScreen, ctx);
  unmount = () => w.unmount();
  await settle();
  return w;
}

describe("Disk screen", () => {
  it("warns plainly about the data on the chosen disk, naming model and size", async () => {
    const w = await disk();
    const warning = w.get("[data-testid=disk-warning]").text();
    expect(warning).toContain("All data on /dev/nvme0n1");
    expect(warning).toContain("Samsung SSD 980 PRO 512GB, 512 GB (477 GiB)");
    expect(warning).toContain("2 partitions");
    // The boot medium cannot be chosen.
    expect(
      w.get("[data-testid='disk-/dev/sda']").attributes("disabled"),
    ).toBeDefined();
  });

  it("draws the new layout to scale and follows the swap and size fields", async () => {
    const w = await disk();
    expect(
      w.findAll("[data-testid^=seg-]").map((s) => s.attributes("data-testid")),
    ).toContain("seg-esp");
    expect(w.find("[data-testid=seg-swap]").exists()).toBe(false);
    await w.get("[data-testid=swap-on]").setValue(true);
    expect(w.find("[data-testid=seg-swap]").exists()).toBe(true);
    expect(useDesignStore().design?.disk?.swap).toEqual({ size: "16G" });
  });

  it("says a size being typed has no valid size yet, instead of 0 B", async () => {
    const w = await disk();
    expect(w.get("[data-testid=size-esp]").text()).toBe("1 GiB");
    await w.get("[data-testid=esp-size]").setValue("1");
    await settle();
    expect(w.get("[data-testid=size-esp]").text()).toBe("no valid size yet");
    expect(w.get("[data-testid=seg-esp]").attributes("title")).toBe(
      "EFI system (/boot): no valid size yet",
    );
  });

  it("shows a validation problem at the field, with aria-invalid", async () => {
    const w = await disk();
    await w.get("[data-testid=root-size]").setValue("a lot");
    await until(
      () =>
        w.get("[data-testid=root-size]").attributes("aria-invalid") === "true",
    );
    const input = w.get("[data-testid=root-size]");
    expect(input.attributes("aria-invalid")).toBe("true");
    const describedBy = input.attributes("aria-describedby")!;
    const problems = describedBy
      .split(" ")
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" ");
    expect(problems).toMatch(/"a lot"/);
  });
});
