// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { Design } from "../../../../shared/design/types";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useRecoverStore } from "../../../../renderer/src/stores/recover";
import { installDesign, setup } from "../support";

function recoverDesign(): Design {
  const d = installDesign();
  delete d.disk;
  return {
    ...d,
    mode: "recover",
    users: {},
    recover: {
      from: "old-root",
      nix: { device: "/dev/nvme0n1p2", fsType: "btrfs", options: [] },
      configDir: "/etc/nixos",
      flakeAttr: "orchid",
      add: { directories: [], files: [], users: {} },
    },
  };
}

describe("recover store", () => {
  it("browses the quarantine one folder at a time, folders first", async () => {
    const ctx = setup({
      listDir: async ({ path }: { root: string; path: string }) => ({
        entries:
          path === "/"
            ? [
                {
                  name: "zeta.txt",
                  kind: "file" as const,
                  bytes: 5,
                  mtime: "2025-01-01T00:00:00Z",
                },
                {
                  name: "var",
                  kind: "dir" as const,
                  bytes: 0,
                  mtime: "2025-01-01T00:00:00Z",
                },
              ]
            : [
                {
                  name: "lib",
                  kind: "dir" as const,
                  bytes: 0,
                  mtime: "2025-01-01T00:00:00Z",
                },
              ],
      }),
    });
    useDesignStore().load(recoverDesign(), "t", null);
    const recover = useRecoverStore();
    await recover.openTree({ kind: "folder", root: "/mnt/old-root" });
    expect(recover.folders["/"]?.map((e) => e.name)).toEqual([
      "var",
      "zeta.txt",
    ]);
    await recover.toggleFolder("/var");
    expect(recover.open["/var"]).toBe(true);
    expect(
      ctx.fake.calls.filter((c) => c.method === "listDir").map((c) => c.args),
    ).toEqual([
      { root: "/mnt/old-root", path: "/" },
      { root: "/mnt/old-root", path: "/var" },
    ]);
  });

  it("turns chosen paths into recover.add, home paths per user", () => {
    setup();
    const design = useDesignStore();
    design.load(recoverDesign(), "t", null);
    const recover = useRecoverStore();
    recover.toggle("/var/lib/docker", "directory", 100);
    recover.toggle("/home/mira/.bash_history", "file", 20);
    const add = design.design!.recover!.add;
    expect(add.directories).toEqual(["/var/lib/docker"]);
    expect(add.users).toEqual({
      mira: { directories: [], files: [".bash_history"] },
    });
    expect(design.design!.users.mira).toEqual({});
    expect(recover.chosen).toEqual([
      { path: "/var/lib/docker", kind: "directory", bytes: 100 },
      { path: "/home/mira/.bash_history", kind: "file", bytes: 20 },
    ]);
    expect(recover.isChosen("/var/lib/docker")).toBe(true);
    recover.toggle("/home/mira/.bash_history", "file");
    expect(add.users).toEqual({});
    recover.toggle("/var/lib/docker", "directory");
    expect(recover.chosen).toEqual([]);
  });

  it("says which folder could not be listed", async () => {
    setup({
      listDir: async () => {
        throw new Error("not a folder");
      },
    });
    useDesignStore().load(recoverDesign(), "t", null);
    const recover = useRecoverStore();
    await recover.openTree({ kind: "folder", root: "/nope" });
    expect(recover.error).toBe("/ could not be listed: not a folder");
  });

  it("browses an install's quarantine from its partition, and keeps the latest tree", async () => {
    let answer: (() => void) | null = null;
    const ctx = setup({
      listQuarantine: async ({ device }) => {
        if (device === "/dev/slow")
          await new Promise<void>((r) => (answer = r));
        return {
          entries: [
            {
              name: device === "/dev/slow" ? "stale" : "etc",
              kind: "dir" as const,
              bytes: 0,
              mtime: "2025-01-01T00:00:00Z",
            },
          ],
        };
      },
    });
    useDesignStore().load(recoverDesign(), "t", null);
    const recover = useRecoverStore();
    const slow = recover.openTree({
      kind: "install",
      device: "/dev/slow",
      subvolume: null,
    });
    await recover.openTree({
      kind: "install",
      device: "/dev/vdb2",
      subvolume: "/@",
    });
    answer!();
    await slow;
    // The slow answer for the tree left behind is dropped.
    expect(recover.folders["/"]?.map((e) => e.name)).toEqual(["etc"]);
    expect(
      recover.isOpenOn({
        kind: "install",
        device: "/dev/vdb2",
        subvolume: "/@",
      }),
    ).toBe(true);
    expect(
      ctx.fake.calls
        .filter((c) => c.method === "listQuarantine")
        .map((c) => c.args),
    ).toEqual([
      { device: "/dev/slow", subvolume: null, path: "/" },
      { device: "/dev/vdb2", subvolume: "/@", path: "/" },
    ]);
  });
});
