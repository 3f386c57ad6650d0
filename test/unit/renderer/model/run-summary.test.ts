import { describe, expect, it } from "vitest";
import { runSummary } from "../../../../renderer/src/model/run-summary";
import { installDesign, sampleStatus } from "../support";

describe("run summary", () => {
  it("is silent while running", () => {
    expect(runSummary(sampleStatus(), installDesign(), false)).toBeNull();
  });

  it("names the failed step and says that running again resumes", () => {
    const s = runSummary(
      sampleStatus({
        state: "failed",
        exitCode: 3,
        steps: [
          { id: "a", title: "Check", state: "done" },
          { id: "b", title: "Partition /dev/nvme0n1", state: "failed" },
        ],
      }),
      installDesign(),
      false,
    )!;
    expect(s.tone).toBe("danger");
    expect(s.title).toBe("Failed at “Partition /dev/nvme0n1”");
    expect(s.lines.join(" ")).toMatch(/exit code 3\. 1 steps done\./);
    expect(s.lines.join(" ")).toMatch(
      /run the phase again: finished steps are skipped/,
    );
  });

  it("tells what to do next after each phase", () => {
    const done = (phase: string) =>
      runSummary(
        sampleStatus({ phase, state: "succeeded", exitCode: 0 }),
        installDesign(),
        false,
      )!;
    expect(done("install").lines.join(" ")).toMatch(
      /NixOS “orchid” is installed on \/dev\/nvme0n1/,
    );
    expect(done("prepare").lines.join(" ")).toMatch(
      /boot the NixOS LiveCD.*migrate phase/,
    );
    expect(done("migrate").lines.join(" ")).toMatch(
      /old-root\/ \(nothing was deleted\)/,
    );
    const dry = runSummary(
      sampleStatus({ state: "succeeded", exitCode: 0 }),
      installDesign(),
      true,
    )!;
    expect(dry.title).toBe("Dry run finished: nothing was changed");
  });

  it("explains a cancel", () => {
    const s = runSummary(
      sampleStatus({ state: "cancelled" }),
      installDesign(),
      false,
    )!;
    expect(s.tone).toBe("warn");
    expect(s.lines.join(" ")).toMatch(/picks up where this one stopped/);
  });
});

describe("run summary in the sandbox", () => {
  it("says what really ran, then what a real machine would have", () => {
    const s = runSummary(
      sampleStatus({ phase: "install", state: "succeeded", exitCode: 0 }),
      installDesign(),
      false,
      "The sandbox's disks are pretend: install runs as a dry run.",
    )!;
    expect(s.title).toBe("Finished in the sandbox");
    expect(s.lines[1]).toBe(
      "The sandbox's disks are pretend: install runs as a dry run.",
    );
    expect(s.lines[2]).toBe("On a real machine, the result would be:");
  });
});
