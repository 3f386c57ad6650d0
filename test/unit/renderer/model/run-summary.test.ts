import { describe, expect, it } from "vitest";
import {
  runSummary,
  type HowItRan,
} from "../../../../renderer/src/model/run-summary";
import { STEPS_LIB } from "../../../../shared/plan/steps-lib";
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
        exitCode: 1,
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
    expect(s.lines.join(" ")).toMatch(/exit code 1\. 1 step done\./);
    expect(s.lines.join(" ")).toMatch(
      /run the phase again: finished steps are skipped/,
    );
  });

  it("says a dry run found where the real run would stop, never that all is well", () => {
    const status = sampleStatus({
      state: "succeeded",
      exitCode: 0,
      steps: [
        {
          id: "check-disk",
          title: "Check the disk",
          state: "done",
          wouldStop: true,
        },
        { id: "partition", title: "Partition", state: "done" },
      ],
    });
    const asked = runSummary(
      status,
      installDesign(),
      how({ dryRun: true, askedDryRun: true }),
    )!;
    expect(asked.tone).toBe("warn");
    expect(asked.title).toBe("Dry run finished: the real run would stop");
    expect(asked.lines.join(" ")).toMatch(
      /would stop at “Check the disk”: the end of the terminal says why/,
    );
    const sandbox = runSummary(
      status,
      installDesign(),
      how({ dryRun: true, sandbox: true }),
    )!;
    expect(sandbox.lines.join(" ")).toMatch(
      /real run would stop at “Check the disk”.*the sandbox's disks and system are pretend/,
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

  const ended = (
    state: "failed" | "cancelled",
    exitCode: number,
    skipped = false,
  ) =>
    runSummary(
      sampleStatus({
        state,
        exitCode,
        steps: [
          { id: "a", title: "Check", state: "done" },
          { id: "m", title: "Mount", state: skipped ? "skipped" : "done" },
          { id: "b", title: "Partition /dev/nvme0n1", state: "failed" },
        ],
      }),
      installDesign(),
      how(),
    )!;

  it("counts steps in plain words", () => {
    expect(ended("failed", 1).lines[0]).toContain("2 steps done.");
    expect(ended("failed", 1, true).lines[0]).toContain(
      "1 step done, 1 skipped (nothing left to do there).",
    );
  });

  it("says what each exit status of the step script means and what to do", () => {
    // Not confirmed (4): the runner ends the run as cancelled.
    const notConfirmed = ended("cancelled", 4);
    expect(notConfirmed.title).toBe("Stopped: not confirmed");
    expect(notConfirmed.lines.join(" ")).toMatch(
      /“Partition \/dev\/nvme0n1” did not run: nothing in it changed.*type exactly what the terminal asks for/,
    );
    const refused = ended("failed", 2);
    expect(refused.title).toBe("Refused at “Partition /dev/nvme0n1”");
    expect(refused.lines.join(" ")).toMatch(/“Refused:”/);
    const tool = ended("failed", 3);
    expect(tool.title).toBe(
      "Stopped at “Partition /dev/nvme0n1”: a tool is missing",
    );
    expect(tool.lines.join(" ")).toMatch(/Tabula LiveCD/);
  });

  it("says the script's own sentence on why it stopped, when it said one", () => {
    const said = (
      exitCode: number,
      why: NonNullable<Parameters<typeof sampleStatus>[0]>["why"],
    ) =>
      runSummary(
        sampleStatus({
          state: "failed",
          exitCode,
          why,
          steps: [
            { id: "b", title: "Partition /dev/nvme0n1", state: "failed" },
          ],
        }),
        installDesign(),
        how(),
      )!;
    const refused = said(2, {
      reason: "refused",
      text: "/dev/nvme0n1 does not exist on this machine.",
    });
    expect(refused.lines[0]).toBe(
      "Refused: /dev/nvme0n1 does not exist on this machine.",
    );
    expect(refused.lines.join(" ")).not.toMatch(/line that starts with/);
    const failed = said(1, {
      reason: "failed",
      text: "this command exited with status 4: sgdisk --zap-all /dev/nvme0n1",
    });
    expect(failed.title).toBe("Failed at “Partition /dev/nvme0n1”");
    expect(failed.lines.slice(0, 2)).toEqual([
      "In “Partition /dev/nvme0n1”, this command exited with status 4: sgdisk --zap-all /dev/nvme0n1",
      "0 steps done.",
    ]);
    const stopped = said(1, {
      reason: "stopped",
      text: "both /mnt/x and /mnt/persistent/x exist.",
    });
    expect(stopped.title).toBe("Stopped at “Partition /dev/nvme0n1”");
    expect(stopped.lines[0]).toBe(
      "Stopped: both /mnt/x and /mnt/persistent/x exist.",
    );
    expect(stopped.lines.join(" ")).toMatch(
      /nothing was overwritten or undone/,
    );
    const tool = said(3, {
      reason: "missing-tool",
      text: 'Step 1 "Partition /dev/nvme0n1" needs sgdisk, which this machine does not have.',
    });
    expect(tool.lines[0]).toMatch(/needs sgdisk/);
  });

  it("uses the step script's own exit statuses", () => {
    const statuses = Object.fromEntries(
      [...STEPS_LIB.matchAll(/^TABULA_EXIT_([A-Z_]+)=(\d+)$/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    expect(statuses).toMatchObject({
      REFUSED: 2,
      MISSING_TOOL: 3,
      NOT_CONFIRMED: 4,
    });
  });

  it("after prepare, says to export the design for the LiveCD", () => {
    const s = runSummary(
      sampleStatus({ phase: "prepare", state: "succeeded", exitCode: 0 }),
      installDesign(),
      how(),
    )!;
    expect(s.lines.join(" ")).toMatch(
      /Export.*\.tabula\.json.*Import the file/,
    );
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
