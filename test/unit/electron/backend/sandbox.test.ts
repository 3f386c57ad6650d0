// The sandbox machine: its pretend facts hold together, its root partition
// is a real folder the scanner reads, every phase says honestly how it runs,
// and the machine is chosen from /etc/os-release or the flags.
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inspectTop } from "../../../../electron/backend/probe-installs";
import { scanRoot } from "../../../../electron/backend/scan";
import {
  SANDBOX_MISSED,
  SANDBOX_PERSISTED,
} from "../../../../electron/backend/sandbox-converted";
import {
  createSandbox,
  decideMachineMode,
  defaultMachineFor,
  SANDBOX_SCENARIOS,
  sandboxFacts,
  sandboxRun,
  takeMachineFlag,
  type Sandbox,
} from "../../../../electron/backend/sandbox";
import {
  createSandboxRoot,
  HOSTILE_NAMES,
  SANDBOX_USER,
} from "../../../../electron/backend/sandbox-root";
import type { PhaseName } from "../../../../shared/plan/types";

const fixtures = new URL("../../../fixtures/machine/", import.meta.url)
  .pathname;
const sandboxes: Sandbox[] = [];
afterEach(() => {
  for (const s of sandboxes.splice(0)) s.dispose();
});
function sandbox(scenario?: Sandbox["scenario"]): Sandbox {
  const s = createSandbox({ scenario });
  sandboxes.push(s);
  return s;
}

describe("the sandbox's facts", () => {
  for (const scenario of SANDBOX_SCENARIOS) {
    it(`hold together (${scenario})`, () => {
      const facts = sandboxFacts(scenario, { sgdisk: true });
      expect(facts.machine).toBe("sandbox");
      expect(facts.tools).toEqual({ sgdisk: true });
      const partitions = facts.disks.flatMap((d) => d.partitions);
      for (const disk of facts.disks) {
        const used = disk.partitions.reduce((n, p) => n + p.sizeBytes, 0);
        expect(used).toBeLessThanOrEqual(disk.sizeBytes);
        expect(disk.inUse || disk.isBootMedium).toBe(
          disk.unavailableReason !== null,
        );
        for (const p of disk.partitions)
          expect(p.path.startsWith(disk.path)).toBe(true);
      }
      // Every mounted block device is a known partition, mounted where its partition says.
      for (const m of facts.mounts.filter(
        (m) =>
          m.source.startsWith("/dev/sd") || m.source.startsWith("/dev/nvme"),
      )) {
        const part = partitions.find((p) => p.path === m.source);
        expect(part, m.source).toBeDefined();
        if (m.target !== "/etc/nixos")
          expect(part!.mountPoints).toContain(m.target);
      }
      for (const install of facts.installs) {
        expect(partitions.map((p) => p.path)).toContain(install.device);
      }
      expect(facts.rootIsTmpfs).toBe(
        facts.mounts.find((m) => m.target === "/")!.fsType === "tmpfs",
      );
      // An empty disk to install to, in every scenario.
      expect(
        facts.disks.some(
          (d) => d.unavailableReason === null && d.partitions.length === 0,
        ),
      ).toBe(true);
    });
  }

  it("boots the LiveCD from the USB stick, which is never offered", () => {
    const facts = sandboxFacts("livecd", {});
    expect(facts.os.kind).toBe("nixos-livecd");
    const media = facts.disks.filter((d) => d.isBootMedium);
    expect(media.map((d) => d.path)).toEqual(["/dev/sdb"]);
    expect(media[0]!.unavailableReason).toMatch(/never offered/);
    expect(facts.installs).toEqual([
      expect.objectContaining({ device: "/dev/nvme0n1p2", converted: false }),
    ]);
  });

  it("runs the installed NixOS with what a convert design needs", () => {
    const facts = sandboxFacts("installed", {});
    expect(facts.os.kind).toBe("nixos");
    expect(facts.rootFs).toMatchObject({
      device: "/dev/nvme0n1p2",
      fsType: "ext4",
      fstabDevice: "/dev/disk/by-uuid/3f1b6c2e-8d4a-4e0b-9f6a-2c5d7e8f9a01",
    });
    expect(facts.bootFs).toMatchObject({
      device: "/dev/nvme0n1p1",
      mountPoint: "/boot",
    });
    expect(facts.nixosConfig).toEqual({
      dir: "/etc/nixos",
      isFlake: true,
      flakeAttr: "tern",
    });
  });

  it("gives the installed NixOS a plain layout that matches its mounts, and none elsewhere", () => {
    const facts = sandboxFacts("installed", {});
    expect(facts.layout).toEqual({
      root: {
        device: facts.rootFs!.fstabDevice,
        fsType: "ext4",
        options: [],
      },
      bootMountPoint: facts.bootFs!.mountPoint,
      bootloader: "systemd-boot",
      bootloaderFrom: "/boot/loader/entries",
      luks: null,
      lvm: null,
      nix: null,
      keptMounts: [],
      swapFiles: [],
      swapDevices: [],
    });
    for (const scenario of ["livecd", "stateless", "livecd-converted"] as const)
      expect(sandboxFacts(scenario, {}).layout).toBeNull();
  });

  it("runs the converted system for recovery", () => {
    const facts = sandboxFacts("stateless", {});
    expect(facts.rootIsTmpfs).toBe(true);
    expect(facts.installs[0]).toMatchObject({
      converted: true,
      hasOldRoot: true,
    });
  });

  it("boots the LiveCD again beside the converted install, for recovery from old-root/", () => {
    const facts = sandboxFacts("livecd-converted", {});
    expect(facts.os.kind).toBe("nixos-livecd");
    expect(
      facts.disks.filter((d) => d.isBootMedium).map((d) => d.path),
    ).toEqual(["/dev/sdb"]);
    expect(facts.installs).toEqual([
      {
        device: "/dev/nvme0n1p2",
        fsType: "ext4",
        migrationPending: false,
        hasOldRoot: true,
        converted: true,
      },
    ]);
    expect(facts.mounts.some((m) => m.source === "/dev/nvme0n1p2")).toBe(false);
  });
});

describe("the sandbox's folders match its facts", () => {
  for (const scenario of SANDBOX_SCENARIOS) {
    it(`the root partition's folder holds what the probe would find (${scenario})`, async () => {
      const s = sandbox(scenario);
      const install = s.facts().installs[0]!;
      expect(s.partitionFolders).toEqual({
        [install.device]: s.rootPartition,
      });
      const marks = await inspectTop(s.rootPartition);
      expect(marks).toMatchObject({
        migrationPending: install.migrationPending,
        hasOldRoot: install.hasOldRoot,
        converted: install.converted,
        nixosRoot: !install.converted,
      });
    });
  }
});

describe("the converted partition (stateless, livecd-converted)", () => {
  it("holds persistent/, old-root/ and the hoisted store, as migrate leaves them", () => {
    const s = sandbox("livecd-converted");
    const top = s.rootPartition;
    expect(readdirSync(top).sort()).toEqual([
      "old-root",
      "persistent",
      "store",
      "var",
    ]);
    for (const p of SANDBOX_PERSISTED) {
      expect(existsSync(join(top, "persistent", p)), p).toBe(true);
      expect(existsSync(join(top, "old-root", p)), p).toBe(false);
    }
    for (const p of SANDBOX_MISSED)
      expect(lstatSync(join(top, "old-root", p)).isDirectory(), p).toBe(true);
    // The hostile names were missed too: they wait in the quarantine.
    expect(
      readdirSync(
        join(top, `old-root/home/${SANDBOX_USER}/Documents/odd names`),
      ).sort(),
    ).toEqual([...HOSTILE_NAMES].sort());
    // What NixOS regenerates and links into the store went there as well.
    expect(lstatSync(join(top, "old-root/etc/static")).isSymbolicLink()).toBe(
      true,
    );
    expect(readdirSync(join(top, "store")).length).toBeGreaterThan(0);
    expect(readdirSync(s.scanRoot)).toEqual([]);
  });

  it("runs with a tmpfs root where the scanner finds only what was missed", () => {
    const s = sandbox("stateless");
    expect(readdirSync(s.dir).sort()).toEqual([
      "README.txt",
      "mnt",
      "nvme0n1p2",
      "root",
    ]);
    const found = scanRoot({ root: s.scanRoot }).entries.map((e) => e.path);
    for (const p of ["/var/lib/docker", `/home/${SANDBOX_USER}/.mozilla`])
      expect(found).toContain(p);
    for (const p of SANDBOX_PERSISTED)
      expect(
        found.filter((f) => f === p || f.startsWith(`${p}/`)),
        p,
      ).toEqual([]);
    expect(readdirSync(join(s.scanRoot, "nix"))).toEqual([]);
  });
});

describe("the sandbox's root partition", () => {
  it("is a real folder the scanner reads as a used NixOS root", () => {
    const s = sandbox();
    expect(s.facts().machine).toBe("sandbox");
    expect(readdirSync(s.dir).sort()).toEqual([
      "README.txt",
      "mnt",
      "nvme0n1p2",
    ]);
    const layout = createSandboxRoot(join(s.dir, "again"));
    expect(s.scanRoot).toBe(s.rootPartition);
    const result = scanRoot({ root: s.scanRoot });
    expect(result.entries.map((e) => e.path)).toEqual([...layout.state].sort());
    expect(result.scratch.map((e) => e.path)).toEqual([
      "/tmp/.X11-unix",
      "/tmp/nix-build-hello-1.drv-0",
    ]);
    expect(result.errors).toEqual([]);
    const docs = result.entries.find(
      (e) => e.path === `/home/${SANDBOX_USER}/Documents`,
    )!;
    // notes, the report once (its hard link adds nothing), the hostile names
    expect(docs.files).toBe(2 + HOSTILE_NAMES.length);
    expect(docs.newest).toBe("2025-11-20T18:30:00.000Z");
  });

  it("holds hostile names exactly", () => {
    const s = sandbox();
    const names = readdirSync(
      join(s.rootPartition, `home/${SANDBOX_USER}/Documents/odd names`),
    );
    expect(names.sort()).toEqual([...HOSTILE_NAMES].sort());
  });

  it("is thrown away with dispose()", () => {
    const s = createSandbox();
    s.dispose();
    expect(existsSync(s.dir)).toBe(false);
  });
});

describe("running phases on the sandbox", () => {
  const s = {
    rootPartition: "/tmp/sbx/nvme0n1p2",
    installTarget: "/tmp/sbx/mnt",
  };

  it("runs install, prepare, bootloader and recover as dry runs only", () => {
    for (const phase of [
      "install",
      "prepare",
      "bootloader",
      "recover",
    ] as PhaseName[]) {
      const run = sandboxRun(phase, s);
      expect(run.dryRun).toBe(true);
      expect(run.args[0]).toBe("--dry-run");
      expect(run.explanation).toMatch(/dry run/);
    }
    expect(sandboxRun("install", s).args).toEqual([
      "--dry-run",
      "--target",
      "/tmp/sbx/mnt",
    ]);
  });

  it("really migrates the pretend root partition, with or without root", () => {
    expect(sandboxRun("migrate", s)).toEqual({
      dryRun: false,
      args: ["--target", "/tmp/sbx/nvme0n1p2", "--force"],
      explanation: expect.stringMatching(
        /really moves the files .*--force because/,
      ),
    });
  });
});

describe("which machine", () => {
  it("is the real one on NixOS, the LiveCD included, and the sandbox elsewhere", () => {
    expect(
      decideMachineMode(null, join(fixtures, "os-release-nixos-installer.txt"))
        .mode,
    ).toBe("real");
    expect(
      decideMachineMode(null, join(fixtures, "os-release-nixos.txt")),
    ).toEqual({
      mode: "real",
      reason: "this is NixOS 25.05 (Warbler)",
    });
    expect(
      decideMachineMode(null, join(fixtures, "os-release-debian.txt")),
    ).toEqual({
      mode: "sandbox",
      reason: "this is Debian GNU/Linux 12 (bookworm), not NixOS",
    });
    expect(decideMachineMode(null, "/nonexistent/os-release").mode).toBe(
      "sandbox",
    );
    expect(defaultMachineFor("nixos-livecd")).toBe("real");
    expect(defaultMachineFor("other")).toBe("sandbox");
  });

  it("is what --real or --sandbox forces", () => {
    const debian = join(fixtures, "os-release-debian.txt");
    expect(decideMachineMode("real", debian)).toEqual({
      mode: "real",
      reason: "--real was given",
    });
    expect(
      decideMachineMode("sandbox", join(fixtures, "os-release-nixos.txt")).mode,
    ).toBe("sandbox");
    expect(takeMachineFlag(["--port", "1", "--real"])).toEqual({
      force: "real",
      rest: ["--port", "1"],
    });
    expect(takeMachineFlag(["--sandbox", "--sandbox"]).force).toBe("sandbox");
    expect(() => takeMachineFlag(["--sandbox", "--real"])).toThrow(
      "--sandbox and --real contradict each other; give one of them.",
    );
  });
});
