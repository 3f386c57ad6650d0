// The layouts of test/fixtures/machine/layouts (see its README): the texts
// lsblk, findmnt, /etc/fstab and /proc/swaps give on each, read with the
// probe's own parsers, and the machine facts the probe makes of them. The
// firmware and which boot files exist are not in the texts: they are here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildDisks } from "../../../../electron/backend/probe-disks";
import { parseFindmnt } from "../../../../electron/backend/probe-findmnt";
import {
  bootMountOf,
  detectLayout,
  type LayoutInput,
} from "../../../../electron/backend/probe-layout";
import { parseLsblk } from "../../../../electron/backend/probe-lsblk";
import {
  parseFstab,
  parseProcSwaps,
} from "../../../../electron/backend/probe-proc";
import { fsFacts } from "../../../../electron/backend/probe";
import type { MachineFacts } from "../../../../shared/machine/types";

export const LAYOUTS = {
  "ext4-esp": {
    firmware: "uefi",
    existing: ["/boot/loader/entries", "/boot/EFI/systemd/systemd-bootx64.efi"],
  },
  "esp-boot-efi": { firmware: "uefi", existing: ["/boot/grub/grub.cfg"] },
  "bios-grub": { firmware: "bios", existing: ["/boot/grub/grub.cfg"] },
  "btrfs-subvolumes": { firmware: "uefi", existing: ["/boot/loader/entries"] },
  "luks-ext4": {
    firmware: "uefi",
    existing: ["/boot/EFI/systemd/systemd-bootx64.efi"],
  },
  "lvm-on-luks": { firmware: "uefi", existing: ["/boot/loader/entries"] },
  "home-partition": { firmware: "uefi", existing: ["/boot/loader/entries"] },
  swapfile: { firmware: "uefi", existing: ["/boot/loader/entries"] },
  "xfs-root": { firmware: "uefi", existing: ["/boot/loader/entries"] },
} as const satisfies Record<
  string,
  { firmware: "uefi" | "bios"; existing: readonly string[] }
>;

export type LayoutName = keyof typeof LAYOUTS;
export const LAYOUT_NAMES = Object.keys(LAYOUTS) as LayoutName[];

function text(name: string, file: string): string {
  // A path, not a URL from import.meta.url: DOM test environments change it.
  return readFileSync(
    join(import.meta.dirname, "../../../fixtures/machine/layouts", name, file),
    "utf8",
  );
}

/** What detectLayout gets on this layout (changes: fields to replace). */
export function layoutInput(
  name: LayoutName,
  changes: Partial<LayoutInput> = {},
): LayoutInput {
  return {
    osKind: "nixos",
    devices: parseLsblk(text(name, "lsblk.json")),
    mounts: parseFindmnt(text(name, "findmnt.json")),
    fstab: parseFstab(text(name, "fstab")),
    swaps: parseProcSwaps(text(name, "swaps")),
    firmware: LAYOUTS[name].firmware,
    existing: new Set(LAYOUTS[name].existing),
    ...changes,
  };
}

/** The machine facts the probe reports on this layout, running it (an installed NixOS with a flake, host "tern"). */
export function layoutFacts(name: LayoutName): MachineFacts {
  const input = layoutInput(name);
  const root = input.mounts.find((m) => m.target === "/")!;
  const bootMount = bootMountOf(input.mounts);
  const boot = input.mounts.find((m) => m.target === bootMount);
  return {
    machine: "real",
    os: {
      kind: "nixos",
      prettyName: "NixOS 25.11 (Xantusia)",
      versionId: "25.11",
    },
    firmware: input.firmware,
    memoryBytes: 16 * 1024 ** 3,
    disks: buildDisks(input.devices, {
      swaps: input.swaps,
      bootMedium: new Set(),
    }),
    mounts: input.mounts.map((m) => ({
      target: m.target,
      source: m.source,
      fsType: m.fsType,
      options: m.options,
    })),
    rootFs: fsFacts(root, input.devices, input.fstab),
    bootFs: boot
      ? {
          ...fsFacts(boot, input.devices, input.fstab),
          mountPoint: boot.target,
        }
      : null,
    nixosConfig: { dir: "/etc/nixos", isFlake: true, flakeAttr: "tern" },
    layout: detectLayout(input),
    rootIsTmpfs: false,
    installs: [],
    tools: {},
    warnings: [],
  };
}
