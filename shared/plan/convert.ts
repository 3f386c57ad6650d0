// Convert an existing NixOS install in place (the reference article's
// procedure), in phases (shared/design/convert-layout.ts says what happens
// to which layout):
//   prepare     on the running system: the layout checks migrate runs again,
//               the modules and the configuration change, nixos-rebuild
//               build, the system profile pointed at it (the bootloader is
//               untouched: the machine boots its old system until migrate),
//               .tabula/migration.json
//   migrate     from the LiveCD: persisted paths into persistent/, the rest of
//               the old root into old-root/, nix/* hoisted to the top (or,
//               when /nix is its own filesystem, the rest into old-root/ and
//               the old root kept as the storage), then the bootloader steps
//   bootloader  from the LiveCD: mount the new layout, make the stateless
//               system the default boot entry (./convert-boot.ts)
//   revert      from the LiveCD: undo the migration (./revert.ts)
import { convertLayout } from "../design/convert-layout";
import type { Design, FsRef } from "../design/types";
import { configChanges } from "../flake/flake-changes";
import {
  bootloaderSteps,
  mountOldRootStep,
  openLuksStep,
  skipWithTarget,
} from "./convert-boot";
import { nixAttr } from "./install";
import { MODULES_DIR, QUARANTINE, TABULA_DIR } from "./labels";
import { persistedPaths, relativeToRoot } from "./persisted";
import { PLAN_DIR, TARGET, command, under } from "./quote";
import type { Phase, Step } from "./types";

const HOLD = `${TABULA_DIR}/nix-hoisting`;

/** The words after `nixos-rebuild build` that build the design's configuration. */
function rebuildArgs(design: Design): string[] {
  const c = design.convert!;
  const source =
    c.configType === "configuration.nix"
      ? ["-I", `nixos-config=${c.configDir}/configuration.nix`]
      : ["--flake", `${c.configDir}#${c.flakeAttr}`];
  return [...source, "--log-format", "internal-json", "-v"];
}

/**
 * The arguments of tabula_check_layout (and of the checks that end in it):
 * STORE QUAR LAYOUT KEEP REL..., every path that moves or stays last.
 */
export function layoutCheckArgs(design: Design): string[] {
  const layout = convertLayout(design);
  return [
    layout.store,
    QUARANTINE,
    layout.kind,
    layout.keep.join("/"),
    ...movedRelatives(design),
  ];
}

export function preparePhase(design: Design): Phase {
  const convert = design.convert!;
  const config = convert.configDir;
  const modules = `${config}/${MODULES_DIR}`;
  const changes = configChanges(design);
  const own = convert.nix !== undefined;
  const tabula = `/${TABULA_DIR}`;
  const steps: Step[] = [
    {
      id: "check-system",
      title: "Check this is the system the design converts",
      explain: `NixOS, not yet stateless, its root filesystem is ${convert.device}${own ? ` and /nix is ${convert.nix!.device}` : ""}, ${config} holds its ${changes.file}, its nixpkgs is 24.11 or later, and the layout is what phase migrate expects: the same checks migrate runs again, so nothing is built for a layout the migration would then refuse.`,
      commands: [
        command(
          "tabula_check_prepare",
          convert.device,
          convert.configType ?? "flake",
          config,
          convert.nix?.device ?? "",
          ...layoutCheckArgs(design),
        ),
        command(
          "tabula_check_kinds",
          "",
          "persistence",
          ...persistedKinds(design),
        ),
        command(
          "tabula_check_nixpkgs",
          convert.configType ?? "flake",
          config,
          nixAttr(convert.flakeAttr ?? ""),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["findmnt", "nix", "nix-instantiate"],
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
      id: "config-changes",
      title:
        changes.file === "flake.nix"
          ? `Add impermanence and ./${MODULES_DIR} to ${config}/flake.nix`
          : `Add ./${MODULES_DIR} to the imports of ${config}/configuration.nix`,
      explain: `The change is shown first and applied only with your consent (the old file is kept as ${changes.file}.orig, or ${changes.file}.~N~ if that name is taken). See ${changes.docName} next to this script.`,
      commands: [
        command(
          "tabula_apply_flake_patch",
          config,
          under(PLAN_DIR, changes.patchName),
          changes.file,
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["patch", "grep"],
    },
    {
      id: "build-system",
      title: "Build the stateless system (nixos-rebuild build)",
      explain: `Built in ${tabula}, which keeps the result (${tabula}/result) for the LiveCD; nothing on the system changes until it succeeds.`,
      commands: [
        command("tabula_build_system", tabula, ...rebuildArgs(design)),
      ],
      destructive: false,
      weight: 20,
      requires: ["nixos-rebuild", "env"],
    },
    {
      id: "set-profile",
      title: "Point the system profile at it, without touching the bootloader",
      explain: `As nixos-rebuild boot does, but the boot menu's default stays the old system: the machine boots as it did until the migration, and phase bootloader makes the new one the default after it. The system the profile pointed to is kept in ${tabula}/previous-system, for phase revert.`,
      commands: [command("tabula_set_system_profile", tabula)],
      destructive: false,
      weight: 1,
      requires: ["nix-env"],
    },
    {
      id: "write-migration",
      title: "Record the migration on the root filesystem (/.tabula)",
      explain:
        "/.tabula/migration.json tells phase migrate this partition was prepared by this plan; the plan itself is copied to /.tabula/plan for the LiveCD.",
      commands: [
        command("mkdir", "-p", "-m", "0700", "--", tabula),
        command("tabula_copy_plan", `${tabula}/plan`),
        command(
          "tabula_write_atomic",
          under(PLAN_DIR, "migration.json"),
          `${tabula}/migration.json`,
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
    journal: [`${tabula}/journal`],
    summary: [
      "The stateless system is built and the system profile points to it; the bootloader is untouched, so this machine still boots its old system.",
      "Next: boot the Tabula LiveCD and run phase migrate (Tabula finds /.tabula/migration.json on the partition).",
      "By hand: mount the partition, copy its .tabula/plan folder to /tmp, unmount it, then: sudo bash /tmp/plan/steps.sh migrate",
      "Changed your mind? Nothing has moved: take the changes out of your configuration again (the old files are kept beside them) and rebuild as usual.",
    ],
  };
}

/** KIND:REL of every persisted path, for tabula_check_kinds. */
export function persistedKinds(design: Design): string[] {
  return persistedPaths(design.persistence, design.users).map(
    (p) => `${p.kind}:${relativeToRoot(p.path)}`,
  );
}

/** Persisted paths relative to "/", outermost first. */
export function persistedRelatives(design: Design): string[] {
  return persistedPaths(design.persistence, design.users).map((p) =>
    relativeToRoot(p.path),
  );
}

/**
 * What moves into the storage (hoist), or stays in it (own-nix): the
 * persisted paths and the swap files, and with own-nix GRUB's /boot folder.
 */
export function movedRelatives(design: Design): string[] {
  const layout = convertLayout(design);
  return [
    ...persistedRelatives(design),
    ...layout.swapFiles.map((f) => relativeToRoot(f.from)),
    ...(layout.kind === "own-nix" && layout.grubBootDir ? ["boot"] : []),
  ];
}

export function migratePhase(design: Design): Phase {
  const convert = design.convert!;
  const layout = convertLayout(design);
  const store = layout.store;
  const rels = movedRelatives(design);
  const dev = convert.device;
  const keep = layout.keep.join("/");
  const storeTop = store.split("/")[0];
  const moves: Step[] =
    layout.kind === "hoist"
      ? [
          {
            id: "persist",
            title: `Move the persisted paths into ${store}/`,
            explain: `Each path is renamed (never copied) from TARGET/PATH to TARGET/${store}/PATH, outermost first; missing parent folders are created with the original owner and mode.${layout.swapFiles.length ? " Swap files move the same way; swapDevices points there." : ""}`,
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
            explain: `Everything at the top except nix/, ${storeTop}/, ${TABULA_DIR}/${layout.keep.length ? ` and ${layout.keep.map((k) => `${k}/`).join(", ")} (GRUB's folder, which stays on the partition)` : ""} is renamed into ${QUARANTINE}/. Nothing is deleted: look through it and delete it yourself when you are sure.`,
            commands: [
              command("tabula_quarantine", store, QUARANTINE, keep, ...rels),
            ],
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
            explain: `The partition becomes /nix: nix/store becomes store/, nix/var becomes var/. nix/ is first renamed to ${HOLD} so a rerun knows the hoist began; the emptied folder is kept as ${TABULA_DIR}/nix-hoisted, for phase revert.`,
            commands: [command("tabula_hoist", store, QUARANTINE, keep)],
            destructive: true,
            confirm: dev,
            weight: 2,
            requires: ["mv", "stat"],
            guard: {
              check: command("tabula_migrate_past", "hoist", QUARANTINE),
              done: "nix/ is already hoisted",
            },
          },
        ]
      : [
          {
            id: "quarantine",
            title: `Move what is not kept into ${QUARANTINE}/ on the old root`,
            explain: `/nix is a filesystem of its own and stays; the old root becomes the storage (${design.persistence.storage}), so the persisted paths stay where they are and everything else is renamed into ${QUARANTINE}/ at the same place, its folders made with the original owner and mode. Nothing is deleted.`,
            commands: [
              command("tabula_quarantine_around", QUARANTINE, ...rels),
            ],
            destructive: true,
            confirm: dev,
            weight: 4,
            requires: ["mv", "stat", "chown", "chmod"],
          },
        ];
  const steps: Step[] = [
    ...(convert.luks ? [openLuksStep(convert.luks)] : []),
    mountOldRootStep(
      convert,
      "mount-old-root",
      `Mount the old root ${dev} at the target`,
    ),
    {
      id: "check-old-root",
      title: "Check the target is this system's old root",
      explain: `It must hold .tabula/migration.json of this plan (or --force), look like a NixOS root, pass the layout checks phase prepare ran, and hold none of the names the migration creates (${layout.kind === "hoist" ? `${storeTop}/, ` : ""}${QUARANTINE}/).`,
      commands: [
        command("tabula_check_not_running_root", dev),
        command("tabula_check_old_root", ...layoutCheckArgs(design)),
        command(
          "tabula_check_kinds",
          TARGET,
          "persistence",
          ...persistedKinds(design),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["findmnt", "stat", "grep"],
    },
    ...moves,
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
      under(TARGET, `${layout.tabulaDir}/journal`).raw,
    ],
    summary: [
      layout.kind === "hoist"
        ? `The partition is now /nix: persisted state is in ${design.persistence.storage}, the rest of the old root in /nix/${QUARANTINE} (nothing was deleted).`
        : `The old root is now the storage, ${design.persistence.storage}: persisted state is where it was, the rest in ${design.persistence.storage}/${QUARANTINE} (nothing was deleted).`,
      "With --target, run phase bootloader next; otherwise the stateless system is now the default boot entry.",
      "Reboot. The generations built before the conversion expect the old layout and no longer boot; to go back to them, run phase revert from the LiveCD (bash steps.sh revert).",
      `Missed something? Everything is still in ${layout.kind === "hoist" ? `/nix/${QUARANTINE}` : `${design.persistence.storage}/${QUARANTINE}`}: make a recover design to bring paths back.`,
    ],
  };
}

export function bootloaderPhase(design: Design): Phase {
  const layout = convertLayout(design);
  return {
    name: "bootloader",
    title: `Reinstall ${design.hostname}'s bootloader from the new layout`,
    where: "livecd",
    steps: bootloaderSteps(design, false),
    target: {
      default: "/mnt",
      meaning: "where the new layout is mounted: tmpfs root, /nix, /boot",
    },
    journal: [under(TARGET, `${layout.tabulaDir}/journal`).raw],
    summary: ["The bootloader now boots the stateless system. Reboot."],
  };
}

/** A filesystem as plain data for migration.json. */
export function fsRef(ref: FsRef): FsRef {
  return { device: ref.device, fsType: ref.fsType, options: [...ref.options] };
}
