// Phase install to its end on a loop-device disk, through the stand-ins of
// NixOS's own tools (test/support/nixos-tools/): nixos-generate-config
// writes the hardware configuration, the system is "built" into the
// target's store (the nix stand-in builds only NixOS toplevels; nixpkgs
// does not exist here), the ESP is mounted at /boot (vfat, through fusefat
// in a private namespace: this kernel cannot mount vfat; test/support/vfat.ts),
// nixos-install installs the built system and its bootloader, and everything
// is unmounted. Then the disk is looked at as the machine would boot it:
// the system profile is the built system, its loader entry on the ESP
// starts it with the kernel that is on the ESP, and the seeded storage is
// there. install.test.ts covers the steps before, refusals and resume.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import { encodeMarker } from "../../../shared/plan/markers";
import { installDesign } from "../../support/designs";
import { LoopDisks, type LoopDisk } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import { readStandinCalls, standinEnv } from "../../support/nixos-tools";
import { writePlan, type WrittenPlan } from "../../support/steps";
import { withVfat } from "../../support/vfat";

const STEPS = [
  "check-disk",
  "partition",
  "format-boot",
  "format-swap",
  "format-nix",
  "mount-root",
  "mount-nix",
  "seed",
  "hardware-config",
  "build",
  "mount-boot",
  "nixos-install",
  "unmount",
];

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "bash", "nix", "fusefat"],
  "phase install to its end, through the NixOS tool stand-ins",
  () => {
    const disks = new LoopDisks("steps-install-end");
    let disk: LoopDisk;
    let plan: WrittenPlan;
    let run: { status: number; stdout: string; stderr: string };
    let log: string;
    let look: { status: number; stdout: string; stderr: string };

    beforeAll(() => {
      disk = disks.create("install-end", 9 * 1024);
      const base = installDesign();
      const design: Design = {
        ...base,
        hostname: "steps-end",
        root: { size: "1G" },
        disk: {
          ...base.disk!,
          device: disk.path,
          esp: { size: "256M" },
          swap: { size: "64M" },
          encrypt: false,
        },
      };
      plan = writePlan(design, join(disks.dir, "plan"));
      log = join(disks.dir, "calls.jsonl");
      const target = join(disks.dir, "mnt");
      run = withVfat(
        disks.dir,
        'bash "$1" install --yes --force --mountpoint "$2"',
        [plan.script, target],
        standinEnv(log),
      );
      // The disk as the machine boots it: the ESP (vfat, read through
      // fusefat again) and the /nix partition.
      look = withVfat(
        disks.dir,
        [
          "esp=$(mktemp -d); nix=$(mktemp -d)",
          'mount -t vfat "$1" "$esp" && mount "$2" "$nix" || exit 9',
          'def=$(sed -n "s/^default //p" "$esp/loader/loader.conf")',
          'entry="$esp/loader/entries/$def"',
          'linux=$(sed -n "s/^linux //p" "$entry")',
          'sys=$(sed -n "s/^options init=\\([^ ]*\\)\\/init.*/\\1/p" "$entry")',
          'gen=$(readlink "$nix/var/nix/profiles/system")',
          'echo "profile=$(readlink "$nix/var/nix/profiles/$gen")"',
          'echo "entry-system=$sys"',
          'if cmp -s "$esp$linux" "$nix${sys#/nix}/kernel"; then echo kernel-same=yes; else echo kernel-same=no; fi',
          'test -f "$nix/persistent/etc/nixos/flake.nix" && echo seeded=yes',
          'test -s "$nix/persistent/etc/nixos/nixos/hardware-configuration.nix" && echo hardware=yes',
          'umount "$esp" "$nix"',
        ].join("\n"),
        [disk.part(1), disk.part(3)],
        process.env,
      );
    }, 300_000);

    afterAll(() => {
      spawnSync("umount", ["-R", join(disks.dir, "mnt")], { stdio: "ignore" });
      disks.cleanup();
    });

    it("runs every step to the end, with no missing tool", () => {
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain("Phase install finished.");
      expect(run.stdout).not.toMatch(/Note: this machine has no/);
      for (const step of STEPS)
        expect(run.stdout, step).toContain(
          encodeMarker({ kind: "step-end", step, result: "done" }),
        );
    });

    it("asked NixOS's tools what the real install asks them", () => {
      const calls = readStandinCalls(log);
      const tools = calls.map((c) => c.tool);
      expect(tools).toContain("nixos-generate-config");
      const build = calls.find((c) => c.tool === "nix");
      expect(build?.installable).toBe(
        ".#nixosConfigurations.steps-end.config.system.build.toplevel",
      );
      const install = calls.find((c) => c.tool === "nixos-install");
      expect(install?.argv).toEqual([
        "--root",
        join(disks.dir, "mnt"),
        "--system",
        build?.toplevel,
        "--no-root-passwd",
        "--no-channel-copy",
      ]);
      expect(tools).toContain("nixos-enter");
      expect(tools).toContain("bootctl");
    });

    it("refuses, before the disk is touched, a target nixos-install would refuse at the end", () => {
      const closed = join(disks.dir, "closed");
      spawnSync("mkdir", ["-m", "0700", closed]);
      const before = spawnSync("sgdisk", ["-p", disk.path], {
        encoding: "utf8",
      }).stdout;
      const r = withVfat(
        disks.dir,
        'bash "$1" install --yes --force --mountpoint "$2"',
        [plan.script, join(closed, "mnt")],
        standinEnv(join(disks.dir, "refused.jsonl")),
      );
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /Refused: .*closed has mode 700, but nixos-install, at the end of this phase, needs every folder on the way to the target to be readable and enterable by all \(o\+rx\)/,
      );
      expect(r.stdout).toContain(
        encodeMarker({
          kind: "step-end",
          step: "check-disk",
          result: "failed",
        }),
      );
      expect(
        spawnSync("sgdisk", ["-p", disk.path], { encoding: "utf8" }).stdout,
      ).toBe(before);
    });

    it("leaves a disk that boots the built system from the ESP", () => {
      expect(look.status, look.stdout + look.stderr).toBe(0);
      const build = readStandinCalls(log).find((c) => c.tool === "nix");
      expect(look.stdout).toContain(`profile=${build?.toplevel}`);
      expect(look.stdout).toContain(`entry-system=${build?.toplevel}`);
      expect(look.stdout).toMatch(/^kernel-same=yes$/m);
      expect(look.stdout).toMatch(/^seeded=yes$/m);
      expect(look.stdout).toMatch(/^hardware=yes$/m);
    });
  },
);
