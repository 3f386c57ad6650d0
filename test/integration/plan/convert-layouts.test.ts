// Every layout Tabula converts, end to end, on loop devices, through the
// stand-ins of NixOS's own tools (test/support/nixos-tools/): the layout as
// nixos-generate-config and nixos-install leave it (test/support/layouts.ts),
// phase prepare on it as the running system (runInSystem), phase migrate
// from the "LiveCD" to its end (the bootloader installed by the stand-in
// switch-to-configuration inside nixos-enter), then the new layout checked
// the way the generated configuration mounts it, then phase revert, and the
// old layout checked again. For each layout:
// - prepare leaves the boot menu alone: the old system stays the default;
// - after migrate, every entry of the old root (as prepare left it) is where
//   the layout says, with its inode, owner, mode, xattrs and content;
// - every fileSystems entry of the new system's configuration mounts from
//   its device with its options, the store verifies, and the default boot
//   entry names a kernel and an initrd that are on the boot filesystem
//   (systemd-boot) or on the partition (GRUB), the new system's own;
// - after revert, every entry is back with its inode, the configuration
//   holds no trace of Tabula, and the old system is the default again.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { convertLayout } from "../../../shared/design/convert-layout";
import { normalizeDesign } from "../../../shared/design/normalize";
import { movedRelatives } from "../../../shared/plan/convert";
import {
  buildLayout,
  mountRunningSystem,
  unmountAll,
  UdevLinks,
  type BuiltLayout,
  type Fs,
  type LayoutSpec,
} from "../../support/layouts";
import { LoopDisks } from "../../support/loop-disks";
import { describeWith } from "../../support/needs";
import {
  readStandinCalls,
  runInSystem,
  standinEnv,
  type EvaluatedConfig,
} from "../../support/nixos-tools";
import { runSteps, writePlan, type WrittenPlan } from "../../support/steps";
import { verifyStore } from "../../support/store";
import { walkTree, type Tree, type TreeEntry } from "../../support/tree";

const LAYOUTS: LayoutSpec[] = [
  {
    title: "a: ext4 root, ESP at /boot (systemd-boot)",
    root: "ext4",
    boot: "esp",
    bootloader: "systemd-boot",
    configType: "flake",
  },
  {
    title: "b: ext4 root, ESP at /boot/efi, /boot on the root (GRUB, EFI)",
    root: "ext4",
    boot: "esp-efi",
    bootloader: "grub",
    configType: "flake",
  },
  {
    title:
      "c and h: legacy BIOS GRUB with /boot on the root, and a separate /home partition",
    root: "ext4",
    boot: "bios",
    bootloader: "grub",
    separateHome: true,
    configType: "flake",
  },
  {
    title: "d: btrfs subvolumes @ /, @home /home, @nix /nix, @log /var/log",
    root: "btrfs-subvolumes",
    boot: "esp",
    bootloader: "systemd-boot",
    configType: "flake",
  },
  {
    title:
      "e: btrfs, one subvolume @, GRUB on BIOS (the subvolume in GRUB's paths)",
    root: "btrfs-@",
    boot: "bios",
    bootloader: "grub",
    configType: "flake",
  },
  {
    title: "f: LUKS2 + ext4 root",
    root: "ext4",
    boot: "esp",
    bootloader: "systemd-boot",
    luks: true,
    configType: "flake",
  },
  {
    title: "i and j: xfs root with a swap file",
    root: "xfs",
    boot: "esp",
    bootloader: "systemd-boot",
    swapFile: true,
    configType: "flake",
  },
  {
    title: "k: no flake (configuration.nix + hardware-configuration.nix)",
    root: "ext4",
    boot: "esp",
    bootloader: "systemd-boot",
    configType: "configuration.nix",
  },
];

const NIX_CONFIG = "experimental-features = nix-command flakes";

function read(path: string): string {
  return readFileSync(path, "utf8");
}

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

/** The facts migrate and revert must keep, by relative path. */
function facts(e: TreeEntry, withContent: boolean): string {
  return JSON.stringify({
    ino: e.ino,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    target: e.target,
    xattrs: e.xattrs,
    ...(withContent ? { content: e.content } : {}),
  });
}

/** Where an entry of the old root (as prepare left it) is after phase migrate. */
function placeAfterMigrate(
  rel: string,
  l: BuiltLayout,
  moved: string[],
): string {
  const layout = convertLayout(normalizeDesign(l.design));
  if (rel === "") return "";
  const [top, ...rest] = rel.split("/");
  const covered = moved.some((m) => rel === m || rel.startsWith(`${m}/`));
  if (top === ".tabula") return rel;
  if (layout.kind === "own-nix") {
    const onTheWay = moved.some((m) => m.startsWith(`${rel}/`));
    return covered || onTheWay ? rel : `old-root/${rel}`;
  }
  if (top === "nix")
    return rest.length ? rest.join("/") : ".tabula/nix-hoisted";
  if (layout.keep.includes(top!)) return rel;
  return covered ? `${layout.store}/${rel}` : `old-root/${rel}`;
}

function compare(
  before: Tree,
  after: Tree,
  place: (rel: string) => string | null,
  noContent: (rel: string) => boolean,
): string[] {
  const out: string[] = [];
  for (const [rel, e] of before) {
    const to = place(rel);
    if (to === null) continue;
    const a = after.get(to);
    if (!a) out.push(`${JSON.stringify(rel)} is not at ${JSON.stringify(to)}`);
    else if (facts(a, !noContent(rel)) !== facts(e, !noContent(rel)))
      out.push(
        `${JSON.stringify(rel)} at ${JSON.stringify(to)}: ${facts(e, true)} became ${facts(a, true)}`,
      );
  }
  return out;
}

/** The system a profile link inside ROOT points to, as a store path. */
function profileTarget(root: string, profile: string): string {
  let path = profile;
  for (let i = 0; i < 10; i++) {
    const link = readlinkSync(join(root, path));
    path = link.startsWith("/") ? link : join(path, "..", link);
    if (path.startsWith("/nix/store/")) return path;
  }
  throw new Error(`${profile} does not lead to the store`);
}

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "nix", "bash", "cryptsetup"],
  "converting each layout end to end, and reverting it",
  () => {
    const disks = new LoopDisks("steps-layouts");
    const links = new UdevLinks();
    let work: string;

    beforeAll(() => {
      work = mkdtempSync(join(disks.dir, "work-"));
    });

    afterAll(() => {
      for (const dir of ["system", "mnt", "check", "top"])
        spawnSync("sh", [
          "-c",
          `for m in ${work}/*/${dir}*; do umount -R "$m" 2>/dev/null; done`,
        ]);
      links.remove();
      disks.cleanup();
    });

    it.each(LAYOUTS.map((l, i) => [l.title, l, i] as const))(
      "%s",
      (_title, spec, index) => {
        const name = `l${index}`;
        const dir = join(work, name);
        mkdirSync(dir);
        const log = join(dir, "calls.jsonl");
        const env = standinEnv(log);
        const l = buildLayout(disks, links, spec, name);
        const plan: WrittenPlan = writePlan(l.design, join(dir, "plan"), {
          userConfig: l.userConfig,
        });
        const design = normalizeDesign(l.design);
        const configFile =
          spec.configType === "flake" ? "flake.nix" : "configuration.nix";

        // --- prepare, on the running system
        const system = join(dir, "system");
        mountRunningSystem(l, system);
        let oldMenu: string;
        try {
          execFileSync("cp", [
            "-a",
            plan.dir,
            join(system, "root/tabula-plan"),
          ]);
          oldMenu = bootMenu(l, system);
          const prepare = runInSystem(
            system,
            ["bash", "/root/tabula-plan/steps.sh", "prepare", "--yes"],
            { env: { ...env, ...l.systemEnv, NIX_CONFIG } },
          );
          expect(prepare.status, prepare.stdout + prepare.stderr).toBe(0);
          expect(prepare.stdout).toContain("Phase prepare finished.");
          expect(prepare.stdout).toMatch(
            /Its nixpkgs has lib\.modules\.importApply/,
          );
          // Bootable at every instant: the boot menu is untouched.
          expect(bootMenu(l, system)).toBe(oldMenu);
          expect(read(join(system, ".tabula/previous-system")).trim()).toBe(
            l.oldSystem,
          );
          const built = profileTarget(system, "/nix/var/nix/profiles/system");
          expect(built).not.toBe(l.oldSystem);
          expect(readlinkSync(join(system, ".tabula/result"))).toBe(built);
          const rebuild = readStandinCalls(log).filter(
            (c) => c.tool === "nixos-rebuild",
          );
          expect(rebuild.map((c) => c.action)).toEqual(["build"]);
          // The configuration the new system was built from says what the
          // layout needs.
          const config = JSON.parse(
            read(join(system, built, "tabula-standin/config.json")),
          ) as EvaluatedConfig;
          checkNewConfig(config, l);
        } finally {
          unmountAll(system);
        }

        // The old root as prepare left it (the baseline for nothing lost).
        const top = join(dir, "top");
        mountFs(l.root, top);
        const before = walkTree(top);
        execFileSync("umount", [top]);
        const moved = movedRelatives(design);

        // --- migrate, from the LiveCD, to its end
        const mnt = join(dir, "mnt");
        const migrate = runSteps(
          plan.script,
          ["migrate", "--yes", "--mountpoint", mnt],
          { env },
        );
        expect(migrate.status, migrate.stdout + migrate.stderr).toBe(0);
        expect(migrate.stdout).toContain("Phase migrate finished.");
        const enter = readStandinCalls(log).filter(
          (c) => c.tool === "nixos-enter",
        );
        expect(enter.length).toBeGreaterThan(0);
        expect(
          existsSync(mnt) && spawnSync("mountpoint", ["-q", mnt]).status,
        ).not.toBe(0);

        mountFs(l.root, top);
        try {
          const after = walkTree(top);
          // GRUB's menu and state are the bootloader's to write again (the
          // new layout's paths); checkNewLayout reads the new menu.
          const grubOwn = new Set(["boot/grub/grub.cfg", "boot/grub/state"]);
          expect(
            compare(
              before,
              after,
              (rel) =>
                grubOwn.has(rel) ? null : placeAfterMigrate(rel, l, moved),
              (rel) => rel === ".tabula/journal",
            ),
          ).toEqual([]);
        } finally {
          execFileSync("umount", [top]);
        }

        // --- the new layout, as the new system's configuration mounts it
        checkNewLayout(l, join(dir, "check"), work);

        // --- revert, from the LiveCD
        const revert = runSteps(
          plan.script,
          ["revert", "--yes", "--mountpoint", mnt],
          { env },
        );
        expect(revert.status, revert.stdout + revert.stderr).toBe(0);
        expect(revert.stdout).toContain("Phase revert finished.");
        mountFs(l.root, top);
        try {
          const after = walkTree(top);
          const config = `etc/nixos/${configFile}`;
          // NixOS's own to change, not the revert's: the system profile
          // (pointed back at the old system: a new generation), /etc/static
          // (made again by the old system's activation, which nixos-enter
          // runs) and GRUB's menu.
          const nixosOwn = new Set([
            "nix/var/nix/profiles/system",
            "etc/static",
            // GRUB's menu and state, written again for the old system.
            "boot/grub/grub.cfg",
            "boot/grub/state",
          ]);
          expect(
            compare(
              before,
              after,
              (rel) =>
                nixosOwn.has(rel)
                  ? null
                  : rel === config
                    ? `${config}.~1~`
                    : rel,
              (rel) => rel === ".tabula/journal",
            ),
          ).toEqual([]);
          if (!l.nix)
            expect(profileTarget(top, "/nix/var/nix/profiles/system")).toBe(
              l.oldSystem,
            );
          expect(read(join(top, config))).toBe(l.userConfig);
          for (const gone of [
            "old-root",
            "persistent",
            ".tabula/nix-hoisted",
            "store",
          ])
            expect(existsSync(join(top, gone)), gone).toBe(false);
        } finally {
          execFileSync("umount", [top]);
        }
        // The old system is the default boot entry again.
        mountRunningSystem(l, system);
        try {
          expect(defaultSystem(l, system)).toBe(l.oldSystem);
        } finally {
          unmountAll(system);
        }
      },
      240_000,
    );

    /** What the new configuration says about the layout's particulars. */
    function checkNewConfig(config: EvaluatedConfig, l: BuiltLayout): void {
      const fs = config.fileSystems;
      expect(fs["/"]!.fsType).toBe("tmpfs");
      expect(fs["/"]!.options).toContain("mode=755");
      const subvols = (fs["/nix"]!.options ?? []).filter((o) =>
        o.startsWith("subvol="),
      );
      expect(
        subvols.length,
        "one subvol= at most for /nix",
      ).toBeLessThanOrEqual(1);
      // NixOS's default options are ["defaults"].
      const own = (o: string[]) => o.filter((x) => x !== "defaults");
      const storage = l.nix ? fs["/nix/persistent"]! : fs["/nix"]!;
      expect(storage.device).toBe(l.root.device);
      expect(own(storage.options)).toEqual(l.root.options);
      expect(storage.neededForBoot).toBe(true);
      if (l.nix) expect(own(fs["/nix"]!.options)).toEqual(l.nix.options);
      if (l.home) expect(fs["/home"]!.device).toBe(l.home.device);
      const grub = config.boot.loader.grub;
      if (l.spec.bootloader === "grub" && l.spec.boot !== "esp")
        expect(grub.mirroredBoots.map((m) => m.path)).toEqual([
          l.nix ? "/nix/persistent/boot" : "/nix/boot",
        ]);
      if (l.spec.swapFile)
        expect(config.swapDevices.map((s) => s.device)).toEqual([
          "/nix/persistent/swapfile",
        ]);
      if (l.spec.luks)
        expect(Object.keys(config.boot.initrd.luks.devices)).toHaveLength(1);
    }

    /**
     * Assembles the new layout as the configuration says (in a private
     * mount namespace, gone with the process) and checks each mount, the
     * store, and the default boot entry's files.
     */
    function checkNewLayout(l: BuiltLayout, at: string, scratch: string): void {
      const top = `${at}-top`;
      mountFs(l.nix ?? l.root, top);
      let config: EvaluatedConfig;
      try {
        // The partition's top is /nix: its profile links name /nix/store/...
        const profile = readlinkSync(join(top, "var/nix/profiles/system"));
        const system = readlinkSync(join(top, "var/nix/profiles", profile));
        config = JSON.parse(
          read(
            join(
              top,
              system.replace(/^\/nix\//, ""),
              "tabula-standin/config.json",
            ),
          ),
        ) as EvaluatedConfig;
        verifyStore(top, scratch);
      } finally {
        execFileSync("umount", [top]);
      }
      mkdirSync(at, { recursive: true });
      const entries = Object.entries(config.fileSystems)
        .filter(([mp]) => mp !== "/")
        .sort(([a], [b]) => a.split("/").length - b.split("/").length);
      const script = [
        "set -e",
        "at=$1; shift",
        'mount -t tmpfs -o mode=755 none "$at"',
        ...entries.map(
          ([mp, fs]) =>
            `mkdir -p "$at${mp}" && mount -t ${fs.fsType} ${fs.options.length ? `-o '${fs.options.join(",")}'` : ""} '${fs.device}' "$at${mp}"`,
        ),
        'findmnt -J -R -o TARGET,SOURCE,FSTYPE,OPTIONS,FSROOT "$at"',
        "echo ---",
        // The default boot entry's kernel, and where it is.
        ...bootCheck(l),
      ];
      const r = spawnSync(
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "bash",
          "-c",
          script.join("\n"),
          "bash",
          at,
        ],
        { encoding: "utf8" },
      );
      expect(r.status, r.stderr).toBe(0);
      const [json, boot] = r.stdout.split("\n---\n") as [string, string];
      const mounts = JSON.parse(json) as { filesystems: MountJson[] };
      const flat = flatten(mounts.filesystems);
      for (const [mp, fs] of entries) {
        const m = flat.find((x) => x.target === `${at}${mp}`);
        expect(m, `${mp} is mounted`).toBeDefined();
        expect(m!.fstype).toBe(fs.fsType);
        const sub = fs.options.find((o) => o.startsWith("subvol="));
        if (sub) expect(m!.fsroot).toBe(`/${sub.slice("subvol=".length)}`);
      }
      expect(boot, r.stdout + r.stderr).toMatch(/^kernel-same=yes$/m);
    }

    /** Bash lines that print kernel-same=yes when the default entry's kernel is the new system's, on the boot medium. */
    function bootCheck(l: BuiltLayout): string[] {
      const layout = convertLayout(normalizeDesign(l.design));
      if (l.spec.bootloader === "systemd-boot") {
        const esp = l.boot!.mountPoint;
        return [
          `esp="$at${esp}"`,
          'def=$(sed -n "s/^default //p" "$esp/loader/loader.conf")',
          'entry="$esp/loader/entries/$def"',
          'linux=$(sed -n "s/^linux //p" "$entry")',
          'init=$(sed -n "s/^options init=\\([^ ]*\\).*/\\1/p" "$entry")',
          "sys=${init%/init}",
          'if cmp -s "$esp$linux" "$at$sys/kernel"; then echo kernel-same=yes; else echo kernel-same=no; fi',
        ];
      }
      // GRUB: the default menuentry's linux path, on the filesystem its search names.
      const cfg = `${layout.grubBootDir}/grub/grub.cfg`;
      return [
        `cfg="$at${cfg}"`,
        'entry=$(sed -n "/^menuentry \\"NixOS - Default\\"/,/^}/p" "$cfg")',
        'uuid=$(printf "%s\\n" "$entry" | sed -n "s/.*--fs-uuid \\([^ ]*\\).*/\\1/p" | head -n 1)',
        'path=$(printf "%s\\n" "$entry" | sed -n "s/^  linux ([^)]*)\\([^ ]*\\).*/\\1/p")',
        'sys=$(printf "%s\\n" "$entry" | sed -n "s/.*systemConfig=\\([^ ]*\\).*/\\1/p")',
        'dev=$(blkid -U "$uuid")',
        // The whole filesystem (for btrfs its top, subvolid=5: GRUB's path holds the subvolume).
        'opts=; if [ "$(blkid -s TYPE -o value "$dev")" = btrfs ]; then opts="-o subvolid=5"; fi',
        'g=$(mktemp -d) && mount $opts "$dev" "$g"',
        'if cmp -s "$g$path" "$at$sys/kernel"; then echo kernel-same=yes; else echo "kernel-same=no ($path on $dev)"; fi',
        'umount "$g" && rmdir "$g"',
      ];
    }

    /** The boot menu as the bootloader left it: loader.conf and the entries, or grub.cfg. */
    function bootMenu(l: BuiltLayout, root: string): string {
      if (l.spec.bootloader === "systemd-boot") {
        const esp = join(root, l.boot!.mountPoint);
        return [
          read(join(esp, "loader/loader.conf")),
          ...execFileSync("ls", [join(esp, "loader/entries")], {
            encoding: "utf8",
          }).split("\n"),
        ].join("\n");
      }
      return read(join(root, "boot/grub/grub.cfg"));
    }

    /** The system the default boot entry starts, on the old layout mounted at ROOT. */
    function defaultSystem(l: BuiltLayout, root: string): string {
      if (l.spec.bootloader === "systemd-boot") {
        const esp = join(root, l.boot!.mountPoint);
        const def = /^default (.*)$/m.exec(
          read(join(esp, "loader/loader.conf")),
        )![1]!;
        const init = /^options init=(\S+)/m.exec(
          read(join(esp, "loader/entries", def)),
        )![1]!;
        return init.replace(/\/init$/, "");
      }
      const cfg = read(join(root, "boot/grub/grub.cfg"));
      const entry = /menuentry "NixOS - Default" \{([\s\S]*?)\n\}/.exec(
        cfg,
      )![1]!;
      return /systemConfig=(\S+)/.exec(entry)![1]!;
    }
  },
);

interface MountJson {
  target: string;
  source: string;
  fstype: string;
  options: string;
  fsroot: string;
  children?: MountJson[];
}

function flatten(list: MountJson[]): MountJson[] {
  return list.flatMap((m) => [m, ...flatten(m.children ?? [])]);
}

describeWith(
  ["root", "loop", "mkfs", "sgdisk", "nix", "bash"],
  "phase prepare refuses, before anything changes, what the migration would refuse",
  () => {
    const disks = new LoopDisks("steps-prepare-refusals");
    const links = new UdevLinks();

    afterAll(() => {
      links.remove();
      disks.cleanup();
    });

    /** Runs prepare on layout L with DESIGN; returns the result and whether the old root changed. */
    function prepareOn(
      l: BuiltLayout,
      name: string,
      design = l.design,
      before?: (system: string) => void,
    ) {
      const dir = mkdtempSync(join(disks.dir, `${name}-`));
      const plan = writePlan(design, join(dir, "plan"), {
        userConfig: l.userConfig,
      });
      const system = join(dir, "system");
      mountRunningSystem(l, system);
      try {
        before?.(system);
        execFileSync("cp", ["-a", plan.dir, join(system, "root/tabula-plan")]);
        const snapshot = walkTree(join(system, "etc/nixos"));
        const r = runInSystem(
          system,
          ["bash", "/root/tabula-plan/steps.sh", "prepare", "--yes"],
          {
            env: {
              ...standinEnv(join(dir, "calls.jsonl")),
              ...l.systemEnv,
              NIX_CONFIG,
            },
          },
        );
        const after = walkTree(join(system, "etc/nixos"));
        const unchanged =
          compare(
            snapshot,
            after,
            (rel) => rel,
            () => false,
          ).length === 0 &&
          after.size === snapshot.size &&
          !existsSync(join(system, ".tabula/result"));
        return { ...r, unchanged, log: join(dir, "calls.jsonl") };
      } finally {
        unmountAll(system);
      }
    }

    it("a nixpkgs older than 24.11, in a sentence", () => {
      const l = buildLayout(
        disks,
        links,
        {
          title: "old nixpkgs",
          root: "ext4",
          boot: "esp",
          bootloader: "systemd-boot",
          configType: "flake",
          oldNixpkgs: true,
        },
        "old",
      );
      const r = prepareOn(l, "old");
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /Refused: the nixpkgs this configuration builds with is older than 24.11: it has no lib.modules.importApply/,
      );
      expect(r.unchanged).toBe(true);
      expect(readStandinCalls(r.log)).toEqual([]);
    });

    it("a /nix of its own that the design does not name (the btrfs merge of two subvol=)", () => {
      const l = buildLayout(
        disks,
        links,
        {
          title: "btrfs subvolumes",
          root: "btrfs-subvolumes",
          boot: "esp",
          bootloader: "systemd-boot",
          configType: "flake",
        },
        "subvols",
      );
      const { nix: _nix, ...convert } = l.design.convert!;
      const r = prepareOn(l, "subvols", { ...l.design, convert });
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /is a filesystem or btrfs subvolume of its own, so its contents cannot be renamed to the top of the old root\. If the system mounts it at \/nix \(a subvolume such as @nix\), the design must say so in convert\.nix/,
      );
      expect(r.unchanged).toBe(true);
    });

    it("a name the migration creates, already on the root", () => {
      const l = buildLayout(
        disks,
        links,
        {
          title: "plain",
          root: "ext4",
          boot: "esp",
          bootloader: "systemd-boot",
          configType: "flake",
        },
        "names",
      );
      const r = prepareOn(l, "names", l.design, (system) =>
        mkdirSync(join(system, "old-root")),
      );
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /\/old-root already exists and the migration would create it/,
      );
      expect(r.unchanged).toBe(true);
    });
  },
);
