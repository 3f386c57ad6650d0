// What just happened and what to do next, after a run ends, in plain words.
import type { Design } from "../../../shared/design/types";
import type { RunStatus } from "../../../shared/progress/types";
import { plural } from "../format";

/** Exit statuses of the step script (shared/plan/steps-lib/00-core.sh, TABULA_EXIT_*). */
const EXIT_REFUSED = 2;
const EXIT_MISSING_TOOL = 3;
const EXIT_NOT_CONFIRMED = 4;

/**
 * How to go back, said the same way after every phase of a conversion: the
 * revert phase undoes the migration by renames, also one that stopped half
 * way, and makes the old system the default boot entry again.
 */
export const ROLLBACK =
  "To go back to the system you had: boot the LiveCD and run this design's revert phase (Review, Phase to run: revert). It moves every path back where it was, takes Tabula's change out of your configuration and makes the old system the default boot entry again; until migrate has run, there is nothing to move back.";

export interface RunSummary {
  tone: "ok" | "danger" | "warn";
  title: string;
  lines: string[];
}

/** How the run really went, as the backend said when it started it (runPhase). */
export interface HowItRan {
  /** Nothing was changed: every command was only printed. */
  dryRun: boolean;
  /** A dry run the user asked for (else the backend made it one, e.g. the sandbox). */
  askedDryRun: boolean;
  /** On the sandbox's pretend machine. */
  sandbox: boolean;
  /** The backend's sentence on what really ran, if any. */
  note: string | null;
}

export function runSummary(
  status: RunStatus,
  design: Design | null,
  how: HowItRan,
): RunSummary | null {
  if (status.state === "running") return null;
  const failed = status.steps.find((s) => s.state === "failed");
  const done = status.steps.filter((s) => s.state === "done").length;
  const skipped = status.steps.filter((s) => s.state === "skipped").length;
  const counts = `${plural(done, "step")} done${skipped ? `, ${skipped} skipped (nothing left to do there)` : ""}.`;
  const step = failed ? `“${failed.title}”` : "the next step";
  // Steps where a dry run found that the real run would stop.
  const stops = status.steps.filter((s) => s.wouldStop);
  const stopsAt = stops.map((s) => `“${s.title}”`).join(", ");

  // The step script's exit statuses (docs/step-script.md, "Exit status").
  if (status.exitCode === EXIT_NOT_CONFIRMED)
    return {
      tone: "warn",
      title: "Stopped: not confirmed",
      lines: [
        `The answer typed in the terminal was not the one asked for, so ${step} did not run: nothing in it changed. ${counts}`,
        "When you are ready, run the phase again (it picks up here) and type exactly what the terminal asks for.",
      ],
    };

  if (status.state === "cancelled")
    return {
      tone: "warn",
      title: "Cancelled",
      lines: [
        `The run was stopped${failed ? ` during ${step}` : ""}. ${counts}`,
        "Every step checks what is already done, so running the same phase again picks up where this one stopped.",
      ],
    };

  // The script's own sentence on why it stopped, when it said one.
  const said = status.why;

  if (status.exitCode === EXIT_REFUSED)
    return {
      tone: "danger",
      title: failed ? `Refused at ${step}` : "Refused",
      lines: [
        said?.reason === "refused"
          ? `Refused: ${said.text}`
          : "The terminal says why, on the line that starts with “Refused:”.",
        `A check stopped the run before ${step} changed anything. ${counts}`,
        "Fix what it names (in the design: go back to Review and make the plan again; or on this machine), then run the phase again: finished steps are skipped.",
      ],
    };

  if (status.exitCode === EXIT_MISSING_TOOL)
    return {
      tone: "danger",
      title: failed
        ? `Stopped at ${step}: a tool is missing`
        : "Stopped: a tool is missing",
      lines: [
        ...(said?.reason === "missing-tool"
          ? [said.text, counts]
          : [
              `This machine lacks a program ${step} needs; the terminal names it. ${counts}`,
            ]),
        "Run this phase where that program exists (the Tabula LiveCD, or the NixOS system itself): finished steps are skipped.",
      ],
    };

  if (status.state === "failed" && said?.reason === "stopped")
    return {
      tone: "danger",
      title: failed ? `Stopped at ${step}` : "Stopped",
      lines: [
        `Stopped: ${said.text}`,
        `The step found the files not as it expects, and stopped before touching them: nothing was overwritten or undone. ${counts}`,
        "Do what the sentence above says, then run the phase again: finished steps are skipped, and the step picks up from what is on disk.",
      ],
    };

  if (status.state === "failed")
    return {
      tone: "danger",
      title: failed ? `Failed at ${step}` : "The run failed",
      lines: [
        ...(said?.reason === "failed"
          ? [`In ${step}, ${said.text}`, counts]
          : [
              `The script stopped with exit code ${status.exitCode ?? "unknown"}. ${counts}`,
            ]),
        "The terminal shows the command's own message just above the line saying it failed.",
        "Fix the cause and run the phase again: finished steps are skipped, nothing is done twice.",
        "Save the log if you want help: it holds every command and its output.",
      ],
    };

  if (how.dryRun && how.askedDryRun && stops.length)
    return {
      tone: "warn",
      title: "Dry run finished: the real run would stop",
      lines: [
        `Nothing was changed. The real run would stop at ${stopsAt}: the end of the terminal says why, under “The real run would stop”.`,
        "Fix what it names (in the design: go back to Review and make the plan again; or on this machine), then dry-run again before the real run.",
      ],
    };

  if (how.dryRun && how.askedDryRun)
    return {
      tone: "ok",
      title: "Dry run finished: nothing was changed",
      lines: [
        "Every command was printed in the terminal. Go back to Review to start the real run.",
      ],
    };

  const host = design?.hostname ?? "the new system";
  const lines: Record<string, string[]> = {
    install: [
      `NixOS “${host}” is installed on ${design?.disk?.device ?? "the disk"}.`,
      "Remove the installation medium and reboot. / starts empty at every boot; what you chose to keep is under /nix/persistent.",
      "Your configuration is in /etc/nixos (kept in /nix/persistent/etc/nixos): change it there and run nixos-rebuild switch.",
    ],
    prepare: [
      "The stateless system is built and the system profile points to it. The boot menu is untouched: this machine still boots its old system, so nothing changes until you migrate.",
      "Next, keep this design where the LiveCD can read it: Export (top right) saves it as a .tabula.json file; copy that to a USB stick or another disk. The LiveCD's Tabula starts empty, and migrate must use the same design that prepare ran.",
      "Then boot the NixOS LiveCD, start Tabula, Import the file and run the migrate phase.",
      ROLLBACK,
    ],
    migrate: [
      design?.convert?.nix
        ? "What you keep stays where it was on the old root, which is now the persistent storage; everything else is in its old-root/ (nothing was deleted)."
        : "What you keep is now under persistent/ on the partition; everything else is in old-root/ (nothing was deleted).",
      "The stateless system is the default boot entry now: reboot into it. When everything works, you can delete old-root/, or use Recover to bring back a path you missed.",
      ROLLBACK,
    ],
    bootloader: [
      "The stateless system is the default boot entry now. Reboot.",
      ROLLBACK,
    ],
    revert: [
      "Every path is back where it was before the migration, with its own inode, owner and mode, and the system that booted before the conversion is the default boot entry again. Reboot into it.",
      "Tabula's folder /.tabula stays on the partition (the journal, the plan, the stateless build): delete it when you no longer want to convert again.",
    ],
    recover: [
      "The chosen paths are in persistent storage and in the persistence configuration.",
      "Reboot to have them mounted from persistent storage.",
    ],
  };
  const next = lines[status.phase] ?? [];
  const why = how.note ? [how.note] : [];
  // A dry run the backend chose (the sandbox, where this phase cannot really run).
  if (how.dryRun)
    return {
      tone: "ok",
      title: "Dry run finished: nothing was changed",
      lines: [
        ...why,
        "Every command was printed in the terminal.",
        ...(stops.length
          ? [
              `On this machine the real run would stop at ${stopsAt} (the end of the terminal says why)${how.sandbox ? ": the sandbox's disks and system are pretend, so its checks find them missing" : ""}.`,
            ]
          : []),
        ...(next.length
          ? ["On a real machine, the real run would end with:", ...next]
          : []),
      ],
    };
  if (how.sandbox)
    return {
      tone: "ok",
      title: "Finished in the sandbox",
      lines: [
        counts,
        ...why,
        ...(next.length
          ? ["On a real machine, the result would be:", ...next]
          : []),
      ],
    };
  return { tone: "ok", title: "Finished", lines: [counts, ...why, ...next] };
}
