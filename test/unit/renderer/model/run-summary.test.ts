import { describe, expect, it } from "vitest";
import {
  runSummary,
  type HowItRan,
} from "../../../../renderer/src/model/run-summary";
import { installDesign, sampleStatus } from "../support";

/** A real run on a real machine, unless told otherwise. */
const how = (over: Partial<HowItRan> = {}): HowItRan => ({
  dryRun: false,
  askedDryRun: false,
  sandbox: false,
  note: null,
  ...over,
});

describe("run summary", () => {
  it("is silent while running", () => {
    expect(runSummary(sampleStatus(), installDesign(), how())).toBeNull();
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
      how(),
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
        how(),
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
      how({ dryRun: true, askedDryRun: true }),
    )!;
    expect(dry.title).toBe("Dry run finished: nothing was changed");
    expect(dry.lines).toEqual([
      "Every command was printed in the terminal. Go back to Review to start the real run.",
    ]);
  });

  it("explains a cancel", () => {
    const s = runSummary(
      sampleStatus({ state: "cancelled" }),
      installDesign(),
      how(),
    )!;
    expect(s.tone).toBe("warn");
    expect(s.lines.join(" ")).toMatch(/picks up where this one stopped/);
  });
});

describe("run summary in the sandbox", () => {
  const done = (phase: string, h: HowItRan) =>
    runSummary(
      sampleStatus({ phase, state: "succeeded", exitCode: 0 }),
      installDesign(),
      h,
    )!;

  it("says a dry run the sandbox chose is one, with why and what a real machine would do", () => {
    const note = "The sandbox's disks are pretend: install runs as a dry run.";
    const s = done("install", how({ dryRun: true, sandbox: true, note }));
    expect(s.title).toBe("Dry run finished: nothing was changed");
    expect(s.lines.slice(0, 3)).toEqual([
      note,
      "Every command was printed in the terminal.",
      "On a real machine, the real run would end with:",
    ]);
    expect(s.lines.join(" ")).not.toMatch(/start the real run/);
  });

  it("says a real run in the sandbox finished, whatever the note's words", () => {
    const s = done(
      "migrate",
      how({ sandbox: true, note: "Any sentence at all." }),
    );
    expect(s.title).toBe("Finished in the sandbox");
    expect(s.lines[1]).toBe("Any sentence at all.");
    expect(s.lines[2]).toBe("On a real machine, the result would be:");
    // The flag decides, not the note: a dry run with the same note is a dry run.
    expect(
      done(
        "migrate",
        how({ sandbox: true, dryRun: true, note: "Any sentence at all." }),
      ).title,
    ).toBe("Dry run finished: nothing was changed");
    expect(done("migrate", how({ sandbox: true })).title).toBe(
      "Finished in the sandbox",
    );
  });
});
