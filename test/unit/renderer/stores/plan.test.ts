// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { usePlanStore } from "../../../../renderer/src/stores/plan";
import {
  installDesign,
  samplePlan,
  samplePreview,
  settle,
  setup,
} from "../support";

describe("plan store", () => {
  it("compiles the current design and picks its first phase", async () => {
    const ctx = setup({ plan: async () => samplePreview() });
    const design = useDesignStore();
    design.load(installDesign(), "t", null);
    const plan = usePlanStore();
    await plan.refresh();
    const call = ctx.fake.calls.find((c) => c.method === "plan");
    expect(call?.args).toEqual({ design: installDesign() });
    expect(plan.chosenPhase).toBe("install");
    expect(plan.destructiveSteps.map((s) => s.id)).toEqual(["partition"]);
    expect(plan.files.map((f) => f.path)).toEqual([
      "flake.nix",
      "nixos/stateless.nix",
    ]);
    expect(plan.stale).toBe(false);
    design.design!.hostname = "changed";
    await settle();
    expect(plan.stale).toBe(true);
  });

  it("finds the flake diff of a convert plan and lets the user choose the phase", async () => {
    const convertPlan = samplePlan({
      mode: "convert",
      phases: [
        {
          name: "prepare",
          title: "Prepare",
          where: "running-system",
          steps: [],
        },
        { name: "migrate", title: "Migrate", where: "livecd", steps: [] },
      ],
    });
    const preview = samplePreview(convertPlan);
    preview.files.push({
      path: "flake.patch",
      content: "--- a/flake.nix\n+++ b/flake.nix\n",
    });
    setup({ plan: async () => preview });
    useDesignStore().load(installDesign(), "t", null);
    const plan = usePlanStore();
    await plan.refresh();
    expect(plan.flakePatch?.path).toBe("flake.patch");
    plan.choose("migrate");
    expect(plan.phase?.title).toBe("Migrate");
    plan.choose("install");
    expect(plan.chosenPhase).toBe("migrate");
  });

  it("reports a failure to plan", async () => {
    setup({
      plan: async () => {
        throw new Error("nix-instantiate crashed");
      },
    });
    useDesignStore().load(installDesign(), "t", null);
    const plan = usePlanStore();
    await plan.refresh();
    expect(plan.error).toBe(
      "The plan could not be made: nix-instantiate crashed",
    );
    expect(plan.loading).toBe(false);
  });
});
