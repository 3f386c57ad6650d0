// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { ACK_SIZE_CHARS } from "../../../../shared/api/flow-control";
import { useDesignStore } from "../../../../renderer/src/stores/design";
import { useRunStore } from "../../../../renderer/src/stores/run";
import { installDesign, sampleStatus, settle, setup } from "../support";

function runSetup(extra = {}) {
  const ctx = setup({
    runPhase: async () => {
      // Output and a status can arrive before the reply with the ids.
      ctx.fake.emit("terminal.data", { terminalId: "t1", data: "early " });
      ctx.fake.emit("run.status", sampleStatus({ percent: 5 }));
      return { runId: "r1", terminalId: "t1", dryRun: true };
    },
    runStatus: async () => sampleStatus({ percent: 10 }),
    terminalAck: async () => null,
    terminalInput: async () => null,
    terminalResize: async () => null,
    cancelRun: async () => ({ cancelled: true }),
    runLog: async () => ({ text: "the log", path: "/tmp/ws/run.log" }),
    ...extra,
  });
  useDesignStore().load(installDesign(), "t", null);
  return { ctx, run: useRunStore() };
}

describe("run store", () => {
  it("starts the requested phase with the terminal's size", async () => {
    const { ctx, run } = runSetup();
    run.request("install", true);
    expect(await run.startRequested(100, 30)).toBe(true);
    expect(ctx.fake.calls.find((c) => c.method === "runPhase")?.args).toEqual({
      design: installDesign(),
      phase: "install",
      dryRun: true,
      cols: 100,
      rows: 30,
    });
    expect(run.runId).toBe("r1");
    expect(run.note).toBeNull();
    // The status sent before the reply was asked for again.
    expect(run.percent).toBe(10);
    expect(await run.startRequested(100, 30)).toBe(false); // only once
  });

  it("keeps output until the terminal attaches, then replays it in order", async () => {
    const { ctx, run } = runSetup();
    await run.start({ phase: "install", dryRun: false, cols: 80, rows: 24 });
    ctx.fake.emit("terminal.data", { terminalId: "t1", data: "later" });
    ctx.fake.emit("terminal.data", { terminalId: "other", data: "not mine" });
    const got: string[] = [];
    run.attach((data, written) => {
      got.push(data);
      written();
    });
    ctx.fake.emit("terminal.data", { terminalId: "t1", data: "!" });
    expect(got.join("")).toBe("early later!");
  });

  it("acknowledges drawn output in units of ACK_SIZE_CHARS", async () => {
    const { ctx, run } = runSetup();
    await run.start({ phase: "install", dryRun: false, cols: 80, rows: 24 });
    const callbacks: (() => void)[] = [];
    run.attach((_data, written) => callbacks.push(written));
    const chunk = "x".repeat(ACK_SIZE_CHARS / 2 + 1);
    ctx.fake.emit("terminal.data", { terminalId: "t1", data: chunk });
    ctx.fake.emit("terminal.data", { terminalId: "t1", data: chunk });
    const acks = () => ctx.fake.calls.filter((c) => c.method === "terminalAck");
    expect(acks()).toHaveLength(0); // nothing drawn yet: nothing acknowledged
    callbacks.forEach((c) => c());
    await settle();
    expect(acks().map((c) => c.args)).toEqual([
      { terminalId: "t1", chars: ACK_SIZE_CHARS },
    ]);
  });

  it("follows status events of its own run only, and knows when it ends", async () => {
    const { ctx, run } = runSetup();
    await run.start({ phase: "install", dryRun: false, cols: 80, rows: 24 });
    ctx.fake.emit("run.status", sampleStatus({ runId: "other", percent: 99 }));
    expect(run.percent).toBe(10);
    ctx.fake.emit("run.status", sampleStatus({ percent: 60 }));
    expect(run.percent).toBe(60);
    expect(run.currentStep?.id).toBe("partition");
    expect(run.finished).toBe(false);
    ctx.fake.emit(
      "run.status",
      sampleStatus({
        percent: 100,
        state: "succeeded",
        exitCode: 0,
        steps: sampleStatus().steps.map((s) => ({
          ...s,
          state: "done" as const,
        })),
      }),
    );
    expect(run.finished).toBe(true);
    expect(run.percent).toBe(100);
  });

  it("sends keys, sizes, cancel, and reads the log", async () => {
    const { ctx, run } = runSetup();
    await run.start({ phase: "install", dryRun: false, cols: 80, rows: 24 });
    run.input("/dev/nvme0n1\r");
    run.resize(120, 40);
    await run.cancel();
    expect(await run.log()).toEqual({
      text: "the log",
      path: "/tmp/ws/run.log",
    });
    await settle();
    const args = (m: string) =>
      ctx.fake.calls.find((c) => c.method === m)?.args;
    expect(args("terminalInput")).toEqual({
      terminalId: "t1",
      data: "/dev/nvme0n1\r",
    });
    expect(args("terminalResize")).toEqual({
      terminalId: "t1",
      cols: 120,
      rows: 40,
    });
    expect(args("cancelRun")).toEqual({ runId: "r1" });
  });

  it("keeps the backend's note on what really runs", async () => {
    const { run } = runSetup({
      runPhase: async () => ({
        runId: "r1",
        terminalId: "t1",
        dryRun: true,
        note: "install runs as a dry run in the sandbox.",
      }),
    });
    await run.start({ phase: "install", dryRun: false, cols: 80, rows: 24 });
    expect(run.note).toBe("install runs as a dry run in the sandbox.");
  });

  it("takes whether the run really is dry from the backend, and keeps what was asked", async () => {
    const { run } = runSetup({
      runPhase: async () => ({
        runId: "r1",
        terminalId: "t1",
        dryRun: true,
        note: "install runs as a dry run in the sandbox.",
      }),
    });
    run.request("install", false);
    await run.startRequested(80, 24);
    expect([run.askedDryRun, run.dryRun]).toEqual([false, true]);
  });

  it("says why a phase could not start", async () => {
    const { run } = runSetup({
      runPhase: async () => {
        throw new Error("the design has errors");
      },
    });
    expect(
      await run.start({ phase: "install", dryRun: false, cols: 80, rows: 24 }),
    ).toBe(false);
    expect(run.error).toBe(
      "The install phase could not be started: the design has errors",
    );
  });
});
