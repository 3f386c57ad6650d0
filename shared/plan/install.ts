// Phase install (LiveCD): check the disk, partition it, encrypt, make the
// filesystems, mount tmpfs / the /nix filesystem / the ESP at the target,
// seed persistent storage, generate the hardware facts, build the system with
// structured logs, nixos-install it, unmount.
import type { Design } from "../design/types";
import { sha256Hex } from "../hash/sha256";
import { diskLayout, mkfsNix } from "./disk-layout";
import {
  BOOT_FS_TYPE,
  BOOT_OPTIONS,
  FILESYSTEM_LABELS,
  HARDWARE_CONFIG_FILE,
  INSTALL_CONFIG_DIR,
  LUKS_HEADER_LABEL,
  LUKS_NAME,
  MIN_NIX_BYTES,
  MODULES_DIR,
  TABULA_DIR,
} from "./labels";
import { persistedPaths, relativeToRoot } from "./persisted";
import { mountCommand, mountTmpfsRootStep } from "./mount-steps";
import { PLAN_DIR, TARGET, command, under } from "./quote";
import type { Phase, Step } from "./types";

/** The disk GUID an install writes: derived from the plan, so a rerun recognizes its own partition table. */
export function diskGuid(planId: string): string {
  const h = sha256Hex(`tabula disk ${planId}`).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-A${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Storage path relative to the /nix partition ("/nix/persistent" -> "persistent"). */
export function storageOnPartition(storage: string): string | null {
  const rel = relativeToRoot(storage);
  if (!rel.startsWith("nix/") || rel === "nix/") return null;
  return rel.slice("nix/".length);
}

export function installPhase(design: Design, planId: string): Phase {
  const disk = design.disk!;
  const layout = diskLayout(disk);
  const dev = disk.device;
  const nix = under(TARGET, "nix");
  const store = storageOnPartition(design.persistence.storage)!;
  const storage = under(nix, store);
  const config = under(storage, relativeToRoot(INSTALL_CONFIG_DIR));
  const hardware = under(config, HARDWARE_CONFIG_FILE);
  const systemLink = under(nix, `${TABULA_DIR}/system`);
  const guid = diskGuid(planId);
  const boot = layout.bootPartition;
  const luks = layout.nixPartition.path;
  const flakeAttr = `.#nixosConfigurations.${nixAttr(design.hostname)}.config.system.build.toplevel`;

  const partitionArgs = layout.partitions.flatMap((p) => [
    `--new=${p.number}:0:${p.size}`,
    `--typecode=${p.number}:${p.typecode}`,
    `--change-name=${p.number}:${p.name}`,
  ]);
  const steps: Step[] = [
    {
      id: "check-disk",
      title: `Check ${dev}`,
      explain:
        "The disk must exist, be the disk the design was made for (its probed size, model and serial), be a whole disk, not be mounted or in use, not hold the LiveCD, and be big enough for the design; systemd-boot needs a machine booted in UEFI mode. Every folder on the way to the target must be open to all (o+rx), as nixos-install demands at the end.",
      commands: [
        command(
          "tabula_check_install_disk",
          dev,
          String(layout.minBytes),
          disk.bootloader,
          String(MIN_NIX_BYTES),
          // The disk as probed when the design was made: checked again, since
          // a name like /dev/sda can mean another disk after a reboot.
          disk.probed?.sizeBytes !== undefined
            ? String(disk.probed.sizeBytes)
            : "",
          disk.probed?.model ?? "",
          disk.probed?.serial ?? "",
        ),
        command("tabula_check_install_target", TARGET),
      ],
      destructive: false,
      weight: 1,
      requires: ["lsblk", "blockdev", "findmnt", "stat"],
    },
    {
      id: "partition",
      title: `Erase ${dev} and partition it`,
      explain: `Everything on ${dev} is erased. New GPT: ${layout.partitions
        .map(
          (p) => `${p.name} (${p.size === "0" ? "the rest" : p.size.slice(1)})`,
        )
        .join(", ")}.`,
      commands: [
        command("wipefs", "--all", dev),
        command("sgdisk", "--zap-all", dev),
        command("sgdisk", `--disk-guid=${guid}`, ...partitionArgs, dev),
        command(
          "tabula_wait_partitions",
          dev,
          ...layout.partitions.map((p) => p.path),
        ),
      ],
      destructive: true,
      confirm: dev,
      weight: 2,
      requires: ["wipefs", "sgdisk", "partx", "blkid"],
      guard: {
        check: command(
          "tabula_disk_is_partitioned",
          dev,
          guid,
          ...layout.partitions.flatMap((p) => [p.path, p.name]),
        ),
        done: `${dev} already has this plan's partitions`,
      },
    },
  ];
  if (disk.encrypt) {
    steps.push(
      {
        id: "encrypt",
        title: `Encrypt ${luks} with LUKS2`,
        explain:
          "cryptsetup asks for the passphrase twice, here in the terminal. You type it at every boot.",
        commands: [
          command(
            "cryptsetup",
            "luksFormat",
            "--type",
            "luks2",
            "--batch-mode",
            "--verify-passphrase",
            "--label",
            LUKS_HEADER_LABEL,
            luks,
          ),
        ],
        destructive: true,
        confirm: dev,
        weight: 3,
        requires: ["cryptsetup"],
        guard: {
          check: command(
            "tabula_has_fs",
            luks,
            "crypto_LUKS",
            LUKS_HEADER_LABEL,
          ),
          done: `${luks} is already a LUKS2 container of this plan`,
        },
      },
      {
        id: "open-luks",
        title: `Open the encrypted partition as /dev/mapper/${LUKS_NAME}`,
        explain: "cryptsetup asks for the passphrase.",
        commands: [command("cryptsetup", "open", luks, LUKS_NAME)],
        destructive: false,
        weight: 1,
        requires: ["cryptsetup"],
        guard: {
          check: `[[ -b ${command(`/dev/mapper/${LUKS_NAME}`)} ]]`,
          done: `/dev/mapper/${LUKS_NAME} is already open`,
        },
      },
    );
  }
  steps.push({
    id: "format-boot",
    title: `Make the FAT32 filesystem for /boot on ${boot.path}`,
    commands: [
      command("wipefs", "--all", boot.path),
      command("mkfs.vfat", "-F", "32", "-n", FILESYSTEM_LABELS.boot, boot.path),
    ],
    destructive: true,
    confirm: dev,
    weight: 1,
    requires: ["wipefs", "mkfs.vfat"],
    guard: {
      check: command(
        "tabula_has_fs",
        boot.path,
        "vfat",
        FILESYSTEM_LABELS.boot,
      ),
      done: `${boot.path} already holds this plan's /boot filesystem`,
    },
  });
  if (layout.swapPartition) {
    const swap = layout.swapPartition.path;
    steps.push({
      id: "format-swap",
      title: `Make swap on ${swap}`,
      commands: [
        command("wipefs", "--all", swap),
        command("mkswap", "-L", FILESYSTEM_LABELS.swap, swap),
      ],
      destructive: true,
      confirm: dev,
      weight: 1,
      requires: ["wipefs", "mkswap"],
      guard: {
        check: command("tabula_has_fs", swap, "swap", FILESYSTEM_LABELS.swap),
        done: `${swap} already holds this plan's swap`,
      },
    });
  }
  steps.push(
    {
      id: "format-nix",
      title: `Make the ${layout.nixFsType} filesystem for /nix on ${layout.nixDevice}`,
      commands: [
        command("wipefs", "--all", layout.nixDevice),
        command(...mkfsNix(layout.nixFsType, layout.nixDevice)),
      ],
      destructive: true,
      confirm: dev,
      weight: 2,
      requires: ["wipefs", mkfsNix(layout.nixFsType, "")[0]!],
      guard: {
        check: command(
          "tabula_has_fs",
          layout.nixDevice,
          layout.nixFsType,
          FILESYSTEM_LABELS.nix,
        ),
        done: `${layout.nixDevice} already holds this plan's /nix filesystem`,
      },
    },
    mountTmpfsRootStep({
      id: "mount-root",
      title: "Mount a tmpfs as the new root at the target",
      explain: `The installed system's / is a tmpfs too (mode 755, size ${design.root.size}).`,
      size: design.root.size,
    }),
    {
      id: "mount-nix",
      title: `Mount ${layout.nixDevice} at the target's /nix`,
      commands: [
        command("mkdir", "-p", "--", nix),
        mountCommand(layout.nixFsType, disk.nix.options, layout.nixDevice, nix),
        command("mkdir", "-p", "-m", "0700", "--", under(nix, TABULA_DIR)),
      ],
      destructive: false,
      weight: 1,
      requires: ["mount", "findmnt"],
      guard: {
        check: `${command("tabula_is_mounted", nix, layout.nixDevice)} && [[ -d ${under(nix, TABULA_DIR).raw} ]]`,
        done: "/nix is already mounted",
      },
    },
    seedStep(design, storage, config),
    {
      id: "hardware-config",
      title: "Detect the hardware (nixos-generate-config)",
      explain:
        "Kernel modules and firmware for this machine; no filesystems, the design gives those.",
      commands: [
        command("mkdir", "-p", "--", under(config, MODULES_DIR)),
        `${command(
          "nixos-generate-config",
          "--no-filesystems",
          "--root",
          TARGET,
          "--show-hardware-config",
        )} > ${under(config, `${HARDWARE_CONFIG_FILE}.tmp`).raw}`,
        command(
          "mv",
          "-T",
          "--",
          under(config, `${HARDWARE_CONFIG_FILE}.tmp`),
          hardware,
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["nixos-generate-config"],
      guard: {
        check: `[[ -s ${hardware.raw} ]]`,
        done: "hardware-configuration.nix is already written",
      },
    },
    {
      id: "build",
      title: "Build the system",
      explain:
        "nix build into the target's store, with structured logs for the progress display. Build files go to the disk, not to RAM.",
      commands: [
        command("mkdir", "-p", "--", under(nix, `${TABULA_DIR}/tmp`)),
        `(cd -- ${config.raw} && TMPDIR=${under(nix, `${TABULA_DIR}/tmp`).raw} ${command(
          "nix",
          "build",
          "--store",
          TARGET,
          "--extra-experimental-features",
          "nix-command flakes",
          "--log-format",
          "internal-json",
          "-v",
          "--out-link",
          systemLink,
          flakeAttr,
        )})`,
      ],
      destructive: false,
      weight: 30,
      requires: ["nix"],
    },
    {
      id: "mount-boot",
      title: `Mount ${boot.path} at the target's /boot`,
      explain:
        "Only the bootloader installation needs it, so it is mounted last.",
      commands: [
        command("mkdir", "-p", "--", under(TARGET, "boot")),
        mountCommand(
          BOOT_FS_TYPE,
          [...BOOT_OPTIONS],
          boot.path,
          under(TARGET, "boot"),
        ),
      ],
      destructive: false,
      weight: 1,
      requires: ["mount", "findmnt"],
      guard: {
        check: command("tabula_is_mounted", under(TARGET, "boot"), boot.path),
        done: "/boot is already mounted",
      },
    },
    {
      id: "nixos-install",
      title: "Install NixOS (nixos-install)",
      explain:
        "Installs the built system and the bootloader. No root password is asked: users log in with the hashes in the design.",
      commands: [
        `${command("nixos-install", "--root", TARGET, "--system")} "$(readlink -- ${systemLink.raw})" ${command("--no-root-passwd", "--no-channel-copy")}`,
      ],
      destructive: false,
      weight: 10,
      requires: ["nixos-install", "nixos-enter"],
    },
    {
      id: "unmount",
      title: "Unmount the target",
      commands: [
        "sync",
        command("umount", "-R", "--", TARGET),
        ...(disk.encrypt ? [command("cryptsetup", "close", LUKS_NAME)] : []),
      ],
      destructive: false,
      weight: 1,
      requires: ["umount", ...(disk.encrypt ? ["cryptsetup"] : [])],
      guard: {
        check: `${command("tabula_not_mounted", TARGET)}${disk.encrypt ? ` && [[ ! -b ${command(`/dev/mapper/${LUKS_NAME}`)} ]]` : ""}`,
        done: "the target is already unmounted",
      },
    },
  );
  return {
    name: "install",
    title: `Install NixOS with a tmpfs root on ${dev}`,
    where: "livecd",
    steps,
    target: {
      default: "/mnt",
      meaning: "where the new system is assembled: tmpfs root, /nix, /boot",
    },
    journal: [`${under(nix, `${TABULA_DIR}/journal`).raw}`],
    summary: [
      `NixOS is installed on ${dev}: / is a tmpfs (${design.root.size}), ${layout.nixPartition.path} is /nix${disk.encrypt ? " (encrypted)" : ""}, ${boot.path} is /boot.`,
      `Only what the design persists survives a reboot; it lives in ${design.persistence.storage}.`,
      `Your configuration (the flake) is in ${design.persistence.storage}${INSTALL_CONFIG_DIR}, seen at ${INSTALL_CONFIG_DIR}.`,
      "Remove the LiveCD and reboot.",
    ],
  };
}

function seedStep(
  design: Design,
  storage: ReturnType<typeof under>,
  config: ReturnType<typeof under>,
): Step {
  // Root-owned directories are made now; directories with their own user or
  // group are left to impermanence, which creates them at first boot with
  // the designed owner (the users do not exist on the LiveCD yet).
  const dirs = persistedPaths(design.persistence, design.users).filter(
    (p) =>
      p.kind === "directory" &&
      p.user === undefined &&
      p.owner === undefined &&
      p.group === undefined,
  );
  const passwordFiles = Object.entries(design.users)
    .filter(([, u]) => u.hashedPasswordFile !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const storageRel = design.persistence.storage;
  return {
    id: "seed",
    title: `Seed persistent storage (${storageRel})`,
    explain: `The configuration goes to ${storageRel}${INSTALL_CONFIG_DIR} (on a rerun, a file that differs is shown and replaced only with your consent, the old one kept as FILE.~N~); root-owned persisted folders are created; password hash files are written. Folders owned by a user are created by impermanence at first boot.`,
    commands: [
      command("mkdir", "-p", "-m", "0755", "--", storage),
      command("mkdir", "-p", "-m", "0755", "--", config),
      // A rerun never overwrites the configuration silently: a file you
      // edited since is shown as a diff, replaced only with your consent, and
      // kept as FILE.~N~.
      command(
        "tabula_install_file",
        under(PLAN_DIR, "flake.nix"),
        under(config, "flake.nix"),
      ),
      command(
        "tabula_install_modules",
        under(PLAN_DIR, MODULES_DIR),
        under(config, MODULES_DIR),
      ),
      ...dirs.map((d) =>
        command(
          "mkdir",
          "-p",
          "-m",
          octalMode(d.mode) ?? "0755",
          "--",
          under(storage, relativeToRoot(d.path)),
        ),
      ),
      ...passwordFiles.map(([name, u]) =>
        command(
          "tabula_seed_password_file",
          name,
          under(TARGET, relativeToRoot(u.hashedPasswordFile!)),
        ),
      ),
    ],
    destructive: false,
    weight: 1,
    requires: [
      "cp",
      "cmp",
      "diff",
      ...(passwordFiles.length ? ["mkpasswd"] : []),
    ],
  };
}

/** "0700" stays; symbolic modes are left to impermanence (null). */
function octalMode(mode: string | undefined): string | null {
  if (mode === undefined) return null;
  return /^0?[0-7]{3,4}$/.test(mode) ? mode.padStart(4, "0") : null;
}

/** A Nix attribute name, quoted when it is not a plain identifier. */
export function nixAttr(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name)
    ? name
    : `"${name.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}
