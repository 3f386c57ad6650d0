// What just happened and what to do next, after a run ends, in plain words.
import type { Design } from "../../../shared/design/types";
import type { RunStatus } from "../../../shared/progress/types";

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
  const counts = `${done} steps done${skipped ? `, ${skipped} already done before` : ""}.`;

  if (status.state === "cancelled")
    return {
      tone: "warn",
      title: "Cancelled",
      lines: [
        `The run was stopped${failed ? ` during “${failed.title}”` : ""}. ${counts}`,
        "Every step checks what is already done, so running the same phase again picks up where this one stopped.",
      ],
    };

  if (status.state === "failed")
    return {
      tone: "danger",
      title: failed ? `Failed at “${failed.title}”` : "The run failed",
      lines: [
        `The script stopped with exit code ${status.exitCode ?? "unknown"}. ${counts}`,
        "The terminal shows the command that failed and its message; the last lines say why.",
        "Fix the cause and run the phase again: finished steps are skipped, nothing is done twice.",
        "Save the log if you want help: it holds every command and its output.",
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
      "The new configuration is built and set as the next boot entry; the running system is unchanged.",
      "Next: boot the NixOS LiveCD, start Tabula, open this design and run the migrate phase. Your old generations stay in the boot menu in case you need them.",
    ],
    migrate: [
      "What you keep is now under persistent/ on the partition; everything else is in old-root/ (nothing was deleted).",
      "Reboot into the stateless system. When everything works, you can delete old-root/, or use Recover to bring back a path you missed.",
    ],
    bootloader: ["The bootloader now starts the stateless system. Reboot."],
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
