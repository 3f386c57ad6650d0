import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Design } from "../../../../shared/design/types";
import { validateDesign } from "../../../../shared/design/validate";
import {
  compilePlan,
  planIdOf,
  planProblems,
} from "../../../../shared/plan/compile";
import { persistedRelatives } from "../../../../shared/plan/convert";
import { diskLayout, partitionPath } from "../../../../shared/plan/disk-layout";
import { migrationOf, planStepFiles } from "../../../../shared/plan/files";
import { diskGuid } from "../../../../shared/plan/install";
import { comparePaths } from "../../../../shared/plan/persisted";
import type { Phase, Plan } from "../../../../shared/plan/types";
import { validDesign } from "../../../support/design-arbitrary";
import {
  convertDesign,
  installDesign,
  recoverDesign,
} from "../../../support/designs";

function planOf(design: Design): Plan {
  const r = compilePlan(design);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.plan;
}

function phase(plan: Plan, name: string): Phase {
  const p = plan.phases.find((x) => x.name === name);
  if (!p) throw new Error(`no phase ${name}`);
  return p;
}

const ids = (p: Phase) => p.steps.map((s) => s.id);
const step = (p: Phase, id: string) => p.steps.find((s) => s.id === id)!;

describe("the sample designs", () => {
  it.each([
    ["install", installDesign()],
    ["convert", convertDesign()],
    ["recover live", recoverDesign("live")],
    ["recover old-root", recoverDesign("old-root")],
  ])("%s validates", (_name, d) => {
    const { problems } = validateDesign(d);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  });
});

describe("install", () => {
  const plan = planOf(installDesign());
  const install = phase(plan, "install");

  it("has the steps of the issue, in order", () => {
    expect(plan.phases.map((p) => p.name)).toEqual(["install"]);
    expect(ids(install)).toEqual([
      "check-disk",
      "partition",
      "encrypt",
      "open-luks",
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
    ]);
  });

  it("asks for the device name before every destructive step", () => {
    const destructive = install.steps.filter((s) => s.destructive);
    expect(destructive.map((s) => s.id)).toEqual([
      "partition",
      "encrypt",
      "format-boot",
      "format-swap",
      "format-nix",
    ]);
    for (const s of destructive) expect(s.confirm).toBe("/dev/nvme0n1");
  });

  it("partitions with names, type codes and this plan's disk GUID", () => {
    const cmd = step(install, "partition").commands.join("\n");
    expect(cmd).toContain("sgdisk --zap-all /dev/nvme0n1");
    expect(cmd).toContain(`'--disk-guid=${diskGuid(plan.planId)}'`);
    expect(cmd).toContain(
      "'--new=1:0:+1G' '--typecode=1:EF00' '--change-name=1:tabula-boot'",
    );
    expect(cmd).toContain(
      "'--new=2:0:+8G' '--typecode=2:8200' '--change-name=2:tabula-swap'",
    );
    expect(cmd).toContain(
      "'--new=3:0:0' '--typecode=3:8309' '--change-name=3:tabula-nix'",
    );
    expect(diskGuid(plan.planId)).toMatch(
      /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-A[0-9A-F]{3}-[0-9A-F]{12}$/,
    );
  });

  it("formats with labels, on the opened LUKS2 container", () => {
    expect(step(install, "encrypt").commands).toEqual([
      "cryptsetup luksFormat --type luks2 --batch-mode --verify-passphrase --label tabula-crypt /dev/nvme0n1p3",
    ]);
    expect(step(install, "format-nix").commands[1]).toBe(
      "mkfs.btrfs -f -L tabula-nix /dev/mapper/tabula-nix",
    );
    expect(step(install, "format-boot").commands[1]).toBe(
      "mkfs.vfat -F 32 -n TABULA-BOOT /dev/nvme0n1p1",
    );
  });

  it("mounts tmpfs with mode 755 and the designed size, /nix with the designed options", () => {
    expect(step(install, "mount-root").commands).toContain(
      "mount -t tmpfs -o 'mode=755,size=2G' none \"$TARGET\"",
    );
    expect(step(install, "mount-nix").commands).toContain(
      "mount -t btrfs -o 'compress-force=zstd,noatime' /dev/mapper/tabula-nix \"$TARGET\"/nix",
    );
  });

  it("builds with structured logs, then nixos-install --system without a root password or channel", () => {
    const build = step(install, "build").commands.join("\n");
    expect(build).toContain('nix build --store "$TARGET"');
    expect(build).toContain("--log-format internal-json -v");
    expect(build).toContain(
      ".#nixosConfigurations.orchid.config.system.build.toplevel",
    );
    expect(step(install, "nixos-install").commands[0]).toBe(
      'nixos-install --root "$TARGET" --system "$(readlink -- "$TARGET"/nix/.tabula/system)" --no-root-passwd --no-channel-copy',
    );
    expect(step(install, "nixos-install").requires).toContain("nixos-install");
    expect(step(install, "hardware-config").commands[1]).toContain(
      'nixos-generate-config --no-filesystems --root "$TARGET" --show-hardware-config',
    );
  });

  it("seeds the flake, root-owned folders with their mode, and leaves user-owned ones to impermanence", () => {
    const seed = step(install, "seed").commands.join("\n");
    expect(seed).toContain(
      'tabula_install_file "$PLAN_DIR"/flake.nix "$TARGET"/nix/persistent/etc/nixos/flake.nix',
    );
    expect(seed).toContain(
      'tabula_install_modules "$PLAN_DIR"/nixos "$TARGET"/nix/persistent/etc/nixos/nixos',
    );
    expect(seed).toContain(
      'mkdir -p -m 0700 -- "$TARGET"/nix/persistent/var/lib/private',
    );
    expect(seed).toContain(
      'mkdir -p -m 0755 -- "$TARGET"/nix/persistent/var/log',
    );
    expect(seed).not.toContain("colord");
    expect(seed).not.toContain("home/mira");
  });

  it("lays out grub disks with a BIOS boot partition first", () => {
    const d = installDesign();
    const layout = diskLayout({
      ...d.disk!,
      bootloader: "grub",
      swap: undefined,
      encrypt: false,
    });
    expect(
      layout.partitions.map((p) => [p.number, p.typecode, p.name, p.size]),
    ).toEqual([
      [1, "EF02", "tabula-bios", "+1M"],
      [2, "8300", "tabula-boot", "+1G"],
      [3, "8300", "tabula-nix", "0"],
    ]);
    expect(layout.bootPartition.path).toBe("/dev/nvme0n1p2");
    expect(layout.minBytes).toBe(
      2 * 1024 ** 2 + 1024 ** 2 + 1024 ** 3 + 8 * 1024 ** 3,
    );
  });

  it("names partitions the way the kernel and udev do", () => {
    expect(partitionPath("/dev/sda", 2)).toBe("/dev/sda2");
    expect(partitionPath("/dev/nvme0n1", 2)).toBe("/dev/nvme0n1p2");
    expect(partitionPath("/dev/loop7", 1)).toBe("/dev/loop7p1");
    expect(partitionPath("/dev/disk/by-id/ata-X", 3)).toBe(
      "/dev/disk/by-id/ata-X-part3",
    );
  });
});

describe("convert", () => {
  const design = convertDesign();
  const plan = planOf(design);

  it("has phases prepare, migrate, bootloader and revert", () => {
    expect(plan.phases.map((p) => [p.name, p.where])).toEqual([
      ["prepare", "running-system"],
      ["migrate", "livecd"],
      ["bootloader", "livecd"],
      ["revert", "livecd"],
    ]);
    expect(ids(phase(plan, "prepare"))).toEqual([
      "check-system",
      "copy-modules",
      "config-changes",
      "build-system",
      "set-profile",
      "write-migration",
    ]);
  });

  it("prepare checks what migrate checks, builds, and sets the profile without touching the bootloader", () => {
    const prepare = phase(plan, "prepare");
    const all = prepare.steps.flatMap((s) => s.commands).join("\n");
    expect(all).not.toMatch(/\b(switch|boot)\b/);
    expect(all).not.toMatch(/switch-to-configuration/);
    // The same arguments as check-old-root: one list of checks for both.
    const check = step(prepare, "check-system").commands[0]!;
    const again = step(phase(plan, "migrate"), "check-old-root").commands[1]!;
    expect(check.split(" ").slice(-12)).toEqual(again.split(" ").slice(-12));
    // Both check that each persisted path is the kind the design says.
    const kinds = step(prepare, "check-system").commands[1]!;
    expect(kinds).toMatch(
      /^tabula_check_kinds '' persistence file:etc\/machine-id directory:etc\/nixos /,
    );
    expect(step(phase(plan, "migrate"), "check-old-root").commands[2]).toBe(
      kinds.replace("tabula_check_kinds ''", 'tabula_check_kinds "$TARGET"'),
    );
    expect(step(prepare, "check-system").commands[2]).toBe(
      "tabula_check_nixpkgs flake /etc/nixos tern",
    );
    expect(step(prepare, "build-system").commands[0]).toBe(
      "tabula_build_system /.tabula --flake '/etc/nixos#tern' --log-format internal-json -v",
    );
    expect(step(prepare, "set-profile").commands).toEqual([
      "tabula_set_system_profile /.tabula",
    ]);
    expect(step(prepare, "write-migration").commands).toContain(
      'tabula_write_atomic "$PLAN_DIR"/migration.json /.tabula/migration.json',
    );
  });

  it("without a flake, builds configuration.nix through -I nixos-config", () => {
    const d = convertDesign();
    const c = {
      ...d,
      convert: {
        ...d.convert!,
        configType: "configuration.nix" as const,
        flakeAttr: undefined,
      },
    };
    const prepare = phase(planOf(c), "prepare");
    expect(step(prepare, "build-system").commands[0]).toBe(
      "tabula_build_system /.tabula -I 'nixos-config=/etc/nixos/configuration.nix' --log-format internal-json -v",
    );
    expect(step(prepare, "config-changes").commands[0]).toBe(
      'tabula_apply_flake_patch /etc/nixos "$PLAN_DIR"/configuration.patch configuration.nix',
    );
  });

  it("migrate moves persisted paths outermost first, then quarantines, then hoists", () => {
    const migrate = phase(plan, "migrate");
    expect(ids(migrate).slice(0, 6)).toEqual([
      "mount-old-root",
      "check-old-root",
      "persist",
      "quarantine",
      "hoist",
      "unmount-old-root",
    ]);
    const rels = persistedRelatives(design);
    expect([...rels].sort((a, b) => comparePaths(a, b))).toEqual(rels);
    expect(step(migrate, "persist").commands.slice(1)).toEqual(
      rels.map((r) => `tabula_persist persistent ${r}`),
    );
    for (const id of ["persist", "quarantine", "hoist"]) {
      expect(step(migrate, id).destructive).toBe(true);
      expect(step(migrate, id).confirm).toBe(design.convert!.device);
      expect(step(migrate, id).guard?.check).toMatch(/^tabula_migrate_past /);
    }
    expect(step(migrate, "mount-old-root").commands).toContain(
      "mount -t btrfs -o 'subvol=@,compress=zstd' /dev/disk/by-uuid/0b5d1e7c-1111-4222-8333-944445555666 \"$TARGET\"",
    );
  });

  it("reinstalls the bootloader the way nixos-install ends, skipped inside migrate with --target", () => {
    const cmds = [
      "tabula_mark_nixos /nix/persistent",
      "tabula_point_profile nix/.tabula",
      'NIXOS_INSTALL_BOOTLOADER=1 nixos-enter --root "$TARGET" -- /nix/var/nix/profiles/system/bin/switch-to-configuration boot',
    ];
    expect(
      step(phase(plan, "bootloader"), "install-bootloader").commands,
    ).toEqual(cmds);
    const inMigrate = step(phase(plan, "migrate"), "install-bootloader");
    expect(inMigrate.commands).toEqual(cmds);
    expect(inMigrate.guard?.check).toMatch(/^tabula_target_given /);
  });

  it("migration.json names the plan, the partition, the storage and every persisted path", () => {
    const m = migrationOf(design, plan);
    expect(m.planId).toBe(plan.planId);
    expect(m.storage).toEqual({
      path: "/nix/persistent",
      onPartition: "persistent",
    });
    expect(m.quarantine).toBe("old-root");
    expect(m.persisted.map((p) => p.path)).toEqual(
      persistedRelatives(design).map((r) => `/${r}`),
    );
    const files = planStepFiles(design);
    expect(
      files.ok && files.files.find((f) => f.path === "migration.json")?.content,
    ).toContain(`  "planId": "${plan.planId}",\n`);
  });
});

describe("recover", () => {
  it("live: stops the owning service, copies, updates the modules, nixos-rebuild boot", () => {
    const p = phase(planOf(recoverDesign("live")), "recover");
    expect(p.where).toBe("running-system");
    expect(ids(p)).toEqual([
      "check-live",
      "stop-services",
      "copy",
      "update-modules",
      "rebuild-boot",
    ]);
    expect(step(p, "check-live").commands[1]).toBe(
      "tabula_check_kinds '' recover.add directory:home/mira/Music directory:var/lib/docker",
    );
    expect(step(p, "stop-services").commands).toEqual([
      "tabula_stop_services docker.service",
    ]);
    expect(step(p, "copy").commands).toEqual([
      "tabula_copy_live /nix/persistent home/mira/Music",
      "tabula_copy_live /nix/persistent var/lib/docker",
    ]);
    expect(step(p, "rebuild-boot").commands).toEqual([
      "mkdir -p -m 0700 -- /nix/.tabula/tmp",
      "env 'TMPDIR=/nix/.tabula/tmp' nixos-rebuild boot --flake '/etc/nixos#tern' --log-format internal-json -v",
    ]);
  });

  it("live: a path a desktop program writes is named before it is copied", () => {
    const d = recoverDesign("live");
    d.recover!.add.users = { mira: { directories: [".mozilla"], files: [] } };
    const p = phase(planOf(d), "recover");
    expect(step(p, "copy").commands[0]).toBe(
      "tabula_program_check Firefox /home/mira/.mozilla firefox .firefox-wrappe firefox-bin",
    );
    expect(step(p, "copy").requires).toContain("pgrep");
  });

  it("from old-root: moves out of the quarantine and rebuilds through nixos-enter", () => {
    const p = phase(planOf(recoverDesign("old-root")), "recover");
    expect(p.where).toBe("livecd");
    expect(step(p, "restore").commands).toEqual([
      'tabula_restore "$TARGET"/nix persistent old-root home/mira/Music',
      'tabula_restore "$TARGET"/nix persistent old-root var/lib/docker',
    ]);
    expect(step(p, "restore").destructive).toBe(true);
    expect(step(p, "update-modules").commands[0]).toBe(
      'tabula_install_modules "$PLAN_DIR"/nixos "$TARGET"/nix/persistent/etc/nixos/nixos',
    );
    expect(step(p, "check-quarantine").commands[1]).toBe(
      'tabula_check_kinds "$TARGET"/nix/old-root recover.add directory:home/mira/Music directory:var/lib/docker',
    );
    expect(step(p, "rebuild-boot").commands).toEqual([
      "tabula_mark_nixos /nix/persistent",
      'mkdir -p -m 0700 -- "$TARGET"/nix/.tabula/tmp',
      "nixos-enter --root \"$TARGET\" -- env 'TMPDIR=/nix/.tabula/tmp' nixos-rebuild boot --flake '/nix/persistent/etc/nixos#tern' --log-format internal-json -v",
    ]);
  });
});

describe("what the plan refuses", () => {
  it("a conversion whose /boot lives inside the old root, unless GRUB boots it", () => {
    const d = convertDesign();
    const noBoot = { ...d, convert: { ...d.convert!, boot: undefined } };
    // systemd-boot needs an ESP: the design is refused, naming convert.boot.
    expect(validateDesign(noBoot).problems).toContainEqual(
      expect.objectContaining({ path: "convert.boot", severity: "error" }),
    );
    const grub = {
      ...d,
      convert: {
        ...d.convert!,
        boot: undefined,
        bootloader: "grub" as const,
      },
    };
    expect(validateDesign(grub).design).not.toBeNull();
    expect(compilePlan(grub).ok).toBe(true);
  });

  it("persisting a name the conversion uses at the partition's top", () => {
    const d = convertDesign();
    const bad = {
      ...d,
      persistence: {
        ...d.persistence,
        directories: [...d.persistence.directories, "/old-root/x"],
      },
    };
    expect(planProblems(bad)[0]?.message).toMatch(
      /"\/old-root\/x" is inside \/old-root/,
    );
  });

  it("a storage folder the conversion keeps for itself", () => {
    const d = convertDesign();
    const bad = {
      ...d,
      persistence: { ...d.persistence, storage: "/nix/old-root" },
    };
    expect(planProblems(bad).map((p) => p.path)).toContain(
      "persistence.storage",
    );
  });

  it("a config folder no flake reference can carry", () => {
    const d = convertDesign();
    const bad = {
      ...d,
      convert: { ...d.convert!, configDir: "/etc/my config" },
      persistence: {
        ...d.persistence,
        directories: [...d.persistence.directories, "/etc/my config"],
      },
    };
    expect(planProblems(bad).map((p) => p.path)).toEqual(["convert.configDir"]);
  });
});

describe("plan identity", () => {
  it("is the same for the same design, other for another, and ignores notes", () => {
    const a = convertDesign();
    expect(planIdOf(a)).toBe(planIdOf(convertDesign()));
    expect(planIdOf({ ...a, notes: "hello" })).toBe(planIdOf(a));
    const other = {
      ...a,
      persistence: {
        ...a.persistence,
        files: [...a.persistence.files, "/etc/adjtime"],
      },
    };
    expect(planIdOf(other)).not.toBe(planIdOf(a));
  });
});

it("every random valid design gets a plan with well-formed steps", () => {
  fc.assert(
    fc.property(validDesign, (doc) => {
      const { design } = validateDesign(doc);
      expect(design).not.toBeNull();
      const r = planStepFiles(design!);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      for (const p of r.plan.phases)
        for (const s of p.steps) {
          expect(s.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
          expect(s.commands.length).toBeGreaterThan(0);
          expect(s.weight).toBeGreaterThan(0);
          if (s.destructive) expect(s.confirm).toBeTruthy();
          // No raw control character reaches a printed command.
          // eslint-disable-next-line no-control-regex -- what must not appear
          for (const c of s.commands) expect(c).not.toMatch(/[\u0000-\u001f]/);
        }
    }),
    { numRuns: 150 },
  );
});
