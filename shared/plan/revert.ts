// Phase revert (LiveCD): undoes a finished or interrupted migration by
// renames only, from what the filesystem shows: nix's entries back under
// nix/, old-root/ back to the top, the storage back to where each path was,
// the folders the migration made removed once empty; Tabula's change to the
// configuration taken out; the system that booted before prepare made the
// default boot entry again. The helpers are in steps-lib/80-revert.sh.
import { convertLayout } from "../design/convert-layout";
import type { Design } from "../design/types";
import { configChanges } from "../flake/flake-changes";
import {
  SWITCH_TO_CONFIGURATION_BOOT,
  mountBootStep,
  mountOldRootStep,
  openLuksStep,
  skipWithTarget,
  unmountStep,
} from "./convert-boot";
import { layoutCheckArgs } from "./convert";
import { QUARANTINE, TABULA_DIR } from "./labels";
import { mountFilesystemStep } from "./mount-steps";
import { relativeToRoot } from "./persisted";
import { PLAN_DIR, TARGET, command, under } from "./quote";
import type { Phase, Step } from "./types";

export function revertPhase(design: Design): Phase {
  const convert = design.convert!;
  const layout = convertLayout(design);
  const dev = convert.device;
  const [store, quar, kind, keep] = layoutCheckArgs(design) as [
    string,
    string,
    string,
    string,
  ];
  const changes = configChanges(design);
  const past = (step: string) =>
    command("tabula_revert_past", step, store, quar, kind);
  const moves: Step[] = [
    ...(layout.kind === "hoist"
      ? [
          {
            id: "unhoist",
            title: "Put nix's entries back under nix/",
            explain: `Everything at the top but ${TABULA_DIR}/, ${store.split("/")[0]}/ and ${QUARANTINE}/${layout.keep.length ? ` (and ${layout.keep.join(", ")}/, which never moved)` : ""} is renamed into the folder the hoist emptied (${TABULA_DIR}/nix-hoisted), which then becomes nix/ again.`,
            commands: [command("tabula_unhoist", store, quar, keep)],
            destructive: true,
            confirm: dev,
            weight: 2,
            requires: ["mv", "stat"],
            guard: { check: past("unhoist"), done: "nix/ is back" },
          },
        ]
      : []),
    {
      id: "unquarantine",
      title: `Move ${QUARANTINE}/ back to where it was`,
      explain: `Every entry of ${QUARANTINE}/ is renamed back to its place on the old root; ${QUARANTINE}/ (made by the migration) is removed once empty.`,
      commands: [command("tabula_unquarantine", quar, kind)],
      destructive: true,
      confirm: dev,
      weight: 3,
      requires: ["mv", "stat", "rmdir"],
      guard: { check: past("unquarantine"), done: `${QUARANTINE}/ is back` },
    },
    ...(layout.kind === "hoist"
      ? [
          {
            id: "unpersist",
            title: `Move the storage (${store}/) back to where each path was`,
            explain: `Every path in ${store}/ is renamed back to its place on the old root (what the stateless system kept there comes back with it); folders the migration made in ${store}/ are removed once empty, then ${store}/ itself.`,
            commands: [command("tabula_unpersist", store, quar)],
            destructive: true,
            confirm: dev,
            weight: 3,
            requires: ["mv", "stat", "rmdir", "find"],
            guard: {
              check: past("unpersist"),
              done: "every persisted path is back",
            },
          },
        ]
      : []),
  ];
  const yours = {
    check: command(
      "tabula_target_given",
      "the caller owns the mounts; make the old system the default boot entry yourself (see the summary)",
    ),
    done: "--target was given",
  };
  const steps: Step[] = [
    ...(convert.luks ? [openLuksStep(convert.luks)] : []),
    mountOldRootStep(
      convert,
      "mount-partition",
      `Mount ${dev} at the target, as the old root it was`,
    ),
    {
      id: "check-revert",
      title: "Check the target holds this plan's migration",
      explain:
        "It must hold .tabula/migration.json of this plan (or --force), its journal must record that this plan's migration began, and nothing may be mounted inside while entries move.",
      commands: [
        command("tabula_check_not_running_root", dev),
        command("tabula_check_revert", store, quar, kind, keep),
      ],
      destructive: false,
      weight: 1,
      requires: ["findmnt", "grep"],
    },
    ...moves,
    {
      id: "restore-config",
      title: `Take Tabula's change out of ${convert.configDir}/${changes.file}`,
      explain: `${changes.patchName} of this plan is applied in reverse, after you see it; the changed file is kept as ${changes.file}.~N~. Without this, the next nixos-rebuild builds the stateless system again. The generated ${convert.configDir}/nixos/ stays (nothing imports it any more).`,
      commands: [
        command(
          "tabula_revert_config",
          relativeToRoot(convert.configDir),
          changes.file,
          under(PLAN_DIR, changes.patchName),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["patch"],
    },
    ...(convert.nix
      ? [
          mountFilesystemStep({
            id: "mount-old-nix",
            name: "/nix",
            fs: convert.nix,
            at: under(TARGET, "nix"),
            guardWrap: skipWithTarget,
          }),
        ]
      : []),
    ...mountBootStep(design),
    {
      id: "restore-bootloader",
      title:
        "Make the system that booted before the conversion the default again",
      explain: `${TABULA_DIR}/previous-system names it (phase prepare wrote it): the system profile is pointed back at it, and its bootloader is installed the way nixos-install ends.`,
      commands: [
        command("tabula_check_previous_system", TABULA_DIR),
        command("tabula_restore_profile", TABULA_DIR),
        SWITCH_TO_CONFIGURATION_BOOT,
      ],
      destructive: false,
      weight: 3,
      requires: ["nixos-enter", "nix-env"],
      guard: yours,
    },
    unmountStep("unmount", convert.luks),
  ];
  return {
    name: "revert",
    title: `Put ${design.hostname}'s old root back as it was before the migration`,
    where: "livecd",
    steps,
    target: {
      default: "/mnt",
      meaning:
        "where the partition is mounted as the old root; with --target only the files move back",
    },
    userWithTarget: true,
    journal: [under(TARGET, `${TABULA_DIR}/journal`).raw],
    summary: [
      "The partition has its old layout again: every path is back where it was, with its own inode, owner and mode; the folders the migration made are gone.",
      "Without --target, the system that booted before the conversion is the default boot entry again. Reboot.",
      "With --target, make it the default yourself, with the partition mounted at DIR and the boot filesystem inside: nixos-enter --root DIR -- nix-env -p /nix/var/nix/profiles/system --set $(cat DIR/.tabula/previous-system), then NIXOS_INSTALL_BOOTLOADER=1 nixos-enter --root DIR -- /nix/var/nix/profiles/system/bin/switch-to-configuration boot",
      `Tabula's own folder /${TABULA_DIR} stays (its journal, this plan, and the result link that keeps the stateless system in the store): delete it when you no longer want either.`,
    ],
  };
}
