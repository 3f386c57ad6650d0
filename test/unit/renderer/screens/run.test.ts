// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import RunScreen from "../../../../renderer/src/screens/RunScreen.vue";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useRunStore } from "../../../../renderer/src/stores/run";
import {
  installDesign,
  mountWith,
  sampleStatus,
  settle,
  setup,
  until,
} from "../support";

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

/** The Run screen starting install, with the backend answering runPhase and runStatus. */
function mountRun(dryRun: boolean, first: ReturnType<typeof sampleStatus>) {
  const ctx = setup({
    runPhase: async () => ({ runId: "r1", terminalId: "t1", dryRun }),
    runStatus: async () => first,
    terminalAck: async () => null,
    terminalResize: async () => null,
  });
  useDesignStore().load(installDesign(), "t", null);
  useRunStore().request("install", false);
  const w = mountWith(RunScreen, ctx);
  unmount = () => w.unmount();
  return { ctx, w };
}

describe("Run screen", () => {
  it("starts the requested phase, shows steps, progress and build progress, then the summary", async () => {
    const { ctx, w } = mountRun(false, sampleStatus({ percent: 0 }));
    await until(() => ctx.fake.calls.some((c) => c.method === "runPhase"));
    const args = ctx.fake.calls.find((c) => c.method === "runPhase")!.args as {
      cols: number;
      rows: number;
    };
    expect(args.cols).toBeGreaterThan(0);
    expect(args.rows).toBeGreaterThan(0);
    await settle();
    ctx.fake.emit(
      "run.status",
      sampleStatus({
        percent: 42,
        build: {
          buildsDone: 3,
          buildsExpected: 12,
          buildsFailed: 0,
          running: ["hello-2.12"],
          downloadsDone: 1,
          downloadsExpected: 4,
          bytesDone: 10 * 1024 ** 2,
          bytesExpected: 40 * 1024 ** 2,
          phases: { "hello-2.12": "buildPhase" },
        },
      }),
    );
    await settle();
    expect(w.get("[data-testid=progress]").attributes("aria-valuenow")).toBe(
      "42",
    );
    expect(w.get("[data-testid=step-partition]").attributes("data-state")).toBe(
      "running",
    );
    expect(w.get("[data-testid=build-progress]").text()).toMatch(
      /3 of 12 builds.*1 of 4 downloads, 10 MiB of 40 MiB/s,
    );
    expect(w.get("[data-testid=build-progress]").text()).toMatch(
      /hello-2\.12\s*buildPhase/,
    );
    expect(w.find("[data-testid=run-summary]").exists()).toBe(false);
    ctx.fake.emit(
      "run.status",
      sampleStatus({
        percent: 100,
        state: "failed",
        exitCode: 1,
        steps: [
          { id: "check", title: "Check the disk", state: "done" },
          { id: "partition", title: "Partition /dev/nvme0n1", state: "failed" },
        ],
      }),
    );
    await settle();
    expect(w.get("[data-testid=run-summary]").text()).toMatch(
      /^Failed at “Partition \/dev\/nvme0n1”/,
    );
    expect(w.get("h1").text()).toBe("install: failed");
    expect(w.get("[data-testid=step-partition]").classes()).toContain("failed");
  });

  it("after a cancel, marks the step it was in as stopped, not failed, and says the script's why after a failure", async () => {
    const { ctx, w } = mountRun(false, sampleStatus());
    await until(() => useRunStore().runId === "r1");
    await settle();
    const steps = [
      { id: "check", title: "Check the disk", state: "done" as const },
      {
        id: "partition",
        title: "Partition /dev/nvme0n1",
        state: "failed" as const,
      },
    ];
    ctx.fake.emit("run.status", sampleStatus({ state: "cancelled", steps }));
    await settle();
    const step = w.get("[data-testid=step-partition]");
    expect(step.classes()).toContain("stopped");
    expect(step.classes()).not.toContain("failed");
    expect(step.text()).toContain(
      "stopped when the run was cancelled: it runs again next time",
    );
    expect(w.get("[data-testid=run-summary]").text()).toMatch(/^Cancelled/);

    ctx.fake.emit(
      "run.status",
      sampleStatus({
        state: "failed",
        exitCode: 2,
        steps,
        why: { reason: "refused", text: "/dev/nvme0n1 is mounted at /mnt." },
      }),
    );
    await settle();
    expect(w.get("[data-testid=step-partition]").classes()).toContain("failed");
    expect(w.get("[data-testid=run-summary]").text()).toContain(
      "Refused: /dev/nvme0n1 is mounted at /mnt.",
    );
  });

  it("says when the terminal waits for an answer, and that a dry run's ticks were only printed", async () => {
    const { ctx, w } = mountRun(true, sampleStatus());
    await until(() => useRunStore().runId === "r1");
    await settle();
    expect(w.find("[data-testid=run-waiting]").exists()).toBe(false);
    ctx.fake.emit("terminal.data", {
      terminalId: "t1",
      data: "    Type /dev/nvme0n1 to go ahead,\r\n    or anything else to stop: ",
    });
    await settle();
    expect(w.get("[data-testid=run-waiting]").text()).toContain(
      "The terminal is waiting for you: type /dev/nvme0n1 and press Enter",
    );
    // The answer's echo and the next line: no longer waiting.
    ctx.fake.emit("terminal.data", {
      terminalId: "t1",
      data: "/dev/nvme0n1\r\n      + wipefs --all /dev/nvme0n1\r\n",
    });
    await settle();
    expect(w.find("[data-testid=run-waiting]").exists()).toBe(false);
    // A dry run: the heading and the step list say so.
    expect(w.get("h1").text()).toBe("install: dry run in progress");
    expect(w.get("[data-testid=steps-dry-run]").text()).toBe(
      "Dry run: a ticked step was printed, not run.",
    );
    expect(w.get("[data-testid=step-check]").text()).toContain(
      "printed, not run (dry run)",
    );
  });
});
