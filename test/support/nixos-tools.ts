// Helpers for tests that run NixOS's own tools through the stand-ins in
// test/support/nixos-tools/ (see its README.md for each tool's contract):
// the PATH and log they use, the calls they recorded, stand-in systems in
// a real Nix store, and running a command as if a mounted root were the
// running system.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DIR = new URL("./nixos-tools/", import.meta.url).pathname.replace(
  /\/$/,
  "",
);

/** The nixos-tools folder (make-system.sh, eval/, lib/, system/). */
export function standinDir(): string {
  return DIR;
}

/** The folder of the stand-in tools; tests put it first on PATH. */
export function standinBin(): string {
  return join(DIR, "bin");
}

/**
 * The environment for a run that should find the stand-ins: PATH with them
 * first, every call logged to `log`, and an ESP that is not vfat accepted
 * (this kernel cannot mount vfat). `extra` is added last.
 */
export function standinEnv(
  log: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${standinBin()}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    TABULA_STANDIN_LOG: log,
    TABULA_STANDIN_ESP_ANY_FS: "1",
    ...extra,
  };
}

/** One recorded call: the fields every stand-in writes, plus its own facts. */
export interface StandinCall {
  tool: string;
  argv: string[];
  cwd: string | null;
  uid: number;
  env: Record<string, string | null>;
  [fact: string]: unknown;
}

/** The calls recorded in `log`, in order (none when it does not exist). */
export function readStandinCalls(log: string): StandinCall[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as StandinCall);
}

/** A file system entry as the evaluator reports it. */
export interface FileSystemEntry {
  device: string | null;
  fsType: string;
  options: string[];
  neededForBoot: boolean;
}

export interface MirroredBoot {
  path: string;
  devices: string[];
  efiSysMountPoint: string | null;
  efiBootloaderId?: string | null;
}

/** What test/support/nixos-tools/eval/eval.nix reports for a configuration. */
export interface EvaluatedConfig {
  evaluator: { lib: string; impermanence: string };
  fileSystems: Record<string, FileSystemEntry>;
  swapDevices: { device: string | null; randomEncryption: boolean }[];
  boot: {
    kernelParams: string[];
    initrd: { luks: { devices: Record<string, { device: string }> } };
    loader: {
      timeout: number | null;
      efi: { efiSysMountPoint: string; canTouchEfiVariables: boolean };
      "systemd-boot": {
        enable: boolean;
        editor: boolean;
        consoleMode: string;
        configurationLimit: number | null;
      };
      grub: {
        enable: boolean;
        device: string;
        devices: string[];
        efiSupport: boolean;
        efiInstallAsRemovable: boolean;
        copyKernels: boolean;
        configurationLimit: number;
        mirroredBoots: MirroredBoot[];
      };
    };
  };
  networking: { hostName: string };
  system: {
    stateVersion: string | null;
    build: { installBootLoader: "systemd-boot" | "grub" | "none" };
  };
  environment: {
    persistence: Record<
      string,
      {
        enable: boolean;
        hideMounts: boolean;
        directories: string[];
        files: string[];
        users: Record<string, { directories: string[]; files: string[] }>;
      }
    > | null;
  };
  /** The owner of each persisted system folder, per storage (eval/report.nix). */
  persistenceOwners: Record<
    string,
    { directory: string; user: string | null; group: string | null }[]
  > | null;
  /** Where the system's Nix builds (eval/report.nix): null where unset. */
  nixBuilds: {
    nixPackage: string;
    buildDir: string | null;
    daemonTmpdir: string | null;
    daemonCacheDirectory: string | null;
    nixRemote: string | null;
    sudoExtraConfig: string | null;
    sudoRsExtraConfig: string | null;
  };
  assertions: string[];
  warnings: string[];
}

/** The choices a test makes for a stand-in system; the rest as NixOS defaults them. */
export interface SystemOptions {
  hostName?: string;
  loader?: "systemd-boot" | "grub" | "none";
  efiSysMountPoint?: string;
  canTouchEfiVariables?: boolean;
  /** grub: boot.loader.grub.devices (becomes mirroredBoots [{ path: "/boot" }]) */
  grubDevices?: string[];
  grubEfiSupport?: boolean;
  mirroredBoots?: MirroredBoot[];
  copyKernels?: boolean;
  /** Also what makes two otherwise equal systems distinct store paths. */
  kernelParams?: string[];
  fileSystems?: Record<string, FileSystemEntry>;
  stateVersion?: string;
}

/** The evaluator's report for a system with these options. */
export function systemConfig(options: SystemOptions = {}): EvaluatedConfig {
  const loader = options.loader ?? "systemd-boot";
  const esp = options.efiSysMountPoint ?? "/boot";
  const grubDevices = options.grubDevices ?? [];
  const mirroredBoots =
    options.mirroredBoots ??
    (loader === "grub" && grubDevices.length > 0
      ? [
          {
            path: "/boot",
            devices: grubDevices,
            efiSysMountPoint: esp,
            efiBootloaderId: null,
          },
        ]
      : []);
  return {
    evaluator: { lib: "test", impermanence: "stub" },
    fileSystems: options.fileSystems ?? {
      "/": {
        device: "none",
        fsType: "tmpfs",
        options: ["defaults", "mode=755"],
        neededForBoot: false,
      },
    },
    swapDevices: [],
    boot: {
      kernelParams: options.kernelParams ?? [],
      initrd: { luks: { devices: {} } },
      loader: {
        timeout: 5,
        efi: {
          efiSysMountPoint: esp,
          canTouchEfiVariables: options.canTouchEfiVariables ?? false,
        },
        "systemd-boot": {
          enable: loader === "systemd-boot",
          editor: true,
          consoleMode: "keep",
          configurationLimit: null,
        },
        grub: {
          enable: loader === "grub",
          device: "",
          devices: grubDevices,
          efiSupport: options.grubEfiSupport ?? false,
          efiInstallAsRemovable: false,
          copyKernels: options.copyKernels ?? false,
          configurationLimit: 100,
          mirroredBoots,
        },
      },
    },
    networking: { hostName: options.hostName ?? "tern" },
    system: {
      stateVersion: options.stateVersion ?? "25.11",
      build: { installBootLoader: loader },
    },
    environment: { persistence: null },
    persistenceOwners: null,
    // A system with no Tabula module: Nix's own defaults, nothing set.
    nixBuilds: {
      nixPackage: "nix-2.31.2",
      buildDir: null,
      daemonTmpdir: null,
      daemonCacheDirectory: null,
      nixRemote: null,
      sudoExtraConfig: null,
      sudoRsExtraConfig: null,
    },
    assertions: [],
    warnings: [],
  };
}

function run(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(command, args, {
    encoding: "utf8",
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    status: r.status ?? 1,
    stdout: r.stdout ?? "",
    stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`,
  };
}

function mustRun(command: string, args: string[]): string {
  const r = run(command, args);
  if (r.status !== 0)
    throw new Error(
      `${command} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`,
    );
  return r.stdout;
}

/**
 * Builds a stand-in system toplevel (make-system.sh) and adds it to the
 * store rooted at `storeRoot` (`nix-store --store storeRoot --add`: the
 * store is storeRoot/nix/store). Returns its store path (/nix/store/...).
 */
export function makeSystemInStore(
  storeRoot: string,
  config: SystemOptions | EvaluatedConfig = {},
): string {
  const full = "boot" in config ? config : systemConfig(config);
  const work = mkdtempSync(join(tmpdir(), "tabula-standin-system-"));
  try {
    const json = join(work, "config.json");
    writeFileSync(json, JSON.stringify(full));
    const make = join(DIR, "make-system.sh");
    const name = mustRun(make, ["--name", json]).trim();
    mustRun(make, [join(work, name), json]);
    return mustRun("nix-store", [
      "--store",
      storeRoot,
      "--add",
      join(work, name),
    ]).trim();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Makes `path` the system profile of the store at `storeRoot` with the real
 * `nix-env --store storeRoot -p storeRoot/nix/var/nix/profiles/system --set`
 * (Nix 2.8 handles a chroot store): a new system-N-link and `system`
 * pointing to it. Returns N.
 */
export function setSystemProfile(storeRoot: string, path: string): number {
  const profile = join(storeRoot, "nix/var/nix/profiles/system");
  mustRun("nix-env", ["--store", storeRoot, "-p", profile, "--set", path]);
  const link = readlinkSync(profile);
  const m = /^system-(\d+)-link$/.exec(link);
  if (!m) throw new Error(`unexpected profile link ${link}`);
  return Number(m[1]);
}

export interface RunInSystemOptions {
  /** The environment (default: the stand-ins on PATH, no log; see standinEnv). */
  env?: NodeJS.ProcessEnv;
  /** The working directory inside the root (default /). */
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Link /run/current-system to the system profile (default true), as at boot. */
  currentSystem?: boolean;
}

/**
 * Runs argv as if `root` (a mounted file system, say a loop device's old
 * NixOS root) were the running system: in a private mount namespace, with
 * /proc, /sys, /dev and a tmpfs /run inside, the host's /usr /bin /lib
 * /lib64 and the stand-ins bound read-only, chrooted, the stand-ins first
 * on PATH (lib/run-in-root.sh). The namespace, and every mount, dies with
 * the process. Needs root.
 */
export function runInSystem(
  root: string,
  argv: string[],
  options: RunInSystemOptions = {},
): { status: number; stdout: string; stderr: string } {
  const args = [join(DIR, "lib/run-in-root.sh")];
  if (options.currentSystem ?? true) args.push("--current-system");
  args.push(
    "--unset-tmpdir",
    "--chdir",
    options.cwd ?? "/",
    root,
    "--",
    ...argv,
  );
  const r = spawnSync("bash", args, {
    encoding: "utf8",
    env: options.env ?? {
      ...process.env,
      PATH: `${standinBin()}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      TABULA_STANDIN_ESP_ANY_FS: "1",
      TABULA_STANDIN_LOG: "",
    },
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    status: r.status ?? 1,
    stdout: r.stdout ?? "",
    stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`,
  };
}

export interface EvaluateOptions {
  /** A nixpkgs.lib checkout (default: $NIXPKGS_LIB, else the stand-in lib). */
  nixpkgsLib?: string | null;
  /** An impermanence checkout (default: $IMPERMANENCE_SRC). */
  impermanence?: string | null;
  /** Throw on failed assertions, as a build does. */
  failOnAssertions?: boolean;
  /** The Nix the system ships, as NAME-VERSION (default: eval.nix's, nix-2.31.2). */
  nixPackage?: string;
}

/**
 * Evaluates a flake's nixosConfigurations.ATTR, or a configuration.nix,
 * with eval/eval.nix. Returns the report, or throws with Nix's error.
 */
export function evaluateConfiguration(
  what: { flake: string; attr: string } | { configuration: string },
  options: EvaluateOptions = {},
): EvaluatedConfig {
  const r = evaluateConfigurationRaw(what, options);
  if (r.status !== 0)
    throw new Error(`evaluation failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as EvaluatedConfig;
}

/** As evaluateConfiguration, but returns status, stdout and stderr. */
export function evaluateConfigurationRaw(
  what: { flake: string; attr: string } | { configuration: string },
  options: EvaluateOptions = {},
): { status: number; stdout: string; stderr: string } {
  const args = ["--eval", "--strict", "--json", join(DIR, "eval/eval.nix")];
  if ("flake" in what)
    args.push("--argstr", "flake", what.flake, "--argstr", "attr", what.attr);
  else args.push("--argstr", "configuration", what.configuration);
  const lib =
    options.nixpkgsLib === undefined
      ? process.env.NIXPKGS_LIB
      : options.nixpkgsLib;
  const imp =
    options.impermanence === undefined
      ? process.env.IMPERMANENCE_SRC
      : options.impermanence;
  if (lib) args.push("--argstr", "nixpkgsLib", lib);
  if (imp) args.push("--argstr", "impermanence", imp);
  if (options.failOnAssertions) args.push("--arg", "failOnAssertions", "true");
  if (options.nixPackage)
    args.push("--argstr", "nixPackage", options.nixPackage);
  return run("nix-instantiate", args);
}
