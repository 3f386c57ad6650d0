// Convert an existing NixOS install in place (the reference article's
// procedure), in three phases:
//   prepare     on the running system: add the modules and the flake changes,
//               check the build, nixos-rebuild boot, write .tabula/migration.json
//   migrate     from the LiveCD: persisted paths into persistent/, the rest of
//               the old root into old-root/, nix/* hoisted to the top
//   bootloader  from the LiveCD: mount the new layout, reinstall the bootloader
import type { Design, FsRef } from "../design/types";
import { nixAttr, storageOnPartition } from "./install";
import { MODULES_DIR, QUARANTINE, TABULA_DIR } from "./labels";
import {
  mountCommand,
  mountFilesystemStep,
  mountTmpfsRootStep,
} from "./mount-steps";
import { persistedPaths, relativeToRoot } from "./persisted";
import { PLAN_DIR, TARGET, command, under } from "./quote";
import type { Phase, Step } from "./types";

const HOLD = `${TABULA_DIR}/nix-hoisting`;

export function preparePhase(design: Design): Phase {
  const convert = design.convert!;
  const config = convert.configDir;
  const modules = `${config}/${MODULES_DIR}`;
  const flakeRef = `${config}#${convert.flakeAttr}`;
  const toplevel = `${config}#nixosConfigurations.${nixAttr(convert.flakeAttr)}.config.system.build.toplevel`;
  const steps: Step[] = [
    {
      id: "check-system",
      title: "Check this is the system the design converts",
      explain: `NixOS, not yet stateless, its root filesystem is ${convert.device}, ${config} holds its flake, and every persisted path is on the root filesystem (a path on another mounted filesystem stays where it is).`,
      commands: [
        command(
          "tabula_check_prepare",
          convert.device,
          config,
          ...persistedRelatives(design),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["findmnt"],
    },
    {
      id: "copy-modules",
      title: `Copy the generated modules into ${modules}`,
      explain:
        "A file already there that differs is shown as a diff and replaced only with your consent; the old one is kept as FILE.~N~.",
      commands: [
        command(
          "tabula_install_modules",
          under(PLAN_DIR, MODULES_DIR),
          modules,
        ),
        command("tabula_git_track", config, MODULES_DIR),
      ],
      destructive: false,
      weight: 1,
      requires: ["cp", "cmp", "diff"],
    },
    {
      id: "flake-changes",
      title: `Add impermanence and ./${MODULES_DIR} to ${config}/flake.nix`,
      explain:
        "The change is shown first and applied only with your consent (the old file is kept as flake.nix.orig, or flake.nix.~N~ if that name is taken). See flake-changes.md next to this script.",
      commands: [
        command(
          "tabula_apply_flake_patch",
          config,
          under(PLAN_DIR, "flake.patch"),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["patch", "grep"],
    },
    {
      id: "check-build",
      title: "Check that the new configuration builds",
      explain:
        "Nothing on the system changes until this succeeds; the build is reused by the next step.",
      commands: [
        command(
          "nix",
          "build",
          "--extra-experimental-features",
          "nix-command flakes",
          "--no-link",
          "--log-format",
          "internal-json",
          "-v",
          toplevel,
        ),
      ],
      destructive: false,
      weight: 20,
      requires: ["nix"],
    },
    {
      id: "rebuild-boot",
      title: "Make it the next boot's configuration (nixos-rebuild boot)",
      explain:
        "Never switch: the running system keeps its root until the LiveCD moves it. The old generations stay in the boot menu.",
      commands: [
        command(
          "nixos-rebuild",
          "boot",
          "--flake",
          flakeRef,
          "--log-format",
          "internal-json",
          "-v",
        ),
      ],
      destructive: false,
      weight: 5,
      requires: ["nixos-rebuild"],
    },
    {
      id: "write-migration",
      title: "Record the migration on the root filesystem (/.tabula)",
      explain:
        "/.tabula/migration.json tells phase migrate this partition was prepared by this plan; the plan itself is copied to /.tabula/plan for the LiveCD.",
      commands: [
        command("mkdir", "-p", "-m", "0700", "--", `/${TABULA_DIR}`),
        command("tabula_copy_plan", `/${TABULA_DIR}/plan`),
        command(
          "tabula_write_atomic",
          under(PLAN_DIR, "migration.json"),
          `/${TABULA_DIR}/migration.json`,
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["cp", "cmp", "sync"],
    },
  ];
  return {
    name: "prepare",
    title: `Prepare ${design.hostname} for conversion (running system)`,
    where: "running-system",
    steps,
    journal: [`/${TABULA_DIR}/journal`],
    summary: [
      "The stateless configuration is built and is the default boot entry, but the disk still has the old layout.",
      "Next: boot the Tabula LiveCD and run phase migrate (Tabula finds /.tabula/migration.json on the partition).",
      "By hand: mount the partition, copy its .tabula/plan folder to /tmp, unmount it, then: sudo bash /tmp/plan/steps.sh migrate",
      "Do not boot the new default entry before migrating: it expects the new layout. If you do, choose the previous generation in the boot menu; the old generations stay there.",
    ],
  };
}

/** Persisted paths relative to "/", outermost first. */
export function persistedRelatives(design: Design): string[] {
  return persistedPaths(design.persistence, design.users).map((p) =>
    relativeToRoot(p.path),
  );
}

export function migratePhase(design: Design): Phase {
  const convert = design.convert!;
  const store = storageOnPartition(design.persistence.storage)!;
  const rels = persistedRelatives(design);
  const dev = convert.device;
  const skipWithTarget = (check: string) => `tabula_target_given || ${check}`;
  const steps: Step[] = [
    {
      id: "mount-old-root",
      title: `Mount the old root ${dev} at the target`,
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
        done: "the old root is already mounted",
      },
    },
    {
      id: "check-old-root",
      title: "Check the target is this system's old root",
      explain: `It must hold .tabula/migration.json of this plan (or --force), look like a NixOS root, and hold none of the names the migration creates (${store}/, ${QUARANTINE}/).`,
      commands: [command("tabula_check_old_root", store, QUARANTINE, ...rels)],
      destructive: false,
      weight: 1,
      requires: ["findmnt", "stat", "grep"],
    },
    {
      id: "persist",
      title: `Move the persisted paths into ${store}/`,
      explain: `Each path is renamed (never copied) from TARGET/PATH to TARGET/${store}/PATH, outermost first; missing parent folders are created with the original owner and mode.`,
      commands: [
        command("tabula_make_storage", TARGET, store),
        ...rels.map((rel) => command("tabula_persist", store, rel)),
      ],
      destructive: true,
      confirm: dev,
      weight: 3,
      requires: ["mv", "stat", "chown", "chmod"],
      guard: {
        check: command("tabula_migrate_past", "persist", QUARANTINE),
        done: "every persisted path has already moved",
      },
    },
    {
      id: "quarantine",
      title: `Move the rest of the old root into ${QUARANTINE}/`,
      explain: `Everything at the top except nix/, ${store.split("/")[0]}/ and ${TABULA_DIR}/ is renamed into ${QUARANTINE}/. Nothing is deleted: look through it and delete it yourself when you are sure.`,
      commands: [command("tabula_quarantine", store, QUARANTINE, ...rels)],
      destructive: true,
      confirm: dev,
      weight: 3,
      requires: ["mv", "stat"],
      guard: {
        check: command("tabula_migrate_past", "quarantine", QUARANTINE),
        done: `the old root is already in ${QUARANTINE}/`,
      },
    },
    {
      id: "hoist",
      title: "Hoist nix/* to the top of the partition",
      explain: `The partition becomes /nix: nix/store becomes store/, nix/var becomes var/. nix/ is first renamed to ${HOLD} so a rerun knows the hoist began; the empty folder is removed at the end.`,
      commands: [command("tabula_hoist", store, QUARANTINE)],
      destructive: true,
      confirm: dev,
      weight: 2,
      requires: ["mv", "stat", "rmdir"],
      guard: {
        check: command("tabula_migrate_past", "hoist", QUARANTINE),
        done: "nix/ is already hoisted",
      },
    },
    {
      id: "unmount-old-root",
      title: "Unmount the partition",
      commands: ["sync", command("umount", "--", TARGET)],
      destructive: false,
      weight: 1,
      requires: ["umount"],
      guard: {
        check: skipWithTarget(command("tabula_not_mounted", TARGET)),
        done: "the partition is not mounted",
      },
    },
    ...bootloaderSteps(design, true),
  ];
  return {
    name: "migrate",
    title: `Move ${design.hostname}'s old root aside and make the partition /nix`,
    where: "livecd",
    steps,
    target: {
      default: "/mnt",
      meaning:
        "where the old root partition is mounted; with --target only the files are moved",
    },
    userWithTarget: true,
    journal: [
      under(TARGET, `${TABULA_DIR}/journal`).raw,
      under(TARGET, `nix/${TABULA_DIR}/journal`).raw,
    ],
    summary: [
      `The partition is now /nix: persisted state is in ${design.persistence.storage}, the rest of the old root in /nix/${QUARANTINE} (nothing was deleted).`,
      "With --target, run phase bootloader next; otherwise the bootloader was reinstalled from the new layout.",
      "Reboot. The generations built before the conversion expect the old layout and no longer boot; the new one does.",
      `Missed something? Everything is still in /nix/${QUARANTINE}: make a recover design to bring paths back.`,
    ],
  };
}

/** The bootloader steps; inside phase migrate they are skipped with --target. */
function bootloaderSteps(design: Design, insideMigrate: boolean): Step[] {
  const convert = design.convert!;
  const boot = convert.boot!;
  const nix = under(TARGET, "nix");
  const bootAt = under(TARGET, "boot");
  const skip = (check: string) => `tabula_target_given || ${check}`;
  const yours = {
    check: command(
      "tabula_target_given",
      "the caller owns the mounts and runs phase bootloader itself",
    ),
    done: "--target was given",
  };
  return [
    mountTmpfsRootStep({
      id: "mount-new-root",
      title: "Mount a tmpfs as the new root at the target",
      size: design.root.size,
      guardWrap: skip,
    }),
    mountFilesystemStep({
      id: "mount-new-nix",
      name: "/nix",
      fs: convert,
      at: nix,
      guardWrap: skip,
    }),
    {
      id: "check-new-layout",
      title: "Check the partition has the new layout",
      commands: ["tabula_check_new_layout"],
      destructive: false,
      weight: 1,
      requires: [],
      guard: insideMigrate ? yours : undefined,
    },
    mountFilesystemStep({
      id: "mount-boot",
      name: "/boot",
      fs: boot,
      at: bootAt,
      guardWrap: skip,
    }),
    {
      id: "install-bootloader",
      title: "Reinstall the bootloader from the new layout",
      explain:
        "The store moved, so the paths the bootloader knows changed: install it again the way nixos-install ends.",
      commands: [
        `NIXOS_INSTALL_BOOTLOADER=1 ${command(
          "nixos-enter",
          "--root",
          TARGET,
          "--",
          "/nix/var/nix/profiles/system/bin/switch-to-configuration",
          "boot",
        )}`,
      ],
      destructive: false,
      weight: 3,
      requires: ["nixos-enter"],
      guard: insideMigrate ? yours : undefined,
    },
    {
      id: "unmount-new-layout",
      title: "Unmount the target",
      commands: ["sync", command("umount", "-R", "--", TARGET)],
      destructive: false,
      weight: 1,
      requires: ["umount"],
      guard: {
        check: skip(command("tabula_not_mounted", TARGET)),
        done: "the target is not mounted",
      },
    },
  ];
}

export function bootloaderPhase(design: Design): Phase {
  return {
    name: "bootloader",
    title: `Reinstall ${design.hostname}'s bootloader from the new layout`,
    where: "livecd",
    steps: bootloaderSteps(design, false),
    target: {
      default: "/mnt",
      meaning: "where the new layout is mounted: tmpfs root, /nix, /boot",
    },
    journal: [under(TARGET, `nix/${TABULA_DIR}/journal`).raw],
    summary: ["The bootloader now boots the stateless system. Reboot."],
  };
}

/** A filesystem as plain data for migration.json. */
export function fsRef(ref: FsRef): FsRef {
  return { device: ref.device, fsType: ref.fsType, options: [...ref.options] };
}
