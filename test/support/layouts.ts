// The layouts people's NixOS installs have, built on loop devices as
// nixos-generate-config and nixos-install leave them, for the end-to-end
// conversion tests: partitions and filesystems (btrfs subvolumes, LUKS, a
// separate /home, xfs, a swap file), the old root (test/support/old-root.ts)
// with its configuration (a flake or configuration.nix, and a
// hardware-configuration.nix naming the filesystems by UUID), a stand-in
// old system in its store with the system profile pointing to it, and that
// system's bootloader installed by the stand-in switch-to-configuration.
//
// What this machine cannot do is stood in and said so: there is no udev, so
// the /dev/disk/by-uuid links are made by hand (and removed); no
// device-mapper, so an opened LUKS container is a block-device node at
// /dev/mapper/NAME for a second loop device holding the filesystem inside;
// no vfat mounts, so the ESP is ext4 (the stand-in bootloader accepts it
// with TABULA_STANDIN_ESP_ANY_FS=1).
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Design } from "../../shared/design/types";
import type { LoopDisks } from "./loop-disks";
import { type LoopDisk } from "./loop-disks";
import {
  evaluateConfiguration,
  makeSystemInStore,
  runInSystem,
  setSystemProfile,
  standinEnv,
} from "./nixos-tools";
import { buildOldRoot, oldRootDesign } from "./old-root";

export interface LayoutSpec {
  /** The letter and a name, e.g. "a: ext4 root, ESP at /boot". */
  title: string;
  root: "ext4" | "xfs" | "btrfs-@" | "btrfs-subvolumes";
  /** esp: an ESP at /boot; esp-efi: at /boot/efi with /boot on the root; bios: /boot on the root. */
  boot: "esp" | "esp-efi" | "bios";
  bootloader: "systemd-boot" | "grub";
  separateHome?: boolean;
  swapFile?: boolean;
  luks?: boolean;
  configType: "flake" | "configuration.nix";
  /** A nixpkgs without lib.modules.importApply (older than 24.11). */
  oldNixpkgs?: boolean;
}

export interface Fs {
  device: string;
  fsType: string;
  options: string[];
}

export interface BuiltLayout {
  spec: LayoutSpec;
  disk: LoopDisk;
  design: Design;
  /** The old root filesystem (what convert.device and options name). */
  root: Fs;
  /** /nix of its own (btrfs @nix), /home, /var/log (btrfs @log). */
  nix?: Fs;
  home?: Fs;
  log?: Fs;
  /** The boot filesystem and where it is mounted. */
  boot?: Fs & { mountPoint: string };
  /** The user's configuration file the conversion patches (its text). */
  userConfig: string;
  /** The old system's store path (the profile before prepare). */
  oldSystem: string;
  /** Environment the running system has (NIX_PATH for configuration.nix). */
  systemEnv: NodeJS.ProcessEnv;
}

const HOST = "tern";

function sh(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, {
    encoding: "utf8",
    input,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

function uuidOf(device: string): string {
  return sh("blkid", [
    "-c",
    "/dev/null",
    "-s",
    "UUID",
    "-o",
    "value",
    device,
  ]).trim();
}

/** udev's /dev/disk/by-uuid links, made by hand (this machine has no udev) and removed by `remove`. */
export class UdevLinks {
  private made: string[] = [];

  link(device: string): string {
    const uuid = uuidOf(device);
    const dir = "/dev/disk/by-uuid";
    mkdirSync(dir, { recursive: true });
    const at = join(dir, uuid);
    if (!existsSync(at)) {
      symlinkSync(device, at);
      this.made.push(at);
    }
    return at;
  }

  /** A /dev/mapper/NAME block node standing for an opened LUKS container (no device-mapper here). */
  mapper(name: string, device: string): string {
    mkdirSync("/dev/mapper", { recursive: true });
    const at = `/dev/mapper/${name}`;
    const st = statSync(device);
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    sh("mknod", [at, "b", String(major), String(minor)]);
    this.made.push(at);
    return at;
  }

  remove(): void {
    for (const at of this.made.splice(0).reverse())
      try {
        unlinkSync(at);
      } catch {
        // gone already
      }
  }
}

/** The fake nixpkgs the running system's configuration builds with (for tabula_check_nixpkgs's real Nix). */
function fakeNixpkgs(at: string, old: boolean): void {
  mkdirSync(join(at, "lib"), { recursive: true });
  writeFileSync(
    join(at, "lib/default.nix"),
    old
      ? '{ version = "24.05"; modules = { evalModules = x: x; }; }\n'
      : '{ version = "24.11"; modules = { evalModules = x: x; importApply = f: a: f a; }; }\n',
  );
  writeFileSync(
    join(at, "flake.nix"),
    [
      "{",
      "  outputs = { self }: {",
      "    lib = import ./lib // { nixosSystem = args: { lib = self.lib; }; };",
      "  };",
      "}",
      "",
    ].join("\n"),
  );
}

function nixString(s: string): string {
  return JSON.stringify(s);
}

function fsEntry(at: string, fs: Fs): string {
  const options = fs.options.length
    ? `\n      options = [ ${fs.options.map(nixString).join(" ")} ];`
    : "";
  return `  fileSystems.${nixString(at)} =\n    { device = ${nixString(fs.device)};\n      fsType = ${nixString(fs.fsType)};${options}\n    };\n`;
}

/** hardware-configuration.nix as nixos-generate-config writes it (the research notes, §3). */
function hardwareConfiguration(l: {
  root: Fs;
  nix?: Fs;
  home?: Fs;
  log?: Fs;
  boot?: Fs & { mountPoint: string };
  luks?: { name: string; device: string };
}): string {
  return [
    "# Do not modify this file!  It was generated by ‘nixos-generate-config’",
    "# and may be overwritten by future invocations.  Please make changes",
    "# to /etc/nixos/configuration.nix instead.",
    "{ config, lib, pkgs, modulesPath, ... }:",
    "",
    "{",
    "  imports =",
    '    [ (modulesPath + "/installer/scan/not-detected.nix")',
    "    ];",
    "",
    '  boot.initrd.availableKernelModules = [ "xhci_pci" "ahci" "nvme" "sd_mod" ];',
    "  boot.initrd.kernelModules = [ ];",
    '  boot.kernelModules = [ "kvm-intel" ];',
    "  boot.extraModulePackages = [ ];",
    "",
    fsEntry("/", l.root),
    ...(l.luks
      ? [
          `  boot.initrd.luks.devices.${nixString(l.luks.name)}.device = ${nixString(l.luks.device)};\n`,
        ]
      : []),
    ...(l.nix ? [fsEntry("/nix", l.nix)] : []),
    ...(l.home ? [fsEntry("/home", l.home)] : []),
    ...(l.log ? [fsEntry("/var/log", l.log)] : []),
    ...(l.boot ? [fsEntry(l.boot.mountPoint, l.boot)] : []),
    "  swapDevices = [ ];",
    "",
    '  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";',
    "}",
    "",
  ].join("\n");
}

function configurationNix(spec: LayoutSpec, disk: string): string {
  const loader =
    spec.bootloader === "systemd-boot"
      ? [
          "  boot.loader.systemd-boot.enable = true;",
          "  boot.loader.efi.canTouchEfiVariables = true;",
          ...(spec.boot === "esp-efi"
            ? ['  boot.loader.efi.efiSysMountPoint = "/boot/efi";']
            : []),
        ]
      : spec.boot === "bios"
        ? [
            "  boot.loader.grub.enable = true;",
            `  boot.loader.grub.device = ${nixString(disk)};`,
          ]
        : [
            "  boot.loader.grub.enable = true;",
            '  boot.loader.grub.device = "nodev";',
            "  boot.loader.grub.efiSupport = true;",
            ...(spec.boot === "esp-efi"
              ? ['  boot.loader.efi.efiSysMountPoint = "/boot/efi";']
              : []),
          ];
  return [
    "# Edit this configuration file to define what should be installed on",
    "# your system.",
    "",
    "{ config, lib, pkgs, ... }:",
    "",
    "{",
    "  imports =",
    "    [ # Include the results of the hardware scan.",
    "      ./hardware-configuration.nix",
    "    ];",
    "",
    ...loader,
    "",
    `  networking.hostName = ${nixString(HOST)};`,
    "  users.users.mira = { isNormalUser = true; uid = 1000; };",
    ...(spec.swapFile
      ? ['  swapDevices = [ { device = "/swapfile"; } ];']
      : []),
    "",
    '  system.stateVersion = "24.11";',
    "}",
    "",
  ].join("\n");
}

function flakeNix(): string {
  return [
    "{",
    '  inputs.nixpkgs.url = "path:/opt/fake-nixpkgs";',
    "",
    "  outputs = { self, nixpkgs }: {",
    `    nixosConfigurations.${HOST} = nixpkgs.lib.nixosSystem {`,
    '      system = "x86_64-linux";',
    "      modules = [ ./configuration.nix ];",
    "    };",
    "  };",
    "}",
    "",
  ].join("\n");
}

/** Mounts FS at AT (creating it), returning AT. */
function mount(fs: Fs, at: string): string {
  mkdirSync(at, { recursive: true });
  sh("mount", [
    "-t",
    fs.fsType,
    ...(fs.options.length ? ["-o", fs.options.join(",")] : []),
    fs.device,
    at,
  ]);
  return at;
}

/**
 * The old root as the running system sees it: the root filesystem at `at`,
 * and under it /nix, /home, /var/log when they are filesystems of their
 * own, and the boot filesystem. Returns the mount points, outermost first.
 */
export function mountRunningSystem(l: BuiltLayout, at: string): string[] {
  const points = [mount(l.root, at)];
  if (l.nix) points.push(mount(l.nix, join(at, "nix")));
  if (l.home) points.push(mount(l.home, join(at, "home")));
  if (l.log) points.push(mount(l.log, join(at, "var/log")));
  if (l.boot) points.push(mount(l.boot, join(at, l.boot.mountPoint)));
  return points;
}

export function unmountAll(at: string): void {
  spawnSync("umount", ["-R", at]);
}

/** Builds the layout on a new loop disk of DISKS; LINKS makes the udev links. */
export function buildLayout(
  disks: LoopDisks,
  links: UdevLinks,
  spec: LayoutSpec,
  name: string,
): BuiltLayout {
  const parts: string[] = [];
  if (spec.boot === "bios") parts.push("-n1:0:+1M", "-t1:ef02");
  else parts.push("-n1:0:+64M", "-t1:ef00");
  parts.push("-n2:0:+640M", "-t2:8300");
  if (spec.separateHome) parts.push("-n3:0:0", "-t3:8300");
  const disk = disks.create(name, 1024, parts);

  // The boot filesystem (ext4: this kernel cannot mount vfat).
  let boot: BuiltLayout["boot"];
  if (spec.boot !== "bios") {
    sh("mkfs.ext4", ["-q", "-L", "ESP", disk.part(1)]);
    boot = {
      device: links.link(disk.part(1)),
      fsType: "ext4",
      options: [],
      mountPoint: spec.boot === "esp" ? "/boot" : "/boot/efi",
    };
  }

  // The root filesystem, inside LUKS when asked (the container's header is
  // real; the mapping is a second loop disk, see the head of this file).
  let rootDevice = disk.part(2);
  let luks: { name: string; device: string } | undefined;
  if (spec.luks) {
    sh(
      "cryptsetup",
      [
        "luksFormat",
        "--type",
        "luks2",
        "--batch-mode",
        "--pbkdf",
        "pbkdf2",
        "--pbkdf-force-iterations",
        "1000",
        "--key-file",
        "-",
        disk.part(2),
      ],
      "tabula-test-passphrase",
    );
    const luksUuid = uuidOf(disk.part(2));
    const inner = disks.create(`${name}-opened`, 640);
    luks = { name: `luks-${luksUuid}`, device: links.link(disk.part(2)) };
    rootDevice = links.mapper(luks.name, inner.path);
  }
  const fsType = spec.root.startsWith("btrfs") ? "btrfs" : spec.root;
  if (fsType === "btrfs") sh("mkfs.btrfs", ["-q", "-f", rootDevice]);
  else if (fsType === "xfs") sh("mkfs.xfs", ["-q", "-f", rootDevice]);
  else sh("mkfs.ext4", ["-q", rootDevice]);
  // nixos-generate-config (25.11) names an opened LUKS mapping by /dev/mapper.
  const rootName = spec.luks ? rootDevice : links.link(rootDevice);
  const subvol = (s: string): Fs => ({
    device: rootName,
    fsType: "btrfs",
    options: [`subvol=${s}`],
  });
  const root: Fs =
    spec.root === "btrfs-@" || spec.root === "btrfs-subvolumes"
      ? subvol("@")
      : { device: rootName, fsType, options: [] };
  let nix: Fs | undefined;
  let home: Fs | undefined;
  let log: Fs | undefined;
  if (fsType === "btrfs") {
    const top = disks.mount(rootDevice);
    for (const s of spec.root === "btrfs-subvolumes"
      ? ["@", "@nix", "@home", "@log"]
      : ["@"])
      sh("btrfs", ["-q", "subvolume", "create", join(top, s)]);
    disks.umount(top);
    if (spec.root === "btrfs-subvolumes") {
      nix = subvol("@nix");
      home = subvol("@home");
      log = subvol("@log");
    }
  }
  if (spec.separateHome) {
    sh("mkfs.ext4", ["-q", disk.part(3)]);
    home = { device: links.link(disk.part(3)), fsType: "ext4", options: [] };
  }

  // The old root, with everything mounted where the running system has it.
  const scratch = mkdtempSync(join(disks.dir, `${name}-build-`));
  const at = join(scratch, "root");
  const partial: BuiltLayout = {
    spec,
    disk,
    design: oldRootDesign(),
    root,
    nix,
    home,
    log,
    boot,
    userConfig: "",
    oldSystem: "",
    systemEnv: {},
  };
  mountRunningSystem({ ...partial, boot: undefined }, at);
  let oldSystem: string;
  try {
    buildOldRoot(scratch, { rootDir: at, topLevelHostile: 3 });
    // The old system: the configuration evaluated, a stand-in toplevel in
    // the store, the system profile pointing to it.
    const nixos = join(at, "etc/nixos");
    rmSync(join(nixos, "flake.nix"));
    rmSync(join(nixos, "configuration.nix"));
    writeFileSync(
      join(nixos, "hardware-configuration.nix"),
      hardwareConfiguration({ root, nix, home, log, boot, luks }),
    );
    writeFileSync(
      join(nixos, "configuration.nix"),
      configurationNix(spec, disk.path),
    );
    if (spec.configType === "flake")
      writeFileSync(join(nixos, "flake.nix"), flakeNix());
    fakeNixpkgs(join(at, "opt/fake-nixpkgs"), spec.oldNixpkgs === true);
    // NixOS's /etc/os-release (switch-to-configuration reads it).
    writeFileSync(
      join(at, "etc/os-release"),
      'NAME=NixOS\nID=nixos\nVERSION_ID="24.11"\nPRETTY_NAME="NixOS 24.11 (Vicuna)"\n',
    );
    if (spec.swapFile) {
      sh("dd", [
        "if=/dev/zero",
        `of=${join(at, "swapfile")}`,
        "bs=1M",
        "count=8",
        "status=none",
      ]);
      sh("chmod", ["0600", join(at, "swapfile")]);
      sh("mkswap", ["-q", join(at, "swapfile")]);
    }
    const profiles = join(at, "nix/var/nix/profiles");
    for (const link of ["system", "system-1-link"])
      rmSync(join(profiles, link), { force: true });
    const evaluated = evaluateConfiguration(
      spec.configType === "flake"
        ? { flake: nixos, attr: HOST }
        : { configuration: join(nixos, "configuration.nix") },
    );
    oldSystem = makeSystemInStore(at, evaluated);
    setSystemProfile(at, oldSystem);
    // Its bootloader, installed as nixos-install ends.
    if (boot) mount(boot, join(at, boot.mountPoint));
    const installed = runInSystem(
      at,
      [
        "env",
        "NIXOS_INSTALL_BOOTLOADER=1",
        "/nix/var/nix/profiles/system/bin/switch-to-configuration",
        "boot",
      ],
      { env: standinEnv(join(scratch, "build.log")) },
    );
    if (installed.status !== 0)
      throw new Error(
        `the old system's bootloader did not install:\n${installed.stdout}${installed.stderr}`,
      );
  } finally {
    unmountAll(at);
  }
  rmSync(scratch, { recursive: true, force: true });

  const built: BuiltLayout = {
    ...partial,
    design: layoutDesign(spec, { root, nix, home, log, boot, luks }),
    userConfig:
      spec.configType === "flake"
        ? flakeNix()
        : configurationNix(spec, disk.path),
    oldSystem,
    systemEnv:
      spec.configType === "flake"
        ? {}
        : {
            NIX_PATH:
              "nixpkgs=/opt/fake-nixpkgs:nixos-config=/etc/nixos/configuration.nix",
          },
  };
  return built;
}

/** The convert design for the layout, as Tabula's probe fills it. */
function layoutDesign(
  spec: LayoutSpec,
  l: {
    root: Fs;
    nix?: Fs;
    home?: Fs;
    log?: Fs;
    boot?: Fs & { mountPoint: string };
    luks?: { name: string; device: string };
  },
): Design {
  const base = oldRootDesign();
  const kept = [...(l.home ? ["/home"] : []), ...(l.log ? ["/var/log"] : [])];
  const underKept = (p: string) =>
    kept.some((k) => p === k || p.startsWith(`${k}/`));
  const dirPath = (e: string | { directory: string }) =>
    typeof e === "string" ? e : e.directory;
  return {
    ...base,
    convert: {
      ...l.root,
      configDir: "/etc/nixos",
      configType: spec.configType,
      ...(spec.configType === "flake" ? { flakeAttr: HOST } : {}),
      ...(l.boot ? { boot: l.boot } : {}),
      bootloader: spec.bootloader,
      ...(l.luks ? { luks: l.luks } : {}),
      ...(l.nix ? { nix: l.nix } : {}),
      ...(kept.length ? { keptMounts: kept } : {}),
      ...(spec.swapFile ? { swapFiles: ["/swapfile"] } : {}),
    },
    persistence: {
      ...base.persistence,
      directories: base.persistence.directories.filter(
        (e) => !underKept(dirPath(e)),
      ),
      // mira's home is on /home: with /home of its own, nothing of it is persisted.
      users: l.home ? {} : base.persistence.users,
    },
  };
}
