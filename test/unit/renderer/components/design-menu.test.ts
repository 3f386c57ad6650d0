// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import DesignMenu from "../../../../renderer/src/components/DesignMenu.vue";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { installDesign, mountWith, settle, setup, until } from "../support";

let unmount: (() => void) | null = null;
afterEach(() => {
  unmount?.();
  vi.restoreAllMocks();
});

describe("design file menu", () => {
  it("imports a JSON file from the browser's file input", async () => {
    const ctx = setup();
    const w = mountWith(DesignMenu, ctx);
    unmount = () => w.unmount();
    const input = w.get("[data-testid=import-input]")
      .element as HTMLInputElement;
    const file = new File([JSON.stringify(installDesign())], "orchid.json", {
      type: "application/json",
    });
    Object.defineProperty(input, "files", {
      value: [file],
      configurable: true,
    });
    input.dispatchEvent(new Event("change"));
    await until(() => useDesignStore().design !== null);
    expect(useDesignStore().design?.hostname).toBe("orchid");
    expect(useDesignStore().message).toBe("Opened orchid.json.");
  });

  it("exports the design as a download named after it", async () => {
    const ctx = setup();
    useDesignStore().load(installDesign(), "t", null);
    const w = mountWith(DesignMenu, ctx);
    unmount = () => w.unmount();
    const blobs: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      blobs.push(b as Blob);
      return "blob:x";
    });
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.download);
    });
    const exportButton = w
      .findAll("button")
      .find((b) => b.text() === "Export")!;
    await exportButton.trigger("click");
    expect(clicked).toEqual(["orchid.tabula.json"]);
    expect(JSON.parse(await blobs[0]!.text())).toEqual(installDesign());
  });

  it("saves into the workspace by name through the API", async () => {
    const ctx = setup({
      saveDesign: async ({ name }: { name: string }) => ({
        path: `/ws/${name}.json`,
      }),
    });
    useDesignStore().load(installDesign(), "t", null);
    const w = mountWith(DesignMenu, ctx);
    unmount = () => w.unmount();
    await w
      .findAll("button")
      .find((b) => b.text() === "Save…")!
      .trigger("click");
    await settle();
    expect((w.get("#save-name").element as HTMLInputElement).value).toBe(
      "orchid",
    );
    // It says where the file goes, asked of the backend when not known yet.
    expect(w.get("[aria-labelledby=save-title]").text()).toContain(
      "Saved in /tmp/ws.",
    );
    await w.get("form").trigger("submit");
    await settle();
    expect(ctx.fake.calls.find((c) => c.method === "saveDesign")?.args).toEqual(
      {
        name: "orchid",
        design: installDesign(),
      },
    );
    expect(useDesignStore().message).toBe("Saved to /ws/orchid.json.");
  });
});
