// Phase recover to its end, on a layout converted for real (prepare on the
// running system, migrate from the LiveCD, through the NixOS tool
// stand-ins): from the LiveCD, a path moves back out of old-root/ by rename
// and the system is rebuilt inside nixos-enter; on the running stateless
// system (a tmpfs root with the partition at /nix and the kept paths bound
// from storage, as impermanence mounts them), a path living on the tmpfs is
// copied into storage and the system rebuilt. Both end with a new default
// boot entry whose configuration persists the path.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import {
  buildLayout,
  mountRunningSystem,
  unmountAll,
  UdevLinks,
  type BuiltLayout,
  type Fs,
} from "../../support/layouts";
import { LoopDisks } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import {
  readStandinCalls,
  runInSystem,
  standinEnv,
  type EvaluatedConfig,
} from "../../support/nixos-tools";
import { runSteps, writePlan } from "../../support/steps";

const NIX_CONFIG = "experimental-features = nix-command flakes";

function mountFs(fs: Fs, at: string): void {
  mkdirSync(at, { recursive: true });
  execFileSync("mount", [
    "-t",
    fs.fsType,
    ...(fs.options.length ? ["-o", fs.options.join(",")] : []),
    fs.device,
    at,
  ]);
}

/** The store path the system profile of the partition mounted at NIX points to. */
function currentSystem(nix: string): string {
  const gen = readlinkSync(join(nix, "var/nix/profiles/system"));
  return readlinkSync(join(nix, "var/nix/profiles", gen));
}

function configOf(nix: string, system: string): EvaluatedConfig {
  return JSON.parse(
    readFileSync(
      join(nix, system.replace(/^\/nix\//, ""), "tabula-standin/config.json"),
      "utf8",
    ),
  ) as EvaluatedConfig;
}

/** The system the ESP's default systemd-boot entry starts. */
function defaultEntrySystem(esp: string): string {
  const def = /^default (.*)$/m.exec(
    readFileSync(join(esp, "loader/loader.conf"), "utf8"),
  )![1]!;
  const entry = readFileSync(join(esp, "loader/entries", def), "utf8");
  return /^options init=(\S+)\/init/m.exec(entry)![1]!;
}

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "nix", "bash"],
  "phase recover to its end on a converted layout",
  () => {
    const disks = new LoopDisks("steps-recover-converted");
    const links = new UdevLinks();
    let work: string;
    let l: BuiltLayout;
    let env: NodeJS.ProcessEnv;

    beforeAll(() => {
      work = mkdtempSync(join(disks.dir, "work-"));
      env = standinEnv(join(work, "calls.jsonl"));
      l = buildLayout(
        disks,
        links,
        {
          title: "ext4 root, ESP at /boot",
          root: "ext4",
          boot: "esp",
          bootloader: "systemd-boot",
          configType: "flake",
        },
        "converted",
      );
      // Convert it: prepare on the running system, migrate from the LiveCD.
      const plan = writePlan(l.design, join(work, "convert-plan"), {
        userConfig: l.userConfig,
      });
      const system = join(work, "system");
      mountRunningSystem(l, system);
      try {
        execFileSync("cp", ["-a", plan.dir, join(system, "root/tabula-plan")]);
        const prepare = runInSystem(
          system,
          ["bash", "/root/tabula-plan/steps.sh", "prepare", "--yes"],
          { env: { ...env, NIX_CONFIG } },
        );
        expect(prepare.status, prepare.stdout + prepare.stderr).toBe(0);
      } finally {
        unmountAll(system);
      }
      const migrate = runSteps(
        plan.script,
        ["migrate", "--yes", "--mountpoint", join(work, "mnt")],
        { env },
      );
      expect(migrate.status, migrate.stdout + migrate.stderr).toBe(0);
    });

    afterAll(() => {
      for (const m of ["mnt", "live", "check"])
        spawnSync("umount", ["-R", join(work ?? "/nonexistent", m)]);
      links.remove();
      disks.cleanup();
    });

    function recoverDesign(
      from: "old-root" | "live",
      directory: string,
    ): Design {
      const { convert: _convert, ...rest } = l.design;
      return {
        ...rest,
        mode: "recover",
        recover: {
          from,
          nix: l.root,
          configDir: "/etc/nixos",
          configType: "flake",
          flakeAttr: "tern",
          ...(from === "old-root" ? { boot: l.boot! } : {}),
          add: { directories: [directory], files: [], users: {} },
        },
      };
    }

    it("from the LiveCD: moves a path out of old-root/ by rename, rebuilds inside nixos-enter, a new default entry", () => {
      const check = join(work, "check");
      mountFs(l.root, check);
      const inode = lstatSync(join(check, "old-root/var/lib/docker")).ino;
      const before = currentSystem(check);
      execFileSync("umount", [check]);

      const plan = writePlan(
        recoverDesign("old-root", "/var/lib/docker"),
        join(work, "recover-old-root"),
      );
      const r = runSteps(
        plan.script,
        ["recover", "--yes", "--mountpoint", join(work, "mnt")],
        { env },
      );
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("Phase recover finished.");
      const rebuild = readStandinCalls(env.TABULA_STANDIN_LOG!).filter(
        (c) => c.tool === "nixos-rebuild" && c.action === "boot",
      );
      expect(rebuild.at(-1)?.flake).toBe("/nix/persistent/etc/nixos");
      // nixos-enter unset TMPDIR; the rebuild inside got it back, on the
      // partition (not the tmpfs root of root.size).
      expect(rebuild.at(-1)?.env.TMPDIR).toBe("/nix/.tabula/tmp");

      mountFs(l.root, check);
      try {
        expect(lstatSync(join(check, "persistent/var/lib/docker")).ino).toBe(
          inode,
        );
        expect(existsSync(join(check, "old-root/var/lib/docker"))).toBe(false);
        expect(
          readFileSync(
            join(check, "persistent/etc/nixos/nixos/persistence.nix"),
            "utf8",
          ),
        ).toContain('"/var/lib/docker"');
        const after = currentSystem(check);
        expect(after).not.toBe(before);
        const persistence = configOf(check, after).environment.persistence!;
        expect(persistence["/nix/persistent"]!.directories).toContain(
          "/var/lib/docker",
        );
        const esp = join(work, "check-esp");
        mountFs(l.boot!, esp);
        try {
          expect(defaultEntrySystem(esp)).toBe(after);
        } finally {
          execFileSync("umount", [esp]);
        }
      } finally {
        execFileSync("umount", [check]);
      }
    });

    it("on the running stateless system: copies a path from the tmpfs into storage, rebuilds, a new default entry", () => {
      // The running system: / a tmpfs, the partition at /nix, the ESP at
      // /boot, each kept folder bound from storage as impermanence does.
      const live = join(work, "live");
      mkdirSync(live, { recursive: true });
      execFileSync("mount", ["-t", "tmpfs", "-o", "mode=755", "none", live]);
      const before = (() => {
        mountFs(l.root, join(live, "nix"));
        mountFs(l.boot!, join(live, "boot"));
        for (const d of ["etc/nixos", "var/lib/nixos", "var/log"]) {
          mkdirSync(join(live, d), { recursive: true });
          execFileSync("mount", [
            "--bind",
            join(live, "nix/persistent", d),
            join(live, d),
          ]);
        }
        // What activation makes at boot, which nixos-rebuild and nix need.
        writeFileSync(join(live, "etc/NIXOS"), "");
        writeFileSync(join(live, "etc/os-release"), "NAME=NixOS\nID=nixos\n");
        writeFileSync(join(live, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        mkdirSync(join(live, "tmp"), { mode: 0o1777 });
        mkdirSync(join(live, "root"), { mode: 0o700 });
        return currentSystem(join(live, "nix"));
      })();
      // State a service wrote on the tmpfs, lost at the next reboot, and a
      // filesystem of its own mounted inside (a cache, a FUSE or NFS mount).
      mkdirSync(join(live, "var/lib/custom-app/cache"), { recursive: true });
      writeFileSync(join(live, "var/lib/custom-app/state"), "precious\n");
      execFileSync("mount", [
        "-t",
        "tmpfs",
        "-o",
        "size=50m",
        "app-cache",
        join(live, "var/lib/custom-app/cache"),
      ]);
      writeFileSync(join(live, "var/lib/custom-app/cache/big"), "cached\n");
      try {
        const plan = writePlan(
          recoverDesign("live", "/var/lib/custom-app"),
          join(work, "recover-live"),
        );
        execFileSync("cp", ["-a", plan.dir, join(live, "tmp/recover-plan")]);
        const r = runInSystem(
          live,
          ["bash", "/tmp/recover-plan/steps.sh", "recover", "--yes"],
          { env: { ...env, NIX_CONFIG } },
        );
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain("Phase recover finished.");
        const kept = join(live, "nix/persistent/var/lib/custom-app/state");
        expect(readFileSync(kept, "utf8")).toBe("precious\n");
        expect(r.stdout).toContain(
          "skipped /var/lib/custom-app/cache: another filesystem (tmpfs) is mounted there",
        );
        expect(
          existsSync(join(live, "nix/persistent/var/lib/custom-app/cache/big")),
        ).toBe(false);
        const rebuild = readStandinCalls(env.TABULA_STANDIN_LOG!).filter(
          (c) => c.tool === "nixos-rebuild" && c.action === "boot",
        );
        expect(rebuild.at(-1)?.env.TMPDIR).toBe("/nix/.tabula/tmp");
        expect(lstatSync(join(live, "nix/.tabula/tmp")).mode & 0o777).toBe(
          0o700,
        );
        expect(
          readFileSync(join(live, "etc/nixos/nixos/persistence.nix"), "utf8"),
        ).toContain('"/var/lib/custom-app"');
        const after = currentSystem(join(live, "nix"));
        expect(after).not.toBe(before);
        expect(
          configOf(join(live, "nix"), after).environment.persistence![
            "/nix/persistent"
          ]!.directories,
        ).toContain("/var/lib/custom-app");
        expect(defaultEntrySystem(join(live, "boot"))).toBe(after);
      } finally {
        spawnSync("umount", ["-R", live]);
      }
    });
  },
);
