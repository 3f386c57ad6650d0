// The sandbox machine: a built-in pretend machine so anyone can try every
// flow without touching a real disk. It has made-up disks (facts only), and
// one real folder: the pretend root partition /dev/nvme0n1p2, which the
// scanner reads as the live system and which the migrate phase really
// rearranges. Nothing else pretends to run: the phases that would touch
// disks or the running system run as dry runs, and say so
// (docs/probe-and-sandbox.md).
//
// Which machine: the sandbox outside NixOS, the real machine on a NixOS
// LiveCD or installed NixOS; --sandbox / --real force it.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  ConvertLayoutFacts,
  Disk,
  MachineFacts,
  Mount,
  OsKind,
} from "../../shared/machine/types";
import type { PhaseName } from "../../shared/plan/types";
import { classifyOs, parseOsRelease } from "./probe-os";
import { findTools } from "./probe-tools";
import {
  createConvertedPartition,
  createStatelessRoot,
} from "./sandbox-converted";
import { createSandboxRoot, SANDBOX_HOSTNAME } from "./sandbox-root";

export type MachineMode = "sandbox" | "real";

/** Sandbox unless this is NixOS (the LiveCD or an installed system). */
export function defaultMachineFor(osKind: OsKind): MachineMode {
  return osKind === "other" ? "sandbox" : "real";
}

/**
 * The machine the CLI and the server act on: `force` (from --sandbox or
 * --real) if given, else decided from /etc/os-release.
 */
export function decideMachineMode(
  force: MachineMode | null,
  osReleaseFile = "/etc/os-release",
): { mode: MachineMode; reason: string } {
  if (force === "real") return { mode: "real", reason: "--real was given" };
  if (force === "sandbox")
    return { mode: "sandbox", reason: "--sandbox was given" };
  let text: string;
  try {
    text = readFileSync(osReleaseFile, "utf8");
  } catch {
    return {
      mode: "sandbox",
      reason: `${osReleaseFile} cannot be read, so this is not NixOS as far as Tabula can tell`,
    };
  }
  const os = classifyOs(parseOsRelease(text), []);
  return os.kind === "other"
    ? { mode: "sandbox", reason: `this is ${os.prettyName}, not NixOS` }
    : { mode: "real", reason: `this is ${os.prettyName}` };
}

/** Takes --sandbox / --real out of `args`; two contradicting flags are an error sentence. */
export function takeMachineFlag(args: string[]): {
  force: MachineMode | null;
  rest: string[];
} {
  let force: MachineMode | null = null;
  const rest: string[] = [];
  for (const arg of args) {
    if (arg === "--sandbox" || arg === "--real") {
      const mode: MachineMode = arg === "--real" ? "real" : "sandbox";
      if (force && force !== mode)
        throw new Error(
          "--sandbox and --real contradict each other; give one of them.",
        );
      force = mode;
    } else rest.push(arg);
  }
  return { force, rest };
}

/**
 * What the pretend machine is doing:
 * - "livecd": booted from the Tabula LiveCD on a USB stick, an existing NixOS
 *   on the NVMe disk (to convert or migrate) and an empty SATA disk (to install);
 * - "installed": running that NixOS (to prepare a conversion, to scan);
 * - "stateless": running it after the conversion (to recover from the live
 *   root);
 * - "livecd-converted": booted from the LiveCD again after the conversion
 *   (to recover from the old-root/ quarantine on the NVMe disk).
 */
export type SandboxScenario =
  "livecd" | "installed" | "stateless" | "livecd-converted";
export const SANDBOX_SCENARIOS: readonly SandboxScenario[] = [
  "livecd",
  "installed",
  "stateless",
  "livecd-converted",
];

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const ESP = {
  path: "/dev/nvme0n1p1",
  uuid: "A1B2-C3D4",
  partUuid: "6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e01",
};
const ROOT = {
  path: "/dev/nvme0n1p2",
  uuid: "3f1b6c2e-8d4a-4e0b-9f6a-2c5d7e8f9a01",
  partUuid: "6f1d2c3b-4a59-4e8d-9c7b-1a2b3c4d5e02",
};
const byUuid = (uuid: string) => `/dev/disk/by-uuid/${uuid}`;

function nvme(
  mounts: { esp: string[]; root: string[] },
  inUse: string | null,
): Disk {
  return {
    path: "/dev/nvme0n1",
    sizeBytes: 1000204886016,
    model: "Samsung SSD 980 PRO 1TB",
    serial: "S5GXNX0T123456A",
    transport: "nvme",
    removable: false,
    readOnly: false,
    partitions: [
      {
        path: ESP.path,
        sizeBytes: 512 * MiB,
        fsType: "vfat",
        label: null,
        partLabel: "EFI system partition",
        uuid: ESP.uuid,
        partUuid: ESP.partUuid,
        mountPoints: mounts.esp,
      },
      {
        path: ROOT.path,
        sizeBytes: 1000204886016 - 512 * MiB - 2 * MiB,
        fsType: "ext4",
        label: "nixos",
        partLabel: null,
        uuid: ROOT.uuid,
        partUuid: ROOT.partUuid,
        mountPoints: mounts.root,
      },
    ],
    isBootMedium: false,
    inUse: inUse !== null,
    unavailableReason: inUse,
  };
}

const SATA: Disk = {
  path: "/dev/sda",
  sizeBytes: 500107862016,
  model: "CT500MX500SSD1",
  serial: "2113E5A1B2C3",
  transport: "sata",
  removable: false,
  readOnly: false,
  partitions: [],
  isBootMedium: false,
  inUse: false,
  unavailableReason: null,
};

const USB_STICK: Disk = {
  path: "/dev/sdb",
  sizeBytes: 30752636928,
  model: "Ultra Fit",
  serial: "4C530001230815104021",
  transport: "usb",
  removable: true,
  readOnly: false,
  partitions: [
    {
      path: "/dev/sdb1",
      sizeBytes: 1_153_433_600,
      fsType: "iso9660",
      label: "nixos-minimal-25.05-x86_64",
      partLabel: null,
      uuid: "2025-05-23-10-11-12-00",
      partUuid: null,
      mountPoints: ["/iso"],
    },
    {
      path: "/dev/sdb2",
      sizeBytes: 3 * MiB,
      fsType: "vfat",
      label: "EFIBOOT",
      partLabel: null,
      uuid: "1234-5678",
      partUuid: null,
      mountPoints: [],
    },
  ],
  isBootMedium: true,
  inUse: true,
  unavailableReason:
    "Tabula started from this device (the LiveCD's boot medium): it is never offered as an install target.",
};

const mount = (
  target: string,
  source: string,
  fsType: string,
  options: string,
): Mount => ({
  target,
  source,
  fsType,
  options: options.split(","),
});

const LIVECD_MOUNTS: Mount[] = [
  mount("/", "tmpfs", "tmpfs", "rw,relatime,mode=755"),
  mount(
    "/iso",
    "/dev/sdb1",
    "iso9660",
    "ro,relatime,nojoliet,check=s,map=n,blocksize=2048",
  ),
  mount(
    "/nix/.ro-store",
    "/dev/loop0",
    "squashfs",
    "ro,relatime,errors=continue",
  ),
  mount("/nix/.rw-store", "tmpfs", "tmpfs", "rw,relatime,mode=755"),
  mount(
    "/nix/store",
    "overlay",
    "overlay",
    "ro,relatime,lowerdir=/nix/.ro-store,upperdir=/nix/.rw-store/store,workdir=/nix/.rw-store/work",
  ),
];

const ROOT_OPTIONS = "rw,relatime";
const BOOT_OPTIONS =
  "rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro";

/**
 * The installed NixOS's layout, as the probe would read it there: the ext4
 * root and the ESP at /boot by UUID (its fstab says no options but the
 * x-initrd.mount NixOS adds), systemd-boot's entries on the ESP, nothing
 * else mounted, no swap.
 */
const INSTALLED_LAYOUT: ConvertLayoutFacts = {
  root: { device: byUuid(ROOT.uuid), fsType: "ext4", options: [] },
  bootMountPoint: "/boot",
  bootloader: "systemd-boot",
  bootloaderFrom: "/boot/loader/entries",
  luks: null,
  lvm: null,
  nix: null,
  keptMounts: [],
  swapFiles: [],
  swapDevices: [],
};

/** The pretend machine's facts for a scenario; `tools` are this computer's own (honest). */
export function sandboxFacts(
  scenario: SandboxScenario = "livecd",
  tools: Record<string, boolean> = findTools(),
): MachineFacts {
  const base = {
    machine: "sandbox" as const,
    firmware: "uefi" as const,
    memoryBytes: 16 * GiB,
    tools,
    warnings: [],
  };
  const nixos = { prettyName: "NixOS 25.05 (Warbler)", versionId: "25.05" };
  const bootFs = {
    device: ESP.path,
    fsType: "vfat",
    options: BOOT_OPTIONS.split(","),
    uuid: ESP.uuid,
    fstabDevice: byUuid(ESP.uuid),
    mountPoint: "/boot",
  };
  const nixosConfig = {
    dir: "/etc/nixos",
    isFlake: true,
    flakeAttr: SANDBOX_HOSTNAME,
  };
  const liveCd = {
    ...base,
    os: { kind: "nixos-livecd" as const, ...nixos },
    disks: [nvme({ esp: [], root: [] }, null), SATA, USB_STICK],
    mounts: LIVECD_MOUNTS,
    rootFs: {
      device: "tmpfs",
      fsType: "tmpfs",
      options: ["rw", "relatime", "mode=755"],
      uuid: null,
      fstabDevice: null,
    },
    bootFs: null,
    nixosConfig: null,
    layout: null,
    rootIsTmpfs: true,
  };
  switch (scenario) {
    case "livecd-converted":
      return {
        ...liveCd,
        installs: [
          {
            device: ROOT.path,
            fsType: "ext4",
            migrationPending: false,
            hasOldRoot: true,
            converted: true,
          },
        ],
      };
    case "livecd":
      return {
        ...liveCd,
        installs: [
          {
            device: ROOT.path,
            fsType: "ext4",
            migrationPending: false,
            hasOldRoot: false,
            converted: false,
          },
        ],
      };
    case "installed":
      return {
        ...base,
        os: { kind: "nixos", ...nixos },
        disks: [
          nvme(
            { esp: ["/boot"], root: ["/"] },
            `This disk holds the running system (${ROOT.path} is mounted at /).`,
          ),
          SATA,
        ],
        mounts: [
          mount("/", ROOT.path, "ext4", ROOT_OPTIONS),
          mount("/boot", ESP.path, "vfat", BOOT_OPTIONS),
        ],
        rootFs: {
          device: ROOT.path,
          fsType: "ext4",
          options: ROOT_OPTIONS.split(","),
          uuid: ROOT.uuid,
          fstabDevice: byUuid(ROOT.uuid),
        },
        bootFs,
        nixosConfig,
        layout: structuredClone(INSTALLED_LAYOUT),
        rootIsTmpfs: false,
        installs: [
          {
            device: ROOT.path,
            fsType: "ext4",
            migrationPending: false,
            hasOldRoot: false,
            converted: false,
          },
        ],
      };
    case "stateless":
      return {
        ...base,
        os: { kind: "nixos", ...nixos },
        disks: [
          nvme(
            { esp: ["/boot"], root: ["/nix"] },
            `This disk holds the running system (${ROOT.path} is mounted at /nix).`,
          ),
          SATA,
        ],
        mounts: [
          mount("/", "tmpfs", "tmpfs", "rw,relatime,size=4194304k,mode=755"),
          mount("/nix", ROOT.path, "ext4", ROOT_OPTIONS),
          mount("/boot", ESP.path, "vfat", BOOT_OPTIONS),
          mount("/etc/nixos", ROOT.path, "ext4", ROOT_OPTIONS),
        ],
        rootFs: {
          device: "tmpfs",
          fsType: "tmpfs",
          options: ["rw", "relatime", "size=4194304k", "mode=755"],
          uuid: null,
          fstabDevice: "none",
        },
        bootFs,
        nixosConfig,
        layout: null,
        rootIsTmpfs: true,
        installs: [
          {
            device: ROOT.path,
            fsType: "ext4",
            migrationPending: false,
            hasOldRoot: true,
            converted: true,
          },
        ],
      };
  }
}

export interface Sandbox {
  scenario: SandboxScenario;
  /** The folder the sandbox lives in. */
  dir: string;
  /**
   * The pretend root partition /dev/nvme0n1p2, a real folder: an unconverted
   * NixOS root (livecd, installed), the --target of a real migrate run; or
   * the /nix partition a conversion left, with persistent/ and old-root/
   * (stateless, livecd-converted).
   */
  rootPartition: string;
  /**
   * What the scanner reads as "/" by default: the running system's root
   * (installed: the root partition; stateless: its tmpfs root), from the
   * LiveCD the NixOS root it would convert (livecd), or the LiveCD's own
   * empty root (livecd-converted).
   */
  scanRoot: string;
  /** The pretend partitions that are real folders: device -> folder. */
  partitionFolders: Readonly<Record<string, string>>;
  /** The empty folder an install would mount on (/mnt): only dry runs use it. */
  installTarget: string;
  facts(): MachineFacts;
  /** Removes the sandbox's folder. */
  dispose(): void;
}

/** Creates a sandbox in a fresh folder under `parent` (default: the temp folder). */
export function createSandbox(
  options: { parent?: string; scenario?: SandboxScenario } = {},
): Sandbox {
  const scenario = options.scenario ?? "livecd";
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), "tabula-sandbox-"));
  try {
    return fillSandbox(dir, scenario);
  } catch (error) {
    // A half-made sandbox is of no use to anyone: leave nothing behind.
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function fillSandbox(dir: string, scenario: SandboxScenario): Sandbox {
  const rootPartition = join(dir, "nvme0n1p2");
  const installTarget = join(dir, "mnt");
  const converted = scenario === "stateless" || scenario === "livecd-converted";
  let scanRoot = rootPartition;
  const lines = [
    "Tabula's sandbox: a pretend machine. Its disks exist only as facts in",
    "Tabula; this folder holds the real parts of it:",
  ];
  if (converted) {
    createConvertedPartition(rootPartition);
    lines.push(
      "  nvme0n1p2/  the /nix partition of the pretend NixOS after its conversion:",
      "              persistent/ (what is kept), old-root/ (the rest of the old",
      "              root, with state that was missed), store/ (the Nix store)",
    );
    scanRoot = join(dir, scenario === "stateless" ? "root" : "livecd-root");
    if (scenario === "stateless") {
      createStatelessRoot(scanRoot);
      lines.push(
        "  root/       the running system's tmpfs root (scanned as the live system)",
      );
    } else {
      mkdirSync(scanRoot);
      lines.push("  livecd-root/  the LiveCD's own root: nothing to scan");
    }
  } else {
    createSandboxRoot(rootPartition);
    lines.push(
      "  nvme0n1p2/  the root partition of the pretend NixOS install (scanned as",
      "              the live system; the migrate phase really rearranges it)",
    );
  }
  mkdirSync(installTarget);
  lines.push(
    "  mnt/        the install target, used by dry runs only",
    "Delete the folder to throw the sandbox away.",
    "",
  );
  writeFileSync(join(dir, "README.txt"), lines.join("\n"));
  const tools = findTools();
  return {
    scenario,
    dir,
    rootPartition,
    scanRoot,
    partitionFolders: { [ROOT.path]: rootPartition },
    installTarget,
    facts: () => sandboxFacts(scenario, tools),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** How the runner runs a phase on the sandbox: the arguments for steps.sh, and why. */
export interface SandboxRun {
  dryRun: boolean;
  /** Extra arguments for `bash steps.sh PHASE` (--dry-run, --target, --force). */
  args: string[];
  /** One sentence for the UI and the log: what runs for real and what does not. */
  explanation: string;
}

export function sandboxRun(
  phase: PhaseName,
  sandbox: Pick<Sandbox, "rootPartition" | "installTarget">,
): SandboxRun {
  const dry = (explanation: string, args: string[] = []): SandboxRun => ({
    dryRun: true,
    args: ["--dry-run", ...args],
    explanation,
  });
  switch (phase) {
    case "install":
      return dry(
        "The sandbox's disks are pretend: install runs as a dry run, printing every command and changing nothing.",
        ["--target", sandbox.installTarget],
      );
    case "prepare":
      return dry(
        "prepare builds the new NixOS system and points the system profile at it: in the sandbox it runs as a dry run.",
      );
    case "migrate":
      // With --target naming a folder it owns, steps.sh runs migrate without
      // root too (the kernel checks each rename): the sandbox's folder is
      // Tabula's own, so the run is real whoever Tabula runs as.
      return {
        dryRun: false,
        args: ["--target", sandbox.rootPartition, "--force"],
        explanation: `migrate really moves the files of the sandbox's pretend root partition (the folder ${sandbox.rootPartition}); --force because the sandbox's prepare only ran as a dry run and left no .tabula/migration.json.`,
      };
    case "bootloader":
      return dry(
        "bootloader needs nixos-enter and a real EFI system partition: in the sandbox it runs as a dry run.",
        ["--target", sandbox.installTarget],
      );
    case "recover":
      return dry(
        "recover brings the chosen paths into persistent storage and rebuilds NixOS (nixos-rebuild, from the LiveCD through nixos-enter): in the sandbox it runs as a dry run.",
      );
    case "revert":
      // Like migrate: renames inside the sandbox's own folder, for real; the
      // bootloader step is skipped with --target.
      return {
        dryRun: false,
        args: ["--target", sandbox.rootPartition, "--force"],
        explanation: `revert really moves the files of the sandbox's pretend root partition (the folder ${sandbox.rootPartition}) back to where they were; the bootloader is not touched (--target), and --force because the sandbox's prepare only ran as a dry run.`,
      };
  }
}
