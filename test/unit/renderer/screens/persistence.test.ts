// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import PersistenceScreen from "../../../../renderer/src/screens/PersistenceScreen.vue";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import {
  installDesign,
  mountWith,
  sampleScan,
  settle,
  setup,
  until,
} from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

/** The Persistence screen on a convert design of /dev/vda2. */
function mountConvert(ctx: ReturnType<typeof setup>) {
  const d = installDesign();
  d.mode = "convert";
  delete d.disk;
  d.convert = {
    device: "/dev/vda2",
    fsType: "ext4",
    options: [],
    configDir: "/etc/nixos",
    flakeAttr: "orchid",
  };
  useDesignStore().load(d, "t", null);
  const w = mountWith(PersistenceScreen, ctx);
  unmount = () => w.unmount();
  return w;
}

describe("Persistence screen", () => {
  it("shows the tree with reasons, and a duplicate right where it is", async () => {
    const ctx = setup();
    const store = useDesignStore();
    const d = installDesign();
    d.persistence.directories.push("/var/log");
    store.load(d, "t", null);
    const w = mountWith(PersistenceScreen, ctx);
    unmount = () => w.unmount();
    await settle();
    // Each preset's button says which preset it adds.
    expect(w.get("[data-testid=preset-desktop]").attributes("aria-label")).toBe(
      "Add: Desktop",
    );
    const row = w.get("[data-testid='entry-/var/lib/nixos']");
    expect(row.text()).toContain("NixOS's map of user and group ids");
    await until(
      () =>
        w.get("[data-testid='entry-/var/log']").findAll("[data-testid=problem]")
          .length > 0,
    );
    await w.get("[data-testid='remove-/var/log']").trigger("click");
    await settle();
    expect(
      store.design!.persistence.directories.filter((p) => p === "/var/log"),
    ).toHaveLength(1);
  });

  it("adds a path by hand; refuses a relative or malformed path with a sentence, adding nothing", async () => {
    const ctx = setup();
    const store = useDesignStore();
    store.load(installDesign(), "t", null);
    const w = mountWith(PersistenceScreen, ctx);
    unmount = () => w.unmount();
    const before = JSON.stringify(store.design);
    await w.get("[data-testid=add-path]").setValue("var/lib/foo");
    await w.get("[data-testid=add-path-button]").trigger("submit");
    expect(w.get("#add-path-error").text()).toBe(
      "Path: a system path starts with /, e.g. /var/lib/foo.",
    );
    // A path validation would refuse is refused here, and nothing is added.
    await w.get("[data-testid=add-path]").setValue("/var/../etc/shadow");
    await w.get("[data-testid=add-path-button]").trigger("submit");
    expect(w.get("#add-path-error").text()).toContain('".." segment');
    expect(JSON.stringify(store.design)).toBe(before);
    // The same folder with a trailing slash is the one already kept.
    await w.get("[data-testid=add-path]").setValue("/var/lib/nixos/");
    await w.get("[data-testid=add-path-button]").trigger("submit");
    expect(w.get("#add-path-error").text()).toBe(
      "Path: /var/lib/nixos is already kept.",
    );
    expect(JSON.stringify(store.design)).toBe(before);
    await w.get("[data-testid=add-path]").setValue("/var/lib/postgresql");
    await w.get("[data-testid=add-path-button]").trigger("submit");
    await settle();
    expect(store.design!.persistence.directories).toContain(
      "/var/lib/postgresql",
    );
    expect(w.find("[data-testid='entry-/var/lib/postgresql']").exists()).toBe(
      true,
    );
  });

  it("in convert mode lists scanner findings, keeps one with one click, and totals what is lost", async () => {
    const ctx = setup({ scan: async () => sampleScan() });
    const store = useDesignStore();
    const w = mountConvert(ctx);
    await until(() => w.find("[data-testid=lost-total]").exists());
    expect(w.get("[data-testid=lost-total]").text()).toBe("3 GiB");
    expect(w.get("[data-testid='finding-/var/lib/docker']").text()).toContain(
      "Docker images",
    );
    await w.get("[data-testid='keep-/var/lib/docker']").trigger("click");
    await settle();
    expect(store.design!.persistence.directories).toContain("/var/lib/docker");
    expect(w.get("[data-testid=lost-total]").text()).toBe("4 KiB");
  });

  it("shows a found name that reorders text (U+202E) quoted, as the CLI does", async () => {
    const trojan = "/srv/invoice\u202egpj.exe";
    const scan = sampleScan();
    scan.entries.push({
      path: trojan,
      kind: "file",
      bytes: 10,
      files: 1,
      newest: "2025-11-20T10:00:00Z",
      suggestion: null,
    });
    const ctx = setup({ scan: async () => scan });
    const store = useDesignStore();
    const w = mountConvert(ctx);
    await until(() => w.find(`[data-testid='finding-${trojan}']`).exists());
    const row = w.get(`[data-testid='finding-${trojan}']`);
    expect(row.text()).toContain("$'/srv/invoice\\u202egpj.exe'");
    expect(row.text()).not.toContain("\u202e");
    expect(
      w.get(`[data-testid='keep-${trojan}']`).attributes("aria-label"),
    ).toBe("Keep $'/srv/invoice\\u202egpj.exe'");
    // Keeping it keeps the real name, not the quoted one.
    await w.get(`[data-testid='keep-${trojan}']`).trigger("click");
    await settle();
    expect(store.design!.persistence.files).toContain(trojan);
  });
});
