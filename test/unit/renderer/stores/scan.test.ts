// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useScanStore } from "../../../../renderer/src/stores/scan";
import { useValidationStore } from "../../../../renderer/src/stores/validation";
import { installDesign, sampleScan, setup, until } from "../support";

describe("scan store", () => {
  it("lists what the current design still loses, with the total size", async () => {
    const ctx = setup({ scan: async () => sampleScan() });
    const design = useDesignStore();
    design.load(installDesign(), "t", null);
    const scan = useScanStore();
    const validation = useValidationStore();
    await until(() => !validation.checking);
    await scan.scan();
    expect(ctx.fake.calls.find((c) => c.method === "scan")?.args).toEqual({
      design: installDesign(),
    });
    // /var/log is already persisted by the design.
    expect(scan.lost.map((e) => e.path)).toEqual([
      "/var/lib/docker",
      "/home/mira/.ssh",
    ]);
    expect(scan.lostBytes).toBe(3 * 1024 ** 3 + 4096);
    expect(scan.scratchBytes).toBe(1024 ** 2);
  });

  it("persists a finding with one action: home paths go to their user", async () => {
    setup({ scan: async () => sampleScan() });
    const design = useDesignStore();
    design.load(installDesign(), "t", null);
    const scan = useScanStore();
    await scan.scan();
    scan.persist(scan.lost[1]!);
    expect(design.design!.persistence.users.mira?.directories).toEqual([
      ".ssh",
    ]);
    scan.persist(scan.lost[0]!);
    expect(design.design!.persistence.directories).toContain("/var/lib/docker");
    expect(scan.lost).toEqual([]);
    expect(scan.lostBytes).toBe(0);
  });

  it("scans without the design while it has errors (the backend refuses one)", async () => {
    const ctx = setup({ scan: async () => sampleScan() });
    const design = useDesignStore();
    const doc = installDesign();
    doc.root.size = "huge";
    design.load(doc, "t", null);
    const validation = useValidationStore();
    await until(() => !validation.checking && validation.errors.length > 0);
    await useScanStore().scan();
    expect(ctx.fake.calls.find((c) => c.method === "scan")?.args).toEqual({});
    // What the design keeps is still filtered out here.
    expect(useScanStore().lost.map((e) => e.path)).not.toContain("/var/log");
  });

  it("reports a failed scan", async () => {
    setup({
      scan: async () => {
        throw new Error("permission denied");
      },
    });
    const scan = useScanStore();
    await scan.scan();
    expect(scan.error).toBe("The scan failed: permission denied");
  });
});
