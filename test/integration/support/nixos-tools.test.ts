// The stand-ins for NixOS's own tools (test/support/nixos-tools/): each
// contract is shown to hold and to fail the way the real tool fails, on
// real loop devices, real ext4/btrfs mounts and a real Nix store. Run it
// with and without NIXPKGS_LIB / IMPERMANENCE_SRC: the evaluator must give
// the same JSON with nixpkgs' lib as with the stand-in module system.
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoopDisks, type LoopDisk } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import {
  evaluateConfiguration,
  evaluateConfigurationRaw,
  makeSystemInStore,
  readStandinCalls,
  runInSystem,
  setSystemProfile,
  standinBin,
  standinEnv,
  type EvaluatedConfig,
  type StandinCall,
} from "../../support/nixos-tools";

const TIMEOUT = 180_000;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8" });
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", env, cwd });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** /etc of a NixOS root as the stand-ins need it. */
function nixosEtc(root: string): void {
  mkdirSync(join(root, "etc/nixos"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  writeFileSync(join(root, "etc/NIXOS"), "");
  writeFileSync(join(root, "etc/os-release"), "ID=nixos\nNAME=NixOS\n");
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\nnixbld:x:30000:\n");
  writeFileSync(
    join(root, "etc/machine-id"),
    "0123456789abcdef0123456789abcdef\n",
  );
}

function calls(log: string, tool: string): StandinCall[] {
  return readStandinCalls(log).filter((c) => c.tool === tool);
}

/** A grub.cfg's menuentries: name, linux and initrd paths, search lines. */
function menuEntries(cfg: string) {
  const out: {
    name: string;
    linux: string;
    initrd: string;
    searches: string[];
  }[] = [];
  const re = /menuentry "([^"]*)" \{\n([\s\S]*?)\n\}/g;
  for (const m of cfg.matchAll(re)) {
    const body = m[2] ?? "";
    out.push({
      name: m[1] ?? "",
      linux: /^\s*linux (\S+)/m.exec(body)?.[1] ?? "",
      initrd: /^\s*initrd (\S+)/m.exec(body)?.[1] ?? "",
      searches: body
        .split("\n")
        .filter((l) => l.startsWith("search"))
        .map((l) => l.trim()),
    });
  }
  return out;
}

/** Maps "($driveN)/x" to "/x" on the device the search line names. */
function onDevice(grubPath: string, searches: string[]) {
  const m = /^\(\$drive(\d+)\)(\/.*)$/.exec(grubPath);
  if (!m) throw new Error(`not a drive path: ${grubPath}`);
  const search = searches.find((s) =>
    s.startsWith(`search --set=drive${m[1]} `),
  );
  const uuid = /--fs-uuid (\S+)/.exec(search ?? "")?.[1];
  return { uuid, path: m[2] ?? "" };
}

describeWith(
  ["root", "loop", "mkfs", "nix", "bash"],
  "stand-ins for NixOS's own tools",
  () => {
    const disks = new LoopDisks("tabula-nixos-tools");
    const mounts: string[] = [];
    let log: string;
    let env: NodeJS.ProcessEnv;

    function mount(args: string[], target: string): string {
      mkdirSync(target, { recursive: true });
      sh("mount", [...args, target]);
      mounts.push(target);
      return target;
    }
    function tmpfsRoot(name: string): string {
      const t = join(disks.dir, name);
      mount(["-t", "tmpfs", "-o", "mode=755", "none"], t);
      return t;
    }
    function freshLog(): string {
      log = join(disks.dir, `calls-${Math.random().toString(36).slice(2)}.log`);
      env = standinEnv(log);
      return log;
    }
    function ext4(name: string, mib = 160): LoopDisk {
      const d = disks.create(name, mib);
      sh("mkfs.ext4", ["-q", "-F", d.path]);
      return d;
    }
    function uuidOf(dev: string): string {
      return sh("blkid", ["-o", "value", "-s", "UUID", dev]).trim();
    }

    beforeAll(() => {
      chmodSync(disks.dir, 0o755);
      freshLog();
    });

    afterAll(() => {
      for (const m of mounts.splice(0).reverse())
        spawnSync("umount", ["-R", m]);
      disks.cleanup();
    });

    // --- an old NixOS root on a loop device, as the running system --------
    describe("an old root on a loop device", () => {
      let disk: LoopDisk;
      let esp: LoopDisk;
      let root: string;
      let system: string;

      beforeAll(() => {
        disk = ext4("oldroot", 256);
        esp = ext4("oldesp", 64);
        root = mount([disk.path], join(disks.dir, "oldroot"));
        mount([esp.path], join(root, "boot"));
        nixosEtc(root);
        writeFileSync(join(root, "etc/marker"), "the target's own file\n");
        system = makeSystemInStore(root, { hostName: "tern" });
        setSystemProfile(root, system);
      });

      it("runInSystem: findmnt inside reports the loop device as /, the stand-ins come first", () => {
        const r = runInSystem(
          root,
          [
            "sh",
            "-c",
            'findmnt -n -o SOURCE --mountpoint /; command -v nixos-rebuild; readlink /run/current-system; cat /etc/marker; echo "TMPDIR=${TMPDIR-unset}"',
          ],
          { env },
        );
        expect(r.status, r.stderr).toBe(0);
        const [source, rebuild, current, marker, tmp] = r.stdout.split("\n");
        expect(source).toBe(disk.path);
        expect(rebuild).toBe("/run/tabula-standins/bin/nixos-rebuild");
        expect(current).toBe(system);
        expect(marker).toBe("the target's own file");
        expect(tmp).toBe("TMPDIR=unset");
        // The mount points made for the host's tools are gone again.
        expect(existsSync(join(root, "usr"))).toBe(false);
        expect(existsSync(join(root, "lib64"))).toBe(false);
      });

      it("nixos-enter refuses a root without etc/NIXOS with status 126 and the real message", () => {
        freshLog();
        const bare = join(disks.dir, "bare");
        mkdirSync(bare, { recursive: true });
        const r = run("nixos-enter", ["--root", bare, "--", "true"], env);
        expect(r.status).toBe(126);
        expect(r.stderr).toMatch(/: '.*bare' is not a NixOS installation\n$/);
        expect(calls(log, "nixos-enter")[0]?.refused).toBe(
          "not a NixOS installation",
        );
      });

      it("nixos-enter fails an unknown option as the real one (status 1, on stdout)", () => {
        const r = run("nixos-enter", ["--bogus"], env);
        expect(r.status).toBe(1);
        expect(r.stdout).toMatch(/unknown option `--bogus'/);
      });

      it("nixos-enter runs the command chrooted: activation, the target's files, the environment", () => {
        freshLog();
        const r = run(
          "nixos-enter",
          [
            "--root",
            root,
            "--",
            "sh",
            "-c",
            'cat /etc/marker; readlink /run/current-system; echo "NIB=$NIXOS_INSTALL_BOOTLOADER TMPDIR=${TMPDIR-unset}"; findmnt -n -o SOURCE --mountpoint /',
          ],
          { ...env, NIXOS_INSTALL_BOOTLOADER: "1", TMPDIR: "/tmp" },
        );
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.split("\n")).toEqual([
          "the target's own file",
          system,
          "NIB=1 TMPDIR=unset",
          disk.path,
          "",
        ]);
        const enter = calls(log, "nixos-enter")[0];
        expect(enter?.root).toBe(root);
        expect(enter?.systemResolved).toBe(system);
        expect(calls(log, "activate")[0]?.systemConfig).toBe(system);
      });

      it("nixos-enter -c runs the system's sw/bin/bash", () => {
        const r = run(
          "nixos-enter",
          ["--root", root, "-c", "echo inside $0"],
          env,
        );
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe(
          "inside /nix/var/nix/profiles/system/sw/bin/bash\n",
        );
      });

      it("nixos-enter finds no system when the profile is missing, or points to a path that exists only outside the root", () => {
        const other = mount(
          [ext4("noprofile", 64).path],
          join(disks.dir, "np"),
        );
        nixosEtc(other);
        const r = run(
          "nixos-enter",
          [
            "--root",
            other,
            "--",
            "/nix/var/nix/profiles/system/bin/switch-to-configuration",
            "boot",
          ],
          env,
        );
        expect(r.status).toBe(127);
        expect(r.stderr).toMatch(
          /chroot: failed to run command [‘']\/nix\/var\/nix\/profiles\/system\/bin\/switch-to-configuration[’']: No such file or directory/,
        );
        // An absolute link target is looked up inside the root: the path
        // exists on the host (the first root's store), not under `other`.
        mkdirSync(join(other, "nix/var/nix/profiles"), { recursive: true });
        symlinkSync(
          join(root, system),
          join(other, "nix/var/nix/profiles/system"),
        );
        expect(existsSync(join(root, system, "bin"))).toBe(true);
        const r2 = run("nixos-enter", ["--root", other, "-c", "true"], env);
        expect(r2.status).toBe(127);
        expect(r2.stderr).toMatch(
          /sw\/bin\/bash[’']: No such file or directory/,
        );
      });

      it("switch-to-configuration refuses outside NixOS and non-root, with the real messages", () => {
        const stc = join(root, system, "bin/switch-to-configuration");
        const onHost = run(stc, ["boot"], env);
        // This Debian host has os-release ID=debian and no /etc/NIXOS.
        expect(onHost.status).toBe(2);
        expect(onHost.stderr).toBe("This is not a NixOS installation!\n");
        const usage = run(stc, ["bogus"], env);
        expect(usage.status).toBe(1);
        expect(usage.stderr).toMatch(
          /^Usage: switch-to-configuration \[check\|switch\|boot\|test\|dry-activate\]/,
        );
        chmodSync(log, 0o666);
        const asNobody = run(
          "setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups", stc, "boot"],
          env,
        );
        expect(asNobody.status).toBe(1);
        expect(asNobody.stderr).toBe(
          "Error: switch-to-configuration must be run as the root user\n",
        );
        const noOsRelease = runInSystem(
          root,
          [
            "sh",
            "-c",
            "mount -t tmpfs none /etc && touch /etc/NIXOS && /run/current-system/bin/switch-to-configuration check",
          ],
          { env },
        );
        expect(noOsRelease.status).toBe(1);
        expect(noOsRelease.stderr).toMatch(
          /^Error: Failed to parse os-release/,
        );
      });

      it(
        "nixos-rebuild build and boot for a flake, inside the running system",
        () => {
          freshLog();
          writeFileSync(
            join(root, "etc/nixos/flake.nix"),
            `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
  inputs.impermanence.url = "github:nix-community/impermanence";
  outputs = { nixpkgs, impermanence, ... }: {
    nixosConfigurations.tern = nixpkgs.lib.nixosSystem {
      modules = [ impermanence.nixosModules.impermanence ./configuration.nix ];
    };
  };
}
`,
          );
          writeFileSync(
            join(root, "etc/nixos/configuration.nix"),
            `{ lib, ... }:
{
  fileSystems."/" = { device = "none"; fsType = "tmpfs"; options = [ "mode=755" ]; };
  fileSystems."/nix" = { device = "/dev/disk/by-label/nix"; fsType = "ext4"; neededForBoot = true; };
  boot.loader.systemd-boot.enable = true;
  boot.kernelParams = [ "quiet" ];
  networking.hostName = "tern";
  environment.persistence."/nix/persistent".directories = [ "/var/lib/nixos" ];
  system.stateVersion = "25.11";
}
`,
          );
          mkdirSync(join(root, "root/work"), { recursive: true });
          const build = runInSystem(
            root,
            [
              "nixos-rebuild",
              "build",
              "--flake",
              "/etc/nixos#tern",
              "--log-format",
              "internal-json",
              "-v",
            ],
            { env, cwd: "/root/work" },
          );
          expect(build.status, build.stderr).toBe(0);
          const result = readlinkSync(join(root, "root/work/result"));
          expect(result).toMatch(
            /^\/nix\/store\/[a-z0-9]{32}-nixos-system-tern-25\.11\.00000000\.tabula$/,
          );
          const nixLines = build.stderr
            .split("\n")
            .filter((l) => l.startsWith("@nix "))
            .map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>);
          expect(
            nixLines.some((l) => l.action === "start" && l.type === 105),
          ).toBe(true);
          expect(
            nixLines.some(
              (l) =>
                l.action === "result" &&
                l.type === 105 &&
                JSON.stringify(l.fields) === "[1,1,0,0]",
            ),
          ).toBe(true);
          const config = JSON.parse(
            readFileSync(
              join(root, result, "tabula-standin/config.json"),
              "utf8",
            ),
          ) as EvaluatedConfig;
          expect(
            config.environment.persistence?.["/nix/persistent"]?.directories,
          ).toEqual(["/var/lib/nixos"]);
          expect(
            readFileSync(join(root, result, "kernel-params"), "utf8"),
          ).toBe("loglevel=4 quiet\n");

          // boot: the profile gets generation 2, the bootloader is installed.
          const boot = runInSystem(
            root,
            [
              "nixos-rebuild",
              "boot",
              "--flake",
              "/etc/nixos#tern",
              "--install-bootloader",
            ],
            { env },
          );
          expect(boot.status, boot.stderr).toBe(0);
          expect(readlinkSync(join(root, "nix/var/nix/profiles/system"))).toBe(
            "system-2-link",
          );
          expect(
            readlinkSync(join(root, "nix/var/nix/profiles/system-2-link")),
          ).toBe(result);
          const rebuild = calls(log, "nixos-rebuild");
          expect(rebuild.map((c) => c.action)).toEqual(["build", "boot"]);
          expect(rebuild[1]?.profileSet).toBe(true);
          const stc = calls(log, "switch-to-configuration")[0];
          expect(stc?.action).toBe("boot");
          expect(stc?.env.NIXOS_INSTALL_BOOTLOADER).toBe("1");
          expect(stc?.status).toBe(0);
          expect(
            readFileSync(join(root, "boot/loader/loader.conf"), "utf8"),
          ).toMatch(/^default nixos-generation-2\.conf$/m);
          expect(
            existsSync(
              join(root, "boot/loader/entries/nixos-generation-1.conf"),
            ),
          ).toBe(true);
          // A second boot needs no --install-bootloader (bootctl status finds it).
          const again = runInSystem(
            root,
            ["nixos-rebuild", "boot", "--flake", "/etc/nixos#tern"],
            { env },
          );
          expect(again.status, again.stderr).toBe(0);
          expect(
            calls(log, "switch-to-configuration")[1]?.env
              .NIXOS_INSTALL_BOOTLOADER,
          ).toBe("0");
        },
        TIMEOUT,
      );

      it(
        "nixos-rebuild fails evaluation errors with status 1 and Nix's message",
        () => {
          const cases: [string, string, RegExp][] = [
            ["{ outputs = { ... }: { ; }", "tern", /syntax error/],
            [
              readFileSync(join(root, "etc/nixos/flake.nix"), "utf8"),
              "nosuch",
              /does not provide attribute 'packages\.x86_64-linux\.nixosConfigurations\."nosuch"/,
            ],
          ];
          for (const [flake, attr, message] of cases) {
            const dir = join(root, "root/bad");
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, "flake.nix"), flake);
            sh("cp", [join(root, "etc/nixos/configuration.nix"), dir]);
            const r = runInSystem(
              root,
              ["nixos-rebuild", "build", "--flake", `/root/bad#${attr}`],
              { env },
            );
            expect(r.status).toBe(1);
            expect(r.stderr).toMatch(message);
            expect(r.stderr).toMatch(/returned non-zero exit status 1\.\n$/);
          }
          // Unknown options fail as argparse does (ng) or as the bash script (legacy).
          const ng = runInSystem(root, ["nixos-rebuild", "boot", "--bogus"], {
            env,
          });
          expect(ng.status).toBe(2);
          expect(ng.stderr).toMatch(
            /nixos-rebuild: error: unrecognized arguments: --bogus/,
          );
          const legacy = runInSystem(
            root,
            ["nixos-rebuild", "boot", "--bogus"],
            {
              env: { ...env, TABULA_STANDIN_NIXOS_REBUILD: "legacy" },
            },
          );
          expect(legacy.status).toBe(1);
          expect(legacy.stderr).toMatch(/unknown option `--bogus'/);
        },
        TIMEOUT,
      );

      it(
        "nixos-rebuild for configuration.nix (-I nixos-config=) and a conflicting definition",
        () => {
          freshLog();
          writeFileSync(
            join(root, "etc/nixos/hardware-configuration.nix"),
            `{ modulesPath, ... }:
{
  imports = [ (modulesPath + "/installer/scan/not-detected.nix") ];
  fileSystems."/nix" = { device = "/dev/sda2"; fsType = "btrfs"; options = [ "subvol=@nix" ]; };
}
`,
          );
          writeFileSync(
            join(root, "etc/nixos/legacy.nix"),
            `{ ... }:
{
  imports = [ ./hardware-configuration.nix ];
  fileSystems."/" = { device = "none"; fsType = "tmpfs"; };
  fileSystems."/nix" = { device = "/dev/sda2"; fsType = "btrfs"; options = [ "subvol=@" ]; };
  boot.loader.grub.device = "nodev";
  networking.hostName = "legacy";
}
`,
          );
          const r = runInSystem(
            root,
            // --no-flake: /etc/nixos/flake.nix exists, and nixos-rebuild would use it.
            [
              "nixos-rebuild",
              "build",
              "--no-flake",
              "-I",
              "nixos-config=/etc/nixos/legacy.nix",
            ],
            { env, cwd: "/root/work" },
          );
          expect(r.status, r.stderr).toBe(0);
          const result = readlinkSync(join(root, "root/work/result"));
          expect(result).toMatch(/-nixos-system-legacy-/);
          const config = JSON.parse(
            readFileSync(
              join(root, result, "tabula-standin/config.json"),
              "utf8",
            ),
          ) as EvaluatedConfig;
          // The module that imports hardware-configuration.nix comes first
          // (nixpkgs' lib orders a submodule's definitions so; see the evaluator tests).
          expect(config.fileSystems["/nix"]?.options).toEqual([
            "subvol=@",
            "subvol=@nix",
          ]);
          expect(calls(log, "nixos-rebuild")[0]?.configuration).toBe(
            "/etc/nixos/legacy.nix",
          );
          writeFileSync(
            join(root, "etc/nixos/legacy.nix"),
            readFileSync(join(root, "etc/nixos/legacy.nix"), "utf8").replace(
              'device = "/dev/sda2"; fsType = "btrfs"; options = [ "subvol=@" ]',
              'device = "/dev/sdb1"; fsType = "btrfs"; options = [ "subvol=@" ]',
            ),
          );
          const conflict = runInSystem(
            root,
            ["nixos-rebuild", "build", "--no-flake"],
            {
              env: { ...env, NIX_PATH: "nixos-config=/etc/nixos/legacy.nix" },
              cwd: "/root/work",
            },
          );
          expect(conflict.status).toBe(1);
          expect(conflict.stderr).toMatch(
            /The option `fileSystems\."\/nix"\.device' has conflicting definition values:/,
          );
        },
        TIMEOUT,
      );

      it(
        "nixos-rebuild sees only the files git knows in a flake inside a git work tree",
        () => {
          const git = spawnSync("git", ["--version"]);
          if (git.status !== 0) return; // git is not among this suite's needs
          const dir = join(root, "root/gitflake");
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
          sh("cp", [
            join(root, "etc/nixos/flake.nix"),
            join(root, "etc/nixos/configuration.nix"),
            dir,
          ]);
          writeFileSync(
            join(dir, "configuration.nix"),
            readFileSync(join(dir, "configuration.nix"), "utf8").replace(
              "{ lib, ... }:\n{",
              "{ lib, ... }:\n{\n  imports = [ ./extra.nix ];",
            ),
          );
          writeFileSync(
            join(dir, "extra.nix"),
            '{ networking.hostName = "tern"; }\n',
          );
          sh("git", ["-C", dir, "init", "-q"]);
          sh("git", ["-C", dir, "add", "flake.nix", "configuration.nix"]);
          const untracked = runInSystem(
            root,
            ["nixos-rebuild", "build", "--flake", "/root/gitflake#tern"],
            { env, cwd: "/root/work" },
          );
          expect(untracked.status).toBe(1);
          expect(untracked.stderr).toMatch(
            /extra\.nix.*(does not exist|No such file)/,
          );
          sh("git", ["-C", dir, "add", "--intent-to-add", "extra.nix"]);
          const tracked = runInSystem(
            root,
            ["nixos-rebuild", "build", "--flake", "/root/gitflake#tern"],
            { env, cwd: "/root/work" },
          );
          expect(tracked.status, tracked.stderr).toBe(0);
        },
        TIMEOUT,
      );
    });

    // --- the bootloader phase's layout: tmpfs root, /nix, an ESP ------------
    describe("systemd-boot on the new layout (tmpfs /, the partition at /nix, an ext4 ESP)", () => {
      let target: string;
      let espDisk: LoopDisk;
      const systems: string[] = [];

      beforeAll(() => {
        target = tmpfsRoot("newlayout");
        const nix = ext4("newnix", 256);
        espDisk = ext4("newesp", 64);
        mount([nix.path], join(target, "nix"));
        mount([espDisk.path], join(target, "boot"));
        systems.push(makeSystemInStore(target, { kernelParams: ["gen=1"] }));
        systems.push(makeSystemInStore(target, { kernelParams: ["gen=2"] }));
        for (const s of systems) setSystemProfile(target, s);
      });

      it("nixos-enter refuses the fresh tmpfs root until etc/NIXOS exists (nixos-install creates it)", () => {
        const r = run(
          "nixos-enter",
          [
            "--root",
            target,
            "--",
            "/nix/var/nix/profiles/system/bin/switch-to-configuration",
            "boot",
          ],
          { ...env, NIXOS_INSTALL_BOOTLOADER: "1" },
        );
        expect(r.status).toBe(126);
      });

      it("refuses an ESP that is not vfat unless TABULA_STANDIN_ESP_ANY_FS=1, and a fresh ESP without NIXOS_INSTALL_BOOTLOADER", () => {
        mkdirSync(join(target, "etc"), { recursive: true });
        writeFileSync(join(target, "etc/NIXOS"), "");
        const argv = [
          "--root",
          target,
          "--",
          "/nix/var/nix/profiles/system/bin/switch-to-configuration",
          "boot",
        ];
        const strict = run("nixos-enter", argv, {
          ...env,
          NIXOS_INSTALL_BOOTLOADER: "1",
          TABULA_STANDIN_ESP_ANY_FS: "",
        });
        expect(strict.status).toBe(1);
        expect(strict.stderr).toMatch(
          /File system "\/boot" is not a FAT EFI System Partition \(ESP\) file system\./,
        );
        expect(strict.stderr).toMatch(/Failed to install bootloader/);
        const notInstalled = run("nixos-enter", argv, env);
        expect(notInstalled.status).toBe(1);
        expect(notInstalled.stderr).toMatch(
          /could not find any previously installed systemd-boot/,
        );
      });

      it("switch-to-configuration boot writes an entry per generation whose kernel and initrd exist on the ESP", () => {
        freshLog();
        const r = run(
          "nixos-enter",
          [
            "--root",
            target,
            "--",
            "/nix/var/nix/profiles/system/bin/switch-to-configuration",
            "boot",
          ],
          { ...env, NIXOS_INSTALL_BOOTLOADER: "1" },
        );
        expect(r.status, r.stderr).toBe(0);
        // Check on the device itself, mounted elsewhere.
        const check = mount([espDisk.path], join(disks.dir, "esp-check"));
        const loaderConf = readFileSync(
          join(check, "loader/loader.conf"),
          "utf8",
        );
        expect(loaderConf).toBe(
          "timeout 5\ndefault nixos-generation-2.conf\nconsole-mode keep\n",
        );
        for (const [n, s] of systems.entries()) {
          const entry = readFileSync(
            join(check, `loader/entries/nixos-generation-${n + 1}.conf`),
            "utf8",
          );
          const linux = /^linux (.*)$/m.exec(entry)?.[1] ?? "";
          const initrd = /^initrd (.*)$/m.exec(entry)?.[1] ?? "";
          const base = s.slice("/nix/store/".length);
          expect(linux).toBe(`/EFI/nixos/${base}-kernel.efi`);
          expect(initrd).toBe(`/EFI/nixos/${base}-initrd.efi`);
          expect(readFileSync(join(check, linux), "utf8")).toBe(
            readFileSync(join(target, s, "kernel"), "utf8"),
          );
          expect(existsSync(join(check, initrd))).toBe(true);
          expect(entry).toMatch(
            new RegExp(`^options init=${s}/init loglevel=4 gen=${n + 1}$`, "m"),
          );
        }
        const builder = calls(log, "install-bootloader")[0];
        expect(builder?.espAnyFs).toBe(true);
        expect(builder?.espFsType).toBe("ext4");
        expect(calls(log, "bootctl")[0]?.argv).toEqual([
          "bootctl",
          "--esp-path=/boot",
          "--no-variables",
          "install",
        ]);
        spawnSync("umount", [check]);
      });

      it("nixos-install --system sets the profile, creates etc/NIXOS and installs the bootloader the way the real one ends", () => {
        freshLog();
        const t2 = tmpfsRoot("install");
        mount([ext4("instnix", 256).path], join(t2, "nix"));
        mount([ext4("instesp", 64).path], join(t2, "boot"));
        const sys = makeSystemInStore(t2, { hostName: "orchid" });
        // The mount point's parents must be o+rx, as the real check wants.
        chmodSync(disks.dir, 0o750);
        const refused = run(
          "nixos-install",
          ["--root", t2, "--system", sys, "--no-root-passwd"],
          env,
        );
        chmodSync(disks.dir, 0o755);
        expect(refused.status).toBe(1);
        expect(refused.stdout).toMatch(
          /should have permissions 755, but had permissions 750\. Consider running 'chmod o\+rx /,
        );
        const r = run(
          "nixos-install",
          [
            "--root",
            t2,
            "--system",
            sys,
            "--no-root-passwd",
            "--no-channel-copy",
          ],
          env,
        );
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/installation finished!/);
        expect(existsSync(join(t2, "etc/NIXOS"))).toBe(true);
        expect(
          readlinkSync(join(t2, "nix/var/nix/profiles/system-1-link")),
        ).toBe(sys);
        const tools = readStandinCalls(log).map((c) => c.tool);
        expect(tools).toEqual(
          expect.arrayContaining([
            "nixos-enter",
            "activate",
            "switch-to-configuration",
            "install-bootloader",
            "nixos-install",
          ]),
        );
        const enter = calls(log, "nixos-enter")[0];
        expect(enter?.env.NIXOS_INSTALL_BOOTLOADER).toBe("1");
        expect((enter?.command as string[]).slice(0, 2)).toEqual([
          "/nix/var/nix/profiles/system/sw/bin/bash",
          "-c",
        ]);
        expect(calls(log, "nixos-install")[0]?.built).toBe(false);
        expect(
          existsSync(join(t2, "boot/loader/entries/nixos-generation-1.conf")),
        ).toBe(true);
      });
    });

    it("nixos-install --flake builds into the target's store; refuses two build methods and a flake without #ATTR", () => {
      freshLog();
      const t = tmpfsRoot("installflake");
      mount([ext4("ifnix", 256).path], join(t, "nix"));
      mount([ext4("ifesp", 64).path], join(t, "boot"));
      const flake = join(disks.dir, "install-flake");
      mkdirSync(flake, { recursive: true });
      writeFileSync(
        join(flake, "flake.nix"),
        `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.orchid = nixpkgs.lib.nixosSystem {
      modules = [ {
        fileSystems."/" = { device = "none"; fsType = "tmpfs"; };
        boot.loader.systemd-boot.enable = true;
        networking.hostName = "orchid";
      } ];
    };
  };
}
`,
      );
      const two = run(
        "nixos-install",
        ["--root", t, "--flake", `${flake}#orchid`, "--system", "/nix/store/x"],
        env,
      );
      expect(two.status).toBe(1);
      expect(two.stdout).toMatch(/^error: multiple build methods requested: /m);
      const noAttr = run("nixos-install", ["--root", t, "--flake", flake], env);
      expect(noAttr.status).toBe(1);
      expect(noAttr.stdout).toMatch(
        /^Please specify the name of the NixOS configuration to be installed, as a URI fragment in the flake-uri\./,
      );
      const unknown = run("nixos-install", ["--bogus"], env);
      expect(unknown.status).toBe(1);
      expect(unknown.stdout).toMatch(/unknown option `--bogus'/);
      const r = run(
        "nixos-install",
        ["--root", t, "--flake", `${flake}#orchid`, "--no-root-passwd"],
        env,
      );
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^building the flake in /m);
      const sys = readlinkSync(join(t, "nix/var/nix/profiles/system-1-link"));
      expect(sys).toMatch(/-nixos-system-orchid-/);
      expect(existsSync(join(t, sys, "bin/switch-to-configuration"))).toBe(
        true,
      );
      const install = calls(log, "nixos-install").at(-1);
      expect(install?.built).toBe(true);
      expect(install?.system).toBe(sys);
      expect(readFileSync(join(t, "boot/loader/loader.conf"), "utf8")).toMatch(
        /^default nixos-generation-1\.conf$/m,
      );
    });

    // --- grub: the paths GRUB reads, from /proc/self/mountinfo ------------
    function grubLayout(name: string, nixDevice: string, nixOptions: string[]) {
      const target = tmpfsRoot(name);
      mount([...nixOptions, nixDevice], join(target, "nix"));
      mkdirSync(join(target, "nix/boot"), { recursive: true });
      // /boot on the /nix file system: same st_dev, so the kernels are not copied.
      mount(["--bind", join(target, "nix/boot")], join(target, "boot"));
      mkdirSync(join(target, "etc"), { recursive: true });
      writeFileSync(join(target, "etc/NIXOS"), "");
      return target;
    }

    it("grub on an ext4 partition at /nix: linux ($driveN)/store/... on that file system's UUID", () => {
      freshLog();
      const disk = ext4("grubext4", 256);
      const target = grubLayout("grubext4", disk.path, []);
      const sys = makeSystemInStore(target, {
        loader: "grub",
        grubDevices: [disk.path],
      });
      setSystemProfile(target, sys);
      const r = run(
        "nixos-enter",
        [
          "--root",
          target,
          "--",
          "/nix/var/nix/profiles/system/bin/switch-to-configuration",
          "boot",
        ],
        { ...env, NIXOS_INSTALL_BOOTLOADER: "1" },
      );
      expect(r.status, r.stderr).toBe(0);
      const cfg = readFileSync(join(target, "nix/boot/grub/grub.cfg"), "utf8");
      const entries = menuEntries(cfg);
      expect(entries.map((e) => e.name)).toEqual([
        "NixOS - Default",
        expect.stringMatching(
          /^NixOS - Configuration 1 \(\d{4}-\d\d-\d\d - 25\.11\.00000000\.tabula\)$/,
        ),
      ]);
      const check = mount([disk.path], join(disks.dir, "grubext4-check"));
      for (const e of entries) {
        expect(e.linux).toBe(`($drive2)/store/${sys.slice(11)}/kernel`);
        const k = onDevice(e.linux, e.searches);
        expect(k.uuid).toBe(uuidOf(disk.path));
        expect(existsSync(join(check, k.path))).toBe(true);
        expect(
          existsSync(join(check, onDevice(e.initrd, e.searches).path)),
        ).toBe(true);
      }
      expect(cfg).toContain(
        `linux ($drive2)/store/${sys.slice(11)}/kernel systemConfig=${sys} init=${sys}/init loglevel=4`,
      );
      const install = calls(log, "grub-install")[0];
      expect(install?.argv).toEqual([
        "grub-install",
        "--recheck",
        "--root-directory=/tmp/install-grub-standin",
        "--target=i386-pc",
        realpathSync(disk.path),
      ]);
      spawnSync("umount", [check]);
    });

    it("grub on a btrfs subvolume: the subvolume's path prefixes the paths of /boot and the store", () => {
      freshLog();
      const disk = disks.create("grubbtrfs", 256);
      sh("mkfs.btrfs", ["-q", "-f", disk.path]);
      const top = mount([disk.path], join(disks.dir, "grubbtrfs-top"));
      sh("btrfs", ["-q", "subvolume", "create", join(top, "@")]);
      sh("btrfs", ["-q", "subvolume", "create", join(top, "@home")]);
      // The traditional layout a conversion starts from: / is the subvolume
      // @, holding /boot and /nix/store (same st_dev: nothing is copied).
      const target = mount(
        ["-o", "subvol=@", disk.path],
        join(disks.dir, "grubbtrfs"),
      );
      mkdirSync(join(target, "boot"));
      nixosEtc(target);
      const sys = makeSystemInStore(target, {
        loader: "grub",
        grubDevices: ["nodev"],
        grubEfiSupport: true,
      });
      setSystemProfile(target, sys);
      const r = run(
        "nixos-enter",
        [
          "--root",
          target,
          "--",
          "/nix/var/nix/profiles/system/bin/switch-to-configuration",
          "boot",
        ],
        { ...env, NIXOS_INSTALL_BOOTLOADER: "1" },
      );
      expect(r.status, r.stderr).toBe(0);
      const cfg = readFileSync(join(top, "@/boot/grub/grub.cfg"), "utf8");
      const entries = menuEntries(cfg);
      expect(entries).toHaveLength(2);
      for (const e of entries) {
        expect(e.linux).toBe(`($drive2)/@/nix/store/${sys.slice(11)}/kernel`);
        const k = onDevice(e.linux, e.searches);
        expect(k.uuid).toBe(uuidOf(disk.path));
        expect(existsSync(join(top, k.path))).toBe(true);
        expect(existsSync(join(top, onDevice(e.initrd, e.searches).path))).toBe(
          true,
        );
      }
      expect(cfg).toContain(
        `search --set=drive1 --fs-uuid ${uuidOf(disk.path)}`,
      );
      const facts = (
        calls(log, "install-bootloader")[0]?.mirrors as {
          boot: { path: string; subvolume: string };
        }[]
      )[0];
      expect(facts?.boot).toMatchObject({
        path: "($drive1)/@/boot",
        subvolume: "@",
      });
      // EFI only (devices = ["nodev"]): one grub-install, into the ESP, recorded.
      const installs = calls(log, "grub-install");
      expect(installs.map((c) => c.target)).toEqual(["x86_64-efi"]);
      expect(installs[0]?.argv).toEqual([
        "grub-install",
        "--recheck",
        "--target=x86_64-efi",
        "--boot-directory=/boot",
        "--efi-directory=/boot",
        "--no-nvram",
      ]);
      // /boot is no mount point here: GRUB's EFI install would refuse it,
      // the stand-in accepts it under TABULA_STANDIN_ESP_ANY_FS=1.
      expect(installs[0]?.espAnyFs).toBe(true);
    });

    it("install-grub.pl fails on a bind-mounted /boot inside a btrfs subvolume, as the real one does", () => {
      const disk = disks.create("grubbind", 256);
      sh("mkfs.btrfs", ["-q", "-f", disk.path]);
      const top = mount([disk.path], join(disks.dir, "grubbind-top"));
      sh("btrfs", ["-q", "subvolume", "create", join(top, "@nix")]);
      const target = grubLayout("grubbind", disk.path, ["-o", "subvol=@nix"]);
      const sys = makeSystemInStore(target, {
        loader: "grub",
        grubDevices: ["nodev"],
      });
      setSystemProfile(target, sys);
      const r = run(
        "nixos-enter",
        [
          "--root",
          target,
          "--",
          "/nix/var/nix/profiles/system/bin/switch-to-configuration",
          "boot",
        ],
        env,
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /Failed to retrieve subvolume info for \/boot\n/,
      );
    });

    it("grub with a separate /boot file system copies the kernels there (install-grub.pl's st_dev rule)", () => {
      freshLog();
      const target = tmpfsRoot("grubcopy");
      mount([ext4("grubcopynix", 256).path], join(target, "nix"));
      const boot = ext4("grubcopyboot", 64);
      mount([boot.path], join(target, "boot"));
      mkdirSync(join(target, "etc"), { recursive: true });
      writeFileSync(join(target, "etc/NIXOS"), "");
      const sys = makeSystemInStore(target, {
        loader: "grub",
        grubDevices: ["nodev"],
      });
      setSystemProfile(target, sys);
      const r = run(
        "nixos-enter",
        [
          "--root",
          target,
          "--",
          "/nix/var/nix/profiles/system/bin/switch-to-configuration",
          "boot",
        ],
        env,
      );
      expect(r.status, r.stderr).toBe(0);
      const entries = menuEntries(
        readFileSync(join(target, "boot/grub/grub.cfg"), "utf8"),
      );
      const name = `${sys.slice(11)}-kernel`;
      // GrubFs("/boot") is "($drive1)/" when /boot is the mount point, so
      // install-grub.pl writes a double slash (as real grub.cfg files show).
      expect(entries[0]?.linux).toBe(`($drive1)//kernels/${name}`);
      expect(
        onDevice(entries[0]?.linux ?? "", entries[0]?.searches ?? []).uuid,
      ).toBe(uuidOf(boot.path));
      expect(existsSync(join(target, "boot/kernels", name))).toBe(true);
      // devices = ["nodev"] and no efiSupport: install-grub.pl installs nothing.
      expect(calls(log, "grub-install")).toEqual([]);
    });

    // --- the evaluator: nixpkgs' lib and the stand-in module system agree ----
    describe("the evaluator", () => {
      let dir: string;
      beforeAll(() => {
        dir = mkdtempSync(join(disks.dir, "eval-"));
        writeFileSync(
          join(dir, "hardware-configuration.nix"),
          `{ config, lib, pkgs, modulesPath, ... }:
{
  imports = [ (modulesPath + "/installer/scan/not-detected.nix") ];
  boot.initrd.availableKernelModules = [ "nvme" "xhci_pci" ];
  fileSystems."/" = { device = "/dev/disk/by-uuid/0f3c"; fsType = "btrfs"; options = [ "subvol=@" ]; };
  fileSystems."/nix" = { device = "/dev/disk/by-uuid/0f3c"; fsType = "btrfs"; options = [ "subvol=@nix" ]; };
  fileSystems."/boot" = { device = "/dev/disk/by-uuid/3C1A-9F20"; fsType = "vfat"; options = [ "fmask=0077" "dmask=0077" ]; };
  swapDevices = [ { device = "/dev/disk/by-uuid/5e1f"; } ];
  networking.useDHCP = lib.mkDefault true;
}
`,
        );
        writeFileSync(
          join(dir, "stateless.nix"),
          `{ lib, ... }:
{
  fileSystems."/" = lib.mkForce { device = "none"; fsType = "tmpfs"; options = [ "defaults" "size=2G" "mode=755" ]; };
  fileSystems."/nix" = { device = "/dev/disk/by-uuid/0f3c"; fsType = "btrfs"; options = [ "subvol=@" ]; neededForBoot = true; };
  boot.initrd.availableKernelModules = [ "btrfs" ];
  boot.initrd.luks.devices.crypt.device = "/dev/disk/by-partlabel/tabula-nix";
}
`,
        );
        writeFileSync(
          join(dir, "configuration.nix"),
          `{ lib, pkgs, ... }:
{
  imports = [ ./hardware-configuration.nix ./stateless.nix ];
  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;
  networking.hostName = lib.mkDefault "tern";
  environment.systemPackages = [ pkgs.vim ];
  system.stateVersion = "24.11";
}
`,
        );
        writeFileSync(
          join(dir, "conflict.nix"),
          `{ imports = [ ./configuration.nix ({ lib, ... }: { fileSystems."/nix".device = "/dev/sdb2"; }) ]; }\n`,
        );
      });

      function compare(file: string): EvaluatedConfig {
        const mine = evaluateConfiguration(
          { configuration: join(dir, file) },
          { nixpkgsLib: null, impermanence: null },
        );
        expect(mine.evaluator.lib).toBe("stand-in");
        if (process.env.NIXPKGS_LIB) {
          const real = evaluateConfiguration(
            { configuration: join(dir, file) },
            { nixpkgsLib: process.env.NIXPKGS_LIB, impermanence: null },
          );
          expect(real.evaluator.lib).toBe("nixpkgs.lib");
          expect({ ...real, evaluator: null }).toEqual({
            ...mine,
            evaluator: null,
          });
        }
        return mine;
      }

      it('gives mkForce on fileSystems."/" precedence and concatenates the options of two fileSystems."/nix" (subvol=@nix + subvol=@)', () => {
        const c = compare("configuration.nix");
        expect(c.fileSystems["/"]).toEqual({
          device: "none",
          fsType: "tmpfs",
          options: ["defaults", "size=2G", "mode=755"],
          neededForBoot: false,
        });
        expect(c.fileSystems["/nix"]).toEqual({
          device: "/dev/disk/by-uuid/0f3c",
          fsType: "btrfs",
          options: ["subvol=@nix", "subvol=@"],
          neededForBoot: true,
        });
        expect(c.fileSystems["/boot"]?.options).toEqual([
          "fmask=0077",
          "dmask=0077",
        ]);
        expect(c.swapDevices).toEqual([
          { device: "/dev/disk/by-uuid/5e1f", randomEncryption: false },
        ]);
        expect(c.boot.initrd.luks.devices).toEqual({
          crypt: { device: "/dev/disk/by-partlabel/tabula-nix" },
        });
        expect(c.boot.loader["systemd-boot"].enable).toBe(true);
        expect(c.boot.loader.grub.enable).toBe(false);
        expect(c.boot.loader.efi).toEqual({
          efiSysMountPoint: "/boot",
          canTouchEfiVariables: true,
        });
        expect(c.system).toEqual({
          stateVersion: "24.11",
          build: { installBootLoader: "systemd-boot" },
        });
        expect(c.networking.hostName).toBe("tern");
        expect(c.assertions).toEqual([]);
      });

      it("orders the concatenated options as nixpkgs' lib does when the defining module imports the hardware configuration", () => {
        writeFileSync(
          join(dir, "importer.nix"),
          `{ lib, ... }:
{
  imports = [ ./hardware-configuration.nix ];
  fileSystems."/" = lib.mkForce { device = "none"; fsType = "tmpfs"; };
  fileSystems."/nix" = lib.mkMerge [
    { options = lib.mkAfter [ "noatime" ]; neededForBoot = true; }
    { options = [ "subvol=@" ]; }
  ];
  boot.loader.grub.devices = [ "/dev/vda" ];
}
`,
        );
        const c = compare("importer.nix");
        expect(c.fileSystems["/nix"]?.options).toEqual([
          "subvol=@",
          "subvol=@nix",
          "noatime",
        ]);
        expect(c.boot.loader.grub.mirroredBoots).toEqual([
          {
            path: "/boot",
            devices: ["/dev/vda"],
            efiSysMountPoint: "/boot",
            efiBootloaderId: null,
          },
        ]);
        expect(c.system.build.installBootLoader).toBe("grub");
      });

      it("reports the conflict of two device values for one mount point, in the real lib's words", () => {
        const message =
          /error: The option `fileSystems\."\/nix"\.device' has conflicting definition values:\n\s+- In `.*': "\/dev\/(sdb2|disk\/by-uuid\/0f3c)"\n\s+- In `.*': "\/dev\/(sdb2|disk\/by-uuid\/0f3c)"\n\s+Use `lib\.mkForce value` or `lib\.mkDefault value` to change the priority on any of these definitions\./;
        const mine = evaluateConfigurationRaw(
          { configuration: join(dir, "conflict.nix") },
          { nixpkgsLib: null },
        );
        expect(mine.status).toBe(1);
        expect(mine.stderr).toMatch(message);
        if (process.env.NIXPKGS_LIB) {
          const real = evaluateConfigurationRaw(
            { configuration: join(dir, "conflict.nix") },
            { nixpkgsLib: process.env.NIXPKGS_LIB },
          );
          expect(real.status).toBe(1);
          const firstLines = (s: string) =>
            s.split("\n").slice(0, 4).join("\n");
          expect(firstLines(real.stderr.replace(/^warning:.*\n/gm, ""))).toBe(
            firstLines(mine.stderr.replace(/^warning:.*\n/gm, "")),
          );
        }
      });

      it("fails the grub and root-file-system assertions as NixOS does, and throws them for a build", () => {
        writeFileSync(
          join(dir, "noroot.nix"),
          '{ networking.hostName = "x"; }\n',
        );
        const c = compare("noroot.nix");
        expect(c.assertions).toEqual([
          "The ‘fileSystems’ option does not specify your root file system.",
          "You must set the option ‘boot.loader.grub.devices’ or 'boot.loader.grub.mirroredBoots' to make the system bootable.",
        ]);
        const build = evaluateConfigurationRaw(
          { configuration: join(dir, "noroot.nix") },
          { failOnAssertions: true },
        );
        expect(build.status).toBe(1);
        expect(build.stderr).toMatch(
          /Failed assertions:\n\s+- The ‘fileSystems’ option does not specify your root file system\./,
        );
      });

      it("evaluates a flake through stand-in inputs, with the real impermanence when IMPERMANENCE_SRC is set", () => {
        writeFileSync(
          join(dir, "flake.nix"),
          `{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
  inputs.impermanence.url = "github:nix-community/impermanence";
  inputs.home-manager.url = "github:nix-community/home-manager";
  outputs = { self, nixpkgs, impermanence, ... }@inputs: {
    nixosConfigurations.tern = nixpkgs.lib.nixosSystem {
      specialArgs = { inherit inputs; };
      modules = [
        impermanence.nixosModules.impermanence
        ./configuration.nix
        ({ inputs, ... }: {
          environment.persistence."/nix/persistent" = {
            hideMounts = true;
            directories = [ "/var/lib/nixos" { directory = "/var/lib/colord"; user = "colord"; group = "colord"; mode = "u=rwx,g=rx,o="; } ];
            files = [ "/etc/machine-id" ];
            users.mira.directories = [ "Documents" ];
          };
          users.users.mira = { isNormalUser = true; uid = 1000; };
          users.users.colord = { isSystemUser = true; uid = 300; group = "colord"; };
          users.groups.colord.gid = 300;
        })
      ];
    };
  };
}
`,
        );
        const c = evaluateConfiguration({ flake: dir, attr: "tern" });
        expect(c.evaluator.impermanence).toBe(
          process.env.IMPERMANENCE_SRC && process.env.NIXPKGS_LIB
            ? "real"
            : "stub",
        );
        expect(c.environment.persistence).toEqual({
          "/nix/persistent": {
            enable: true,
            hideMounts: true,
            directories: ["/var/lib/nixos", "/var/lib/colord"],
            files: ["/etc/machine-id"],
            users: { mira: { directories: ["Documents"], files: [] } },
          },
        });
        expect(c.fileSystems["/nix"]?.options).toEqual([
          "subvol=@nix",
          "subvol=@",
        ]);
        const missing = evaluateConfigurationRaw({
          flake: dir,
          attr: "nosuch",
        });
        expect(missing.status).toBe(1);
        expect(missing.stderr).toMatch(
          /flake 'path:.*' does not provide attribute 'packages\.x86_64-linux\.nixosConfigurations\."nosuch"\.config\.system\.build\.toplevel'/,
        );
      });

      it("refuses environment.persistence when no module declares it (impermanence not imported)", () => {
        writeFileSync(
          join(dir, "noimp.nix"),
          '{ imports = [ ./configuration.nix ]; environment.persistence."/p".directories = [ "/a" ]; }\n',
        );
        const r = evaluateConfigurationRaw({
          configuration: join(dir, "noimp.nix"),
        });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(
          /The option `environment\.persistence' does not exist/,
        );
      });
    });

    // --- nixos-generate-config ----------------------------------------------
    it("nixos-generate-config --show-hardware-config reads the mounts under --root; --no-filesystems leaves them out", () => {
      freshLog();
      const disk = ext4("gencfg", 64);
      const root = mount([disk.path], join(disks.dir, "gencfg"));
      const full = run(
        "nixos-generate-config",
        ["--root", root, "--show-hardware-config"],
        env,
      );
      expect(full.status, full.stderr).toBe(0);
      // Like the .pl: a loop device is named by its backing file, with "loop".
      expect(full.stdout).toContain(
        `fileSystems."/" =\n    { device = "${disk.image}";\n      fsType = "ext4";\n      options = [ "loop" ];\n    };`,
      );
      const bare = run(
        "nixos-generate-config",
        ["--no-filesystems", "--root", root, "--show-hardware-config"],
        env,
      );
      expect(bare.status).toBe(0);
      expect(bare.stdout).not.toMatch(/fileSystems|swapDevices/);
      const file = join(root, "hw.nix");
      writeFileSync(file, bare.stdout);
      writeFileSync(
        join(root, "c.nix"),
        '{ imports = [ ./hw.nix ]; fileSystems."/".device = "none"; boot.loader.grub.device = "nodev"; }\n',
      );
      expect(
        evaluateConfiguration({ configuration: join(root, "c.nix") })
          .assertions,
      ).toEqual([]);
      const slash = run("nixos-generate-config", ["--root", "/"], env);
      expect(slash.status).not.toBe(0);
      expect(slash.stderr).toMatch(
        /no need to specify `\/` with `--root`, it is the default/,
      );
      expect(calls(log, "nixos-generate-config").map((c) => c.argv[0])).toEqual(
        ["--root", "--no-filesystems", "--root"],
      );
      expect(standinBin()).toMatch(/nixos-tools\/bin$/);
    });
  },
);
