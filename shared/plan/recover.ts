// Phase recover: bring state that was missed into persistent storage and
// into the persistence config, then rebuild.
//   from "live"      on the running stateless system: cp -a -x from the
//                    tmpfs root (owners, modes, ACLs, xattrs, hardlinks; one
//                    filesystem), after stopping, with consent, the service
//                    that owns the path when known
//   from "old-root"  from the LiveCD: rename out of the quarantine a
//                    conversion left in /nix/old-root
import type { Design } from "../design/types";
import { storageOnPartition } from "./install";
import { mountFilesystemStep, mountTmpfsRootStep } from "./mount-steps";
import { MODULES_DIR, QUARANTINE, TABULA_DIR } from "./labels";
import { isWithin, persistedPaths, relativeToRoot } from "./persisted";
import { owningService, writingProgram } from "../catalog/lookup";
import { PLAN_DIR, TARGET, command, under } from "./quote";
import type { Phase, Step } from "./types";

/** The paths recover brings in, relative to "/", outermost first. */
export function recoveredRelatives(design: Design): string[] {
  return persistedPaths(design.recover!.add, design.users).map((p) =>
    relativeToRoot(p.path),
  );
}

/** KIND:REL for tabula_check_kinds, for every path recover brings in. */
function recoveredKinds(design: Design): string[] {
  return persistedPaths(design.recover!.add, design.users).map(
    (p) => `${p.kind}:${relativeToRoot(p.path)}`,
  );
}

/**
 * Where the rebuild keeps its temporary files and, with Nix before 2.30, its
 * builds: on the partition, not in /tmp on the tmpfs root (a root of
 * root.size, which a large build fills). nixos-enter unsets TMPDIR, so it is
 * set inside, with env.
 */
const REBUILD_TMPDIR = `/nix/${TABULA_DIR}/tmp`;

export function recoverPhase(design: Design): Phase {
  return design.recover!.from === "live"
    ? recoverLive(design)
    : recoverFromOldRoot(design);
}

/** nixos-rebuild boot of the configuration in CONFIGDIR: its flake, or its configuration.nix. */
function rebuildWords(design: Design, configDir: string): string[] {
  const r = design.recover!;
  return [
    "nixos-rebuild",
    "boot",
    ...(r.configType === "configuration.nix"
      ? ["-I", `nixos-config=${configDir}/configuration.nix`]
      : ["--flake", `${configDir}#${r.flakeAttr}`]),
    "--log-format",
    "internal-json",
    "-v",
  ];
}

function recoverLive(design: Design): Phase {
  const recover = design.recover!;
  const storage = design.persistence.storage;
  const rels = recoveredRelatives(design);
  const services = [
    ...new Set(
      rels.map((r) => owningService(`/${r}`)).filter((s) => s !== null),
    ),
  ].sort();
  const steps: Step[] = [
    {
      id: "check-live",
      title: "Check this is the running stateless system",
      explain: `/ must be a tmpfs and ${storage} must exist; a path that is already a mount point is persisted already; a path whose place in storage holds something other than a copy of it is refused.`,
      commands: [
        command("tabula_check_recover_live", storage, ...rels),
        command(
          "tabula_check_kinds",
          "",
          "recover.add",
          ...recoveredKinds(design),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["findmnt", "mountpoint", "find", "sed", "sort", "cmp"],
    },
  ];
  if (services.length) {
    steps.push({
      id: "stop-services",
      title: `Stop ${services.join(", ")}`,
      explain:
        "So the copy is consistent: asked first, with the socket units that would start them again mid-copy. They stay stopped until you reboot: what they would write now lives on the tmpfs and would be lost. Units the network or an SSH login needs are left running, with a warning.",
      commands: [command("tabula_stop_services", ...services)],
      destructive: false,
      weight: 1,
      requires: ["systemctl"],
    });
  }
  const programs = persistedPaths(recover.add, design.users).flatMap((p) => {
    const program = writingProgram(p.path);
    return program
      ? [
          command(
            "tabula_program_check",
            program.name,
            p.path,
            ...program.processes,
          ),
        ]
      : [];
  });
  steps.push(
    {
      id: "copy",
      title: `Copy the chosen paths into ${storage}`,
      explain:
        "cp -a keeps owners, modes, ACLs, xattrs and hardlinks; -x keeps to one filesystem, naming what is mounted inside and left out. Each copy is made beside its place and renamed into it when complete. A path a desktop program writes while it runs (a browser profile) is named first, and copied while the program runs only with your consent.",
      commands: [
        ...programs,
        ...rels.map((r) => command("tabula_copy_live", storage, r)),
      ],
      destructive: false,
      weight: 5,
      requires: [
        "cp",
        "mv",
        "stat",
        "find",
        "sed",
        "sort",
        "cmp",
        "findmnt",
        ...(programs.length ? ["pgrep"] : []),
      ],
    },
    modulesStep(recover.configDir),
    {
      id: "rebuild-boot",
      title: "Rebuild (nixos-rebuild boot)",
      explain: `The new persistence takes effect at the next boot; never switch. Temporary files and builds go to ${REBUILD_TMPDIR}, on the partition, not to /tmp on the tmpfs root.`,
      commands: [
        command("mkdir", "-p", "-m", "0700", "--", REBUILD_TMPDIR),
        command(
          "env",
          `TMPDIR=${REBUILD_TMPDIR}`,
          ...rebuildWords(design, recover.configDir),
        ),
      ],
      destructive: false,
      weight: 10,
      requires: ["nixos-rebuild"],
    },
  );
  return {
    name: "recover",
    title: `Bring missed state into ${storage} (running system)`,
    where: "running-system",
    steps,
    journal: [`/nix/${TABULA_DIR}/journal`],
    summary: [
      `The chosen paths are in ${storage} and in the persistence config.`,
      "Reboot now: until then, changes to them are written to the tmpfs and lost.",
      ...(services.length
        ? [`${services.join(", ")} stay stopped until the reboot.`]
        : []),
    ],
  };
}

function recoverFromOldRoot(design: Design): Phase {
  const recover = design.recover!;
  const store = storageOnPartition(design.persistence.storage)!;
  const rels = recoveredRelatives(design);
  const nix = under(TARGET, "nix");
  const bootAt = under(TARGET, "boot");
  // The configuration as the LiveCD finds it: a folder under /nix is on the
  // partition as is; any other is persisted, so it is under the storage.
  const configInStorage = isWithin(recover.configDir, "/nix")
    ? recover.configDir
    : `${design.persistence.storage}${recover.configDir}`;
  const skip = (check: string) => `tabula_target_given || ${check}`;
  const steps: Step[] = [
    mountTmpfsRootStep({
      id: "mount-root",
      title: "Mount a tmpfs as the root at the target",
      size: design.root.size,
      guardWrap: skip,
    }),
    mountFilesystemStep({
      id: "mount-nix",
      name: "/nix",
      fs: recover.nix,
      at: nix,
      checks: [command("tabula_check_not_running_root", recover.nix.device)],
      guardWrap: skip,
    }),
  ];
  if (recover.boot) {
    steps.push(
      mountFilesystemStep({
        id: "mount-boot",
        name: "/boot",
        fs: recover.boot,
        at: bootAt,
        guardWrap: skip,
      }),
    );
  }
  steps.push(
    {
      id: "check-quarantine",
      title: `Check ${QUARANTINE}/ and ${store}/ on the partition`,
      commands: [
        command(
          "tabula_check_recover_old_root",
          nix,
          store,
          QUARANTINE,
          relativeToRoot(configInStorage),
        ),
        command(
          "tabula_check_kinds",
          under(nix, QUARANTINE),
          "recover.add",
          ...recoveredKinds(design),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: [],
    },
    {
      id: "restore",
      title: `Move the chosen paths from ${QUARANTINE}/ into ${store}/`,
      explain:
        "Renamed inside the partition (never copied); missing parent folders get the owner, mode, ACLs and extended attributes they had in the quarantine.",
      commands: rels.map((r) =>
        command("tabula_restore", nix, store, QUARANTINE, r),
      ),
      destructive: true,
      confirm: recover.nix.device,
      weight: 3,
      requires: ["mv", "stat", "chown", "chmod"],
    },
    {
      ...modulesStep(
        configInStorage,
        under(TARGET, relativeToRoot(configInStorage)),
      ),
    },
    {
      id: "rebuild-boot",
      title:
        "Rebuild inside the installed system (nixos-enter, nixos-rebuild boot)",
      explain: `nixos-enter unsets TMPDIR and the root inside is a tmpfs of ${design.root.size}: the rebuild's temporary files and builds go to ${REBUILD_TMPDIR}, on the partition.`,
      commands: [
        command("tabula_mark_nixos", design.persistence.storage),
        command(
          "mkdir",
          "-p",
          "-m",
          "0700",
          "--",
          under(TARGET, REBUILD_TMPDIR.slice(1)),
        ),
        command(
          "nixos-enter",
          "--root",
          TARGET,
          "--",
          "env",
          `TMPDIR=${REBUILD_TMPDIR}`,
          ...rebuildWords(design, configInStorage),
        ),
      ],
      destructive: false,
      weight: 10,
      requires: ["nixos-enter"],
    },
    {
      id: "unmount",
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
  );
  return {
    name: "recover",
    title: `Bring paths back from /nix/${QUARANTINE} (LiveCD)`,
    where: "livecd",
    steps,
    target: {
      default: "/mnt",
      meaning:
        "where the system is assembled: tmpfs root, the partition at /nix, /boot",
    },
    journal: [under(nix, `${TABULA_DIR}/journal`).raw],
    summary: [
      `The chosen paths are back in ${design.persistence.storage} and in the persistence config. Reboot.`,
    ],
  };
}

function modulesStep(configDir: string, at?: ReturnType<typeof under>): Step {
  const modules = at
    ? under(at, MODULES_DIR)
    : { raw: command(`${configDir}/${MODULES_DIR}`) };
  return {
    id: "update-modules",
    title: `Update the persistence config in ${configDir}/${MODULES_DIR}`,
    explain:
      "A file that differs is shown as a diff and replaced only with your consent; the old one is kept as FILE.~N~.",
    commands: [
      command("tabula_install_modules", under(PLAN_DIR, MODULES_DIR), modules),
    ],
    destructive: false,
    weight: 1,
    requires: ["cp", "cmp", "diff"],
  };
}
