// Presets and per-path reasons for the Persistence screen, and the essentials
// every new design starts with. Shaped for the screen: each entry knows
// whether it is a system path or one relative to a home, and why it is kept.
import type { DirPerms } from "../../../shared/design/types";
import type { EntryKind } from "./entries";
import type { BaseEntries } from "./new-design";

export interface PresetEntry {
  kind: EntryKind;
  path: string;
  scope: "system" | "user";
  reason: string;
  perms?: DirPerms;
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  entries: PresetEntry[];
}

const ESSENTIALS: Preset = {
  id: "essentials",
  title: "Essentials",
  description: "What every stateless NixOS keeps.",
  entries: [
    {
      kind: "directory",
      path: "/var/lib/nixos",
      scope: "system",
      reason:
        "uid and gid assignments; without it, ids of users and groups without a fixed id change at every boot (impermanence warns).",
    },
    {
      kind: "directory",
      path: "/var/log",
      scope: "system",
      reason: "The journal and logs, to read what happened before a reboot.",
    },
    {
      kind: "directory",
      path: "/var/lib/systemd/coredump",
      scope: "system",
      reason: "Crash dumps, kept to debug a crash after the reboot.",
    },
    {
      kind: "directory",
      path: "/var/lib/systemd/timers",
      scope: "system",
      reason:
        "When persistent timers last ran, so they do not all fire at every boot.",
    },
    {
      kind: "file",
      path: "/etc/machine-id",
      scope: "system",
      reason:
        "The machine's identity; the journal and many services key their state on it.",
    },
    ...["ed25519", "rsa"].flatMap((k) =>
      ["", ".pub"].map((ext): PresetEntry => ({
        kind: "file",
        path: `/etc/ssh/ssh_host_${k}_key${ext}`,
        scope: "system",
        reason:
          "SSH host key; regenerated at every boot otherwise, and clients then warn of a changed host.",
      })),
    ),
  ],
};

export function presets(): Preset[] {
  return [ESSENTIALS];
}

/** Why a path is usually kept, if a preset lists it. */
export function reasonFor(
  path: string,
  scope: "system" | "user",
): PresetEntry | null {
  for (const p of presets())
    for (const e of p.entries)
      if (e.scope === scope && e.path === path) return e;
  return null;
}

export function baseEntries(): BaseEntries {
  const system = ESSENTIALS.entries.filter((e) => e.scope === "system");
  return {
    directories: system
      .filter((e) => e.kind === "directory")
      .map((e) => e.path),
    files: system.filter((e) => e.kind === "file").map((e) => e.path),
  };
}
