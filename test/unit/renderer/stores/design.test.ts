// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { baseEntries } from "../../../../renderer/src/model/presets";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useSessionStore } from "../../../../renderer/src/stores/session";
import { convertFacts, installDesign, settle, setup } from "../support";

async function ready(handlers = {}, facts?: Parameters<typeof setup>[1]) {
  const ctx = setup(handlers, facts);
  useSessionStore();
  await settle();
  return { ctx, store: useDesignStore() };
}

describe("design store", () => {
  it("starts an install design on the first disk that may be erased", async () => {
    const { store } = await ready();
    store.start("install", baseEntries());
    const d = store.design!;
    expect(d.disk?.device).toBe("/dev/nvme0n1");
    expect(d.disk?.bootloader).toBe("systemd-boot");
    expect(d.disk?.probed).toEqual({
      sizeBytes: 512110190592,
      model: "Samsung SSD 980 PRO 512GB",
      serial: "S5GXNX0T",
    });
    expect(d.root.size).toBe("4G"); // a quarter of 16 GiB
    expect(d.persistence.directories).toContain("/var/lib/nixos");
    expect(d.persistence.files).toContain("/etc/machine-id");
    expect(store.dirty).toBe(false);
  });

  it("fills a convert design from the running system, with fstab's device names", async () => {
    const { store } = await ready({}, convertFacts());
    store.start("convert", baseEntries());
    expect(store.design?.convert).toEqual({
      device: "/dev/disk/by-uuid/1111-2222",
      fsType: "btrfs",
      options: ["subvol=@", "compress=zstd"],
      configDir: "/etc/nixos",
      configType: "flake",
      flakeAttr: "tern",
      boot: {
        device: "/dev/disk/by-uuid/AB12-CD34",
        fsType: "vfat",
        options: ["fmask=0077"],
        mountPoint: "/boot",
      },
      bootloader: "systemd-boot",
    });
    expect(store.design?.hostname).toBe("tern");
  });

  it("refuses a malformed document with a sentence naming the field, keeping the current one", async () => {
    const { store } = await ready();
    store.start("install", baseEntries());
    const before = JSON.stringify(store.design);
    expect(store.importJson('{"format":"tabula/2"}', "old.json")).toBe(false);
    expect(store.error).toMatch(
      /^old\.json was not opened\. format: expected "tabula\/1"/,
    );
    expect(store.importJson("{nope", "bad.json")).toBe(false);
    expect(store.error).toMatch(
      /^bad\.json was not opened: it is not valid JSON/,
    );
    const noUsers = { ...installDesign(), users: undefined };
    expect(store.importJson(JSON.stringify(noUsers), "u.json")).toBe(false);
    expect(store.error).toContain("users: expected an object");
    expect(JSON.stringify(store.design)).toBe(before);
  });

  it("imports and exports the same document", async () => {
    const { store } = await ready();
    const doc = installDesign();
    expect(store.importJson(JSON.stringify(doc), "orchid.json")).toBe(true);
    expect(JSON.parse(store.exportJson())).toEqual(doc);
    expect(store.exportFileName()).toBe("orchid.tabula.json");
    expect(store.dirty).toBe(false);
    store.design!.hostname = "lily";
    expect(store.dirty).toBe(true);
  });

  it("opens and saves through the workspace API", async () => {
    const saved: Record<string, unknown> = {};
    const { ctx, store } = await ready({
      openDesign: async ({ name }: { name: string }) => ({
        design: saved[name],
      }),
      saveDesign: async ({
        name,
        design,
      }: {
        name: string;
        design: unknown;
      }) => {
        saved[name] = design;
        return { path: `/tmp/ws/${name}.json` };
      },
      listDesigns: async () => ({
        workspace: "/tmp/ws",
        designs: Object.keys(saved),
      }),
    });
    store.start("install", baseEntries());
    store.design!.hostname = "saved-host";
    expect(await store.save("  mine ")).toBe(true);
    expect(store.name).toBe("mine");
    expect(store.dirty).toBe(false);
    expect(store.message).toBe("Saved to /tmp/ws/mine.json.");
    expect(store.saved).toEqual(["mine"]);
    store.start("recover", baseEntries());
    expect(await store.open("mine")).toBe(true);
    expect(store.design?.hostname).toBe("saved-host");
    expect(ctx.fake.calls.map((c) => c.method)).toContain("openDesign");
    expect(await store.save("   ")).toBe(false);
    expect(store.error).toBe("Name: give the design a name to save it under.");
  });

  it("reports a refused save without losing the dirty mark", async () => {
    const { store } = await ready({
      saveDesign: async () => {
        throw new Error("the workspace is read-only");
      },
    });
    store.start("install", baseEntries());
    store.design!.hostname = "x";
    expect(await store.save("a")).toBe(false);
    expect(store.error).toBe(
      "The design was not saved: the workspace is read-only",
    );
    expect(store.dirty).toBe(true);
  });

  it("adds, edits and removes persisted entries in either shape", async () => {
    const { store } = await ready();
    store.start("install", baseEntries());
    const p = store.design!.persistence;
    expect(
      store.addEntry({
        kind: "directory",
        path: "/var/lib/docker",
        user: null,
      }),
    ).toBe(true);
    expect(
      store.addEntry({
        kind: "directory",
        path: "/var/lib/docker",
        user: null,
      }),
    ).toBe(false);
    const i = p.directories.indexOf("/var/lib/docker");
    store.setPerms("directory", i, null, {
      user: "root",
      mode: "0700",
      group: " ",
    });
    expect(p.directories[i]).toEqual({
      directory: "/var/lib/docker",
      user: "root",
      mode: "0700",
    });
    store.setPerms("directory", i, null, {});
    expect(p.directories[i]).toBe("/var/lib/docker");
    store.addEntry({
      kind: "file",
      path: ".bash_history",
      user: "mira",
      perms: { mode: "0700" },
    });
    expect(p.users.mira?.files).toEqual([
      { file: ".bash_history", parentDirectory: { mode: "0700" } },
    ]);
    store.removeEntry("file", 0, "mira");
    expect(p.users.mira?.files).toEqual([]);
  });

  it("declares and removes users with their persistence", async () => {
    const { store } = await ready();
    store.start("install", baseEntries());
    store.addUser("mira");
    store.addEntry({ kind: "directory", path: "Documents", user: "mira" });
    expect(store.design!.users.mira).toEqual({
      isNormalUser: true,
      extraGroups: ["wheel"],
    });
    store.removeUser("mira");
    expect(store.design!.users.mira).toBeUndefined();
    expect(store.design!.persistence.users.mira).toBeUndefined();
  });
});
