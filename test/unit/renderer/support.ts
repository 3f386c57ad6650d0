// Renderer test support: a Pinia bound to an app that provides a fake API
// connection (test/support/fake-api.ts), plus sample machine facts, scan
// results, plans and run statuses shaped like the backend's.
import { mount } from "@vue/test-utils";
import { createPinia, setActivePinia } from "pinia";
import type { Component } from "vue";
import { createApp } from "vue";
import type { ApiHandlers, PlanPreview } from "../../../shared/api/contract";
import type { Design } from "../../../shared/design/types";
import type { MachineFacts } from "../../../shared/machine/types";
import type { Plan } from "../../../shared/plan/types";
import type { RunStatus } from "../../../shared/progress/types";
import type { ScanResult } from "../../../shared/scan/types";
import { API_KEY } from "../../../renderer/src/api";
import { fakeApi, type FakeApi } from "../../support/fake-api";

const GiB = 1024 ** 3;

export function sampleFacts(over: Partial<MachineFacts> = {}): MachineFacts {
  return {
    machine: "sandbox",
    os: {
      kind: "nixos-livecd",
      prettyName: "NixOS 25.11 (Xantusia)",
      versionId: "25.11",
    },
    firmware: "uefi",
    memoryBytes: 16 * GiB,
    disks: [
      {
        path: "/dev/nvme0n1",
        sizeBytes: 512110190592,
        model: "Samsung SSD 980 PRO 512GB",
        serial: "S5GXNX0T",
        transport: "nvme",
        removable: false,
        readOnly: false,
        partitions: [
          {
            path: "/dev/nvme0n1p1",
            sizeBytes: 536870912,
            fsType: "vfat",
            label: "EFI",
            partLabel: null,
            uuid: "AB12-CD34",
            partUuid: null,
            mountPoints: [],
          },
          {
            path: "/dev/nvme0n1p2",
            sizeBytes: 511573319680,
            fsType: "ext4",
            label: "home",
            partLabel: null,
            uuid: "1111-2222",
            partUuid: null,
            mountPoints: [],
          },
        ],
        isBootMedium: false,
        inUse: false,
        unavailableReason: null,
      },
      {
        path: "/dev/sda",
        sizeBytes: 32015679488,
        model: "SanDisk Ultra",
        serial: null,
        transport: "usb",
        removable: true,
        readOnly: false,
        partitions: [],
        isBootMedium: true,
        inUse: true,
        unavailableReason: "Tabula is running from this disk.",
      },
    ],
    mounts: [],
    rootFs: null,
    nixosConfig: null,
    rootIsTmpfs: false,
    installs: [],
    tools: { sgdisk: true, "nixos-install": false },
    ...over,
  };
}

export function convertFacts(): MachineFacts {
  return sampleFacts({
    os: {
      kind: "nixos",
      prettyName: "NixOS 25.11 (Xantusia)",
      versionId: "25.11",
    },
    rootFs: {
      device: "/dev/nvme0n1p2",
      fsType: "btrfs",
      options: ["subvol=@", "compress=zstd"],
      fstabDevice: "/dev/disk/by-uuid/1111-2222",
    },
    bootFs: {
      device: "/dev/nvme0n1p1",
      fsType: "vfat",
      options: ["fmask=0077"],
      mountPoint: "/boot",
      fstabDevice: "/dev/disk/by-uuid/AB12-CD34",
    },
    nixosConfig: { dir: "/etc/nixos", isFlake: true, flakeAttr: "tern" },
  });
}

export function sampleScan(): ScanResult {
  return {
    root: "/",
    entries: [
      {
        path: "/var/lib/docker",
        kind: "dir",
        bytes: 3 * GiB,
        files: 12000,
        newest: "2025-11-20T10:00:00Z",
        suggestion: {
          reason: "Docker images, containers and volumes.",
          preset: "developer",
        },
      },
      {
        path: "/home/mira/.ssh",
        kind: "dir",
        bytes: 4096,
        files: 3,
        newest: "2025-10-01T10:00:00Z",
        suggestion: { reason: "SSH keys and known hosts.", preset: "desktop" },
      },
      {
        path: "/var/log",
        kind: "dir",
        bytes: 200 * 1024 ** 2,
        files: 40,
        newest: "2025-11-24T10:00:00Z",
        suggestion: null,
      },
    ],
    scratch: [
      {
        path: "/tmp/build",
        kind: "dir",
        bytes: 1024 ** 2,
        files: 2,
        newest: "2025-11-24T10:00:00Z",
        suggestion: null,
      },
    ],
    errors: [],
  };
}

export function samplePlan(over: Partial<Plan> = {}): Plan {
  return {
    format: "tabula-plan/1",
    planId: "p1",
    mode: "install",
    hostname: "orchid",
    phases: [
      {
        name: "install",
        title: "Install",
        where: "livecd",
        steps: [
          {
            id: "check",
            title: "Check the disk",
            commands: ["test -b /dev/nvme0n1"],
            destructive: false,
            weight: 1,
            requires: [],
          },
          {
            id: "partition",
            title: "Partition /dev/nvme0n1",
            explain: "Wipes the partition table and creates ESP and /nix.",
            commands: [
              "sgdisk --zap-all /dev/nvme0n1",
              "sgdisk -n1:0:+1G -t1:ef00 -c1:tabula-esp /dev/nvme0n1",
            ],
            destructive: true,
            confirm: "/dev/nvme0n1",
            weight: 2,
            requires: ["sgdisk"],
          },
          {
            id: "nixos-install",
            title: "Install NixOS",
            commands: ['nixos-install --system "$system" --no-root-passwd'],
            destructive: false,
            weight: 10,
            requires: ["nixos-install"],
          },
        ],
      },
    ],
    ...over,
  };
}

export function samplePreview(plan: Plan | null = samplePlan()): PlanPreview {
  return {
    problems: [],
    plan,
    files: [
      {
        path: "flake.nix",
        content:
          '# Generated by Tabula from a design.\n{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";\n}\n',
      },
      {
        path: "nixos/stateless.nix",
        content:
          '{ lib, ... }:\n{\n  fileSystems."/" = { device = "none"; fsType = "tmpfs"; options = [ "mode=755" "size=4G" ]; };\n}\n',
      },
    ],
  };
}

export function sampleStatus(over: Partial<RunStatus> = {}): RunStatus {
  return {
    runId: "r1",
    phase: "install",
    steps: [
      { id: "check", title: "Check the disk", state: "done" },
      { id: "partition", title: "Partition /dev/nvme0n1", state: "running" },
      { id: "nixos-install", title: "Install NixOS", state: "pending" },
    ],
    percent: 30,
    state: "running",
    exitCode: null,
    build: null,
    why: null,
    ...over,
  };
}

export function installDesign(): Design {
  return {
    format: "tabula/1",
    mode: "install",
    hostname: "orchid",
    system: "x86_64-linux",
    stateVersion: "25.11",
    root: { size: "4G" },
    disk: {
      device: "/dev/nvme0n1",
      bootloader: "systemd-boot",
      esp: { size: "1G" },
      encrypt: false,
      nix: { fsType: "btrfs", options: ["compress-force=zstd", "noatime"] },
    },
    persistence: {
      storage: "/nix/persistent",
      hideMounts: true,
      directories: ["/var/lib/nixos", "/var/log"],
      files: ["/etc/machine-id"],
      users: {},
    },
    users: {
      mira: {
        isNormalUser: true,
        extraGroups: ["wheel"],
        hashedPassword:
          "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
      },
    },
  };
}

/** A Pinia inside an app that provides a fake API with these handlers; the default hello and probe answer at once. */
export function setup(
  handlers: Partial<ApiHandlers> = {},
  facts = sampleFacts(),
) {
  const fake: FakeApi = fakeApi({
    hello: async () => ({
      version: "0.1.0",
      machine: facts.machine,
      transport: "websocket",
      controlling: true,
    }),
    probe: async () => facts,
    listDesigns: async () => ({ workspace: "/tmp/ws", designs: [] }),
    ...handlers,
  });
  const app = createApp({});
  app.provide(API_KEY, fake);
  const pinia = createPinia();
  app.use(pinia);
  setActivePinia(pinia);
  return { fake, pinia, app };
}

/** Mount a component with the same Pinia and fake API. */
export function mountWith(
  component: Component,
  ctx: ReturnType<typeof setup>,
  props: Record<string, unknown> = {},
) {
  return mount(component, {
    props,
    global: {
      plugins: [ctx.pinia],
      provide: { [API_KEY as symbol]: ctx.fake },
    },
    attachTo: document.body,
  });
}

/** Let pending promises (fake API replies) settle. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Wait until `check` passes (an async screen has loaded, a hash is done), at most `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
