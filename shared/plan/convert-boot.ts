// The steps of a conversion that assemble a layout on the LiveCD and boot
// from it: opening a LUKS container under the root, mounting the new layout
// (tmpfs root, /nix, the storage when the old root becomes it, the boot
// filesystem at its own mount point), and installing the bootloader from it
// the way nixos-install ends. Phase bootloader is these steps; phase migrate
// ends with them (skipped with --target); phase revert uses the LUKS and
// boot mounts for the old layout.
import { convertLayout } from "../design/convert-layout";
import type { ConvertDesign, Design, LuksRef } from "../design/types";
import {
  mountCommand,
  mountFilesystemStep,
  mountTmpfsRootStep,
} from "./mount-steps";
import { TARGET, command, under } from "./quote";
import type { Step } from "./types";

/** `tabula_target_given || CHECK`: with --target the caller owns the mounts. */
export const skipWithTarget = (check: string): string =>
  `tabula_target_given || ${check}`;

/**
 * Mounts the old root filesystem itself at the target (migrate, revert),
 * refusing the running system's own root or a target that is a mount
 * point already; skipped with --target.
 */
export function mountOldRootStep(
  convert: ConvertDesign,
  id: string,
  title: string,
): Step {
  const dev = convert.device;
  return {
    id,
    title,
    explain:
      "With --target this step is skipped: the partition is then already mounted there (or the target is a plain folder).",
    commands: [
      command("tabula_check_not_running_root", dev),
      command("tabula_check_mount_point", TARGET),
      command("mkdir", "-p", "--", TARGET),
      mountCommand(convert.fsType, convert.options, dev, TARGET),
    ],
    destructive: false,
    weight: 1,
    requires: ["mount", "findmnt", "mountpoint"],
    guard: {
      check: skipWithTarget(command("tabula_is_mounted", TARGET, dev)),
      done: "the partition is already mounted",
    },
  };
}

/** The way nixos-install ends: the profile's system installs its bootloader inside the root at the target. */
export const SWITCH_TO_CONFIGURATION_BOOT = `NIXOS_INSTALL_BOOTLOADER=1 ${command(
  "nixos-enter",
  "--root",
  TARGET,
  "--",
  "/nix/var/nix/profiles/system/bin/switch-to-configuration",
  "boot",
)}`;

/** Opens the LUKS container the root filesystem is in (cryptsetup asks for the passphrase). */
export function openLuksStep(luks: LuksRef): Step {
  return {
    id: "open-luks",
    title: `Open the LUKS container ${luks.device} as /dev/mapper/${luks.name}`,
    explain:
      "cryptsetup asks for the passphrase here, in the terminal. With --target this step is skipped: whoever mounted it opened it.",
    commands: [command("cryptsetup", "open", luks.device, luks.name)],
    destructive: false,
    weight: 1,
    requires: ["cryptsetup"],
    guard: {
      check: skipWithTarget(command("tabula_luks_open", luks.name)),
      done: "it is open",
    },
  };
}

/** The unmount step that ends a LiveCD phase, closing the LUKS container too. */
export function unmountStep(id: string, luks: LuksRef | undefined): Step {
  return {
    id,
    title: luks
      ? `Unmount the target and close /dev/mapper/${luks.name}`
      : "Unmount the target",
    commands: [
      "sync",
      command("tabula_unmount", TARGET),
      ...(luks ? [command("tabula_close_luks", luks.name)] : []),
    ],
    destructive: false,
    weight: 1,
    requires: ["umount", ...(luks ? ["cryptsetup"] : [])],
    guard: {
      check: skipWithTarget(
        luks
          ? `{ ${command("tabula_not_mounted", TARGET)} && ! ${command("tabula_luks_active", luks.name)} >/dev/null; }`
          : command("tabula_not_mounted", TARGET),
      ),
      done: luks
        ? `the target is not mounted and /dev/mapper/${luks.name} is closed`
        : "the target is not mounted",
    },
  };
}

/** Mounts the boot filesystem at its own mount point under the target ("/boot", "/boot/efi"). */
export function mountBootStep(design: Design, id = "mount-boot"): Step[] {
  const boot = design.convert!.boot;
  if (!boot) return [];
  const at = boot.mountPoint ?? "/boot";
  return [
    mountFilesystemStep({
      id,
      name: at,
      fs: boot,
      at: under(TARGET, at.slice(1)),
      guardWrap: skipWithTarget,
    }),
  ];
}

/** The bootloader steps; inside phase migrate they are skipped with --target. */
export function bootloaderSteps(
  design: Design,
  insideMigrate: boolean,
): Step[] {
  const convert = design.convert!;
  const layout = convertLayout(design);
  const yours = {
    check: command(
      "tabula_target_given",
      "the caller owns the mounts and runs phase bootloader itself",
    ),
    done: "--target was given",
  };
  const storageMount =
    layout.kind === "own-nix"
      ? [
          mountFilesystemStep({
            id: "mount-new-storage",
            name: design.persistence.storage,
            fs: convert,
            at: under(TARGET, design.persistence.storage.slice(1)),
            guardWrap: skipWithTarget,
          }),
        ]
      : [];
  return [
    ...(convert.luks && !insideMigrate ? [openLuksStep(convert.luks)] : []),
    mountTmpfsRootStep({
      id: "mount-new-root",
      title: "Mount a tmpfs as the new root at the target",
      size: design.root.size,
      guardWrap: skipWithTarget,
    }),
    mountFilesystemStep({
      id: "mount-new-nix",
      name: "/nix",
      fs: convert.nix ?? convert,
      at: under(TARGET, "nix"),
      guardWrap: skipWithTarget,
    }),
    ...storageMount,
    {
      id: "check-new-layout",
      title: "Check the new layout and the system phase prepare built",
      commands: [
        command("tabula_check_new_layout", layout.kind, layout.tabulaDir),
      ],
      destructive: false,
      weight: 1,
      requires: [],
      guard: insideMigrate ? yours : undefined,
    },
    ...mountBootStep(design),
    {
      id: "install-bootloader",
      title: "Make the stateless system the default boot entry",
      explain: [
        "The store moved, so the paths the bootloader knows changed: install it again from the new layout, the way nixos-install ends. etc/NIXOS marks the new root as NixOS for nixos-enter; the system profile is pointed at the system phase prepare built when it points elsewhere.",
        ...(layout.grubBootDir
          ? [
              `GRUB finds its files in ${layout.grubBootDir} (the old /boot folder, on the partition) and the kernels in /nix/store.`,
            ]
          : []),
      ].join(" "),
      commands: [
        command("tabula_mark_nixos", design.persistence.storage),
        command("tabula_point_profile", layout.tabulaDir),
        SWITCH_TO_CONFIGURATION_BOOT,
      ],
      destructive: false,
      weight: 3,
      requires: ["nixos-enter", "nix-env"],
      guard: insideMigrate ? yours : undefined,
    },
    unmountStep("unmount-new-layout", convert.luks),
  ];
}
