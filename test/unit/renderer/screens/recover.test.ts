// @vitest-environment happy-dom
// The Recover screen from the LiveCD: the old-root/ quarantines the probe
// found are browsed straight from their partitions (listQuarantine), picked
// in a tree, and the chosen one becomes the partition the phase mounts; a
// folder is typed only where no quarantine was found.
import { afterEach, describe, expect, it } from "vitest";
import type { ApiArgs } from "../../../../shared/api/contract";
import type { Design } from "../../../../shared/design/types";
import RecoverScreen from "../../../../renderer/src/screens/RecoverScreen.vue";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useSessionStore } from "../../../../renderer/src/stores/session";
import {
  installDesign,
  mountWith,
  sampleFacts,
  settle,
  setup,
  until,
} from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

function recoverDesign(device: string): Design {
  const d = installDesign();
  delete d.disk;
  return {
    ...d,
    mode: "recover",
    users: {},
    recover: {
      from: "old-root",
      nix: { device, fsType: "ext4", options: [] },
      configDir: "/etc/nixos",
      flakeAttr: "orchid",
      add: { directories: [], files: [], users: {} },
    },
  };
}

const liveCdWithQuarantines = () =>
  sampleFacts({
    installs: [
      {
        device: "/dev/nvme0n1p2",
        fsType: "ext4",
        migrationPending: false,
        hasOldRoot: true,
        converted: true,
      },
      {
        device: "/dev/nvme0n1p1",
        fsType: "btrfs",
        migrationPending: false,
        hasOldRoot: true,
        converted: true,
        subvolume: "/@",
      },
    ],
  });

const entry = (name: string, kind: "dir" | "file") => ({
  name,
  kind,
  bytes: kind === "file" ? 2048 : 0,
  mtime: "2025-03-01T09:00:00Z",
});

async function open(
  facts = liveCdWithQuarantines(),
  device = "/dev/disk/by-uuid/1111-2222",
) {
  const ctx = setup(
    {
      listQuarantine: async ({ path }: ApiArgs<"listQuarantine">) => ({
        entries:
          path === "/"
            ? [entry("var", "dir"), entry("notes.txt", "file")]
            : [entry("tailscale", "dir")],
      }),
      listDir: async () => ({ entries: [entry("typed", "dir")] }),
    },
    facts,
  );
  await useSessionStore().greet();
  const design = useDesignStore();
  design.load(recoverDesign(device), "t", null);
  const w = mountWith(RecoverScreen, ctx);
  unmount = () => w.unmount();
  return { ctx, w, design };
}

const quarantineCalls = (ctx: ReturnType<typeof setup>) =>
  ctx.fake.calls
    .filter((c) => c.method === "listQuarantine")
    .map((c) => c.args);

describe("Recover screen, from the old-root/ quarantine", () => {
  it("opens the design's quarantine from its partition, with nothing to type", async () => {
    const { ctx, w, design } = await open();
    await until(() => w.find("[data-testid=quarantine-tree]").exists());
    // Nothing chosen: one sentence says what to do, once.
    await until(() =>
      w.find("[data-testid=chosen] [data-testid=problem]").exists(),
    );
    expect(w.get("[data-testid=chosen]").text()).toContain(
      "Nothing is chosen yet: tick at least one path to recover.",
    );
    expect(w.get("[data-testid=chosen]").text()).not.toMatch(/Nothing chosen/);
    expect(quarantineCalls(ctx)).toEqual([
      { device: "/dev/nvme0n1p2", subvolume: null, path: "/" },
    ]);
    expect(w.find("#quarantine").exists()).toBe(false);
    // Folders first; open one, choose a path in it.
    expect(w.get("[data-testid=quarantine-tree]").text()).toMatch(
      /var\/[\s\S]*notes\.txt/,
    );
    await w.get("button[aria-label='Open /var']").trigger("click");
    await until(() => w.find("[data-testid='pick-/var/tailscale']").exists());
    expect(quarantineCalls(ctx).at(-1)).toEqual({
      device: "/dev/nvme0n1p2",
      subvolume: null,
      path: "/var",
    });
    await w.get("[data-testid='pick-/var/tailscale']").setValue(true);
    expect(design.design!.recover!.add.directories).toEqual(["/var/tailscale"]);
    expect(w.get("[data-testid=chosen]").text()).toContain("Chosen: 1");
    // Where the chosen paths come from, and where they go.
    expect(w.get("[data-testid=chosen-how]").text()).toBe(
      "Moved back from old-root/ into /nix/persistent, and kept from then on.",
    );
  });

  it("offers every quarantine found, and the one chosen becomes the partition to mount", async () => {
    const { ctx, w, design } = await open();
    await until(() => w.find("[data-testid=quarantine-tree]").exists());
    const other = w.get("[data-testid='quarantine-/dev/nvme0n1p1:/@']");
    expect(
      (
        w.get("[data-testid='quarantine-/dev/nvme0n1p2']")
          .element as HTMLInputElement
      ).checked,
    ).toBe(true);
    await other.setValue(true);
    await settle();
    expect(design.design!.recover!.nix).toEqual({
      device: "/dev/disk/by-uuid/AB12-CD34",
      fsType: "btrfs",
      options: ["subvol=/@"],
    });
    expect(quarantineCalls(ctx).at(-1)).toEqual({
      device: "/dev/nvme0n1p1",
      subvolume: "/@",
      path: "/",
    });
  });

  it("does not offer the LiveCD's own root as the running system", async () => {
    const { w } = await open();
    await settle();
    const live = w.get("[data-testid=source-live]").element as HTMLInputElement;
    expect(live.disabled).toBe(true);
    expect(w.get("[data-testid=live-on-livecd]").text()).toContain(
      "Not from the LiveCD",
    );
    const running = sampleFacts({
      os: { kind: "nixos", prettyName: "NixOS", versionId: "25.11" },
    });
    unmount?.();
    const again = await open(running);
    await settle();
    expect(
      (again.w.get("[data-testid=source-live]").element as HTMLInputElement)
        .disabled,
    ).toBe(false);
  });

  it("asks for a folder only when no quarantine was found", async () => {
    const { ctx, w } = await open(sampleFacts(), "/dev/sdx9");
    await settle();
    expect(quarantineCalls(ctx)).toEqual([]);
    await w.get("#quarantine").setValue("/mnt/nix/old-root");
    await w.get("form").trigger("submit");
    await until(() => w.find("[data-testid=quarantine-tree]").exists());
    expect(ctx.fake.calls.find((c) => c.method === "listDir")?.args).toEqual({
      root: "/mnt/nix/old-root",
      path: "/",
    });
  });
});
