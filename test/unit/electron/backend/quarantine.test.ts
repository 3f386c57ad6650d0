// Browsing old-root/ from a partition's top: on real folders (the walk, the
// refusals), the choice between a mount point and a private mount on
// lsblk-shaped devices, and the sandbox's converted partition.
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlockDevice } from "../../../../electron/backend/probe-lsblk";
import {
  listQuarantineAt,
  listQuarantineInSandbox,
  listQuarantineOnMachine,
  resolveQuarantine,
} from "../../../../electron/backend/quarantine";
import {
  createSandbox,
  type Sandbox,
} from "../../../../electron/backend/sandbox";
import {
  HOSTILE_NAMES,
  SANDBOX_USER,
} from "../../../../electron/backend/sandbox-root";

let base: string;
let top: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), "recover-quarantine-"));
  top = path.join(base, "top");
  const q = path.join(top, "old-root");
  mkdirSync(path.join(q, "var", "lib", "app"), { recursive: true });
  writeFileSync(path.join(q, "var", "lib", "app", "state.db"), "12345");
  mkdirSync(path.join(top, "persistent"));
  writeFileSync(path.join(top, "secret-at-top"), "");
  writeFileSync(path.join(base, "outside"), "");
  // Links that lead out: to the partition's top, to "/", and up with "..".
  symlinkSync(top, path.join(q, "var", "to-top"));
  symlinkSync("/", path.join(q, "var", "to-root"));
  symlinkSync("../..", path.join(q, "var", "lib", "up"));
  // A btrfs-like subvolume holding its own quarantine, and a linked one.
  mkdirSync(path.join(top, "@", "old-root", "etc"), { recursive: true });
  mkdirSync(path.join(base, "linked"));
  mkdirSync(path.join(base, "linked", "old-root"));
  symlinkSync(path.join(base, "linked", "old-root"), path.join(top, "@", "x"));
  mkdirSync(path.join(base, "link-quarantine"));
  symlinkSync(top, path.join(base, "link-quarantine", "old-root"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const args = (p: string, subvolume?: string) => ({
  device: "/dev/vdb2",
  path: p,
  ...(subvolume ? { subvolume } : {}),
});

describe("listQuarantineAt", () => {
  it("lists old-root/ and its folders, links as links", async () => {
    const root = await listQuarantineAt(top, args("/"));
    expect(root.entries.map((e) => [e.name, e.kind])).toEqual([["var", "dir"]]);
    const varDir = await listQuarantineAt(top, args("/var"));
    expect(varDir.entries.map((e) => [e.name, e.kind])).toEqual([
      ["lib", "dir"],
      ["to-root", "symlink"],
      ["to-top", "symlink"],
    ]);
    const app = await listQuarantineAt(top, args("var/lib/app/"));
    expect(app.entries).toEqual([
      {
        name: "state.db",
        kind: "file",
        bytes: 5,
        mtime: expect.stringMatching(/^\d{4}-/),
      },
    ]);
  });

  it("never leaves old-root/: no .., no link followed", async () => {
    await expect(listQuarantineAt(top, args("/.."))).rejects.toThrow(
      'The path "/.." contains "..": give a folder inside old-root/.',
    );
    await expect(listQuarantineAt(top, args("var/to-top"))).rejects.toThrow(
      "old-root/var/to-top on /dev/vdb2 is a symbolic link; links are shown, not followed.",
    );
    await expect(
      listQuarantineAt(top, args("var/to-root/etc")),
    ).rejects.toThrow(
      "old-root/var/to-root/etc on /dev/vdb2 passes through the symbolic link old-root/var/to-root on /dev/vdb2; links are shown, not followed.",
    );
    await expect(listQuarantineAt(top, args("var/lib/up"))).rejects.toThrow(
      /is a symbolic link/,
    );
    await expect(
      listQuarantineAt(top, args("var/lib/app/state.db")),
    ).rejects.toThrow(
      "old-root/var/lib/app/state.db on /dev/vdb2 is not a folder.",
    );
  });

  it("refuses an old-root/ that is itself a link, and says when there is none", async () => {
    await expect(
      listQuarantineAt(path.join(base, "link-quarantine"), args("/")),
    ).rejects.toThrow(
      "old-root/ on /dev/vdb2 is a symbolic link; links are shown, not followed.",
    );
    await expect(
      listQuarantineAt(path.join(top, "persistent"), args("/")),
    ).rejects.toThrow(
      "/dev/vdb2 has no old-root/ at its top: there is nothing to recover from there. Choose the partition that holds the converted /nix.",
    );
  });

  it("finds the quarantine inside a subvolume, never through a link", async () => {
    const sub = await listQuarantineAt(top, args("/", "/@"));
    expect(sub.entries.map((e) => e.name)).toEqual(["etc"]);
    // Already at the subvolume (only it is mounted): not walked again.
    const mounted = await listQuarantineAt(
      path.join(top, "@"),
      args("/", "/@"),
      false,
    );
    expect(mounted.entries.map((e) => e.name)).toEqual(["etc"]);
    await expect(listQuarantineAt(top, args("/", "/@/x"))).rejects.toThrow(
      /symbolic link/,
    );
    await expect(listQuarantineAt(top, args("/", "/../x"))).rejects.toThrow(
      'The subvolume "/../x" contains ".."',
    );
  });
});

function device(partial: Partial<BlockDevice>): BlockDevice {
  return {
    name: "",
    kname: "",
    path: "",
    type: "part",
    sizeBytes: 1,
    fsType: null,
    label: null,
    partLabel: null,
    uuid: null,
    partUuid: null,
    model: null,
    serial: null,
    transport: null,
    removable: false,
    hotplug: false,
    readOnly: false,
    majMin: null,
    mountPoints: [],
    fsRoots: [],
    isSwap: false,
    children: [],
    ...partial,
  };
}

describe("resolveQuarantine", () => {
  const disk = (name: string, children: BlockDevice[]) =>
    device({ name, path: `/dev/${name}`, type: "disk", children });
  const layout = {
    devices: [
      disk("vda", [
        device({ path: "/dev/vda1", fsType: "vfat" }),
        device({ path: "/dev/vda2", fsType: "ext4" }),
        device({
          path: "/dev/vda3",
          fsType: "btrfs",
          mountPoints: ["/mnt/x"],
          fsRoots: ["/@"],
        }),
        device({
          path: "/dev/vda4",
          fsType: "xfs",
          mountPoints: ["/media/bind", "/nix"],
          fsRoots: ["/persistent", "/"],
        }),
      ]),
      disk("sdb", [device({ path: "/dev/sdb1", fsType: "ext4" })]),
    ],
    bootMedium: {
      disks: ["/dev/sdb"],
      device: "/dev/sdb1",
      how: "iso-mount" as const,
    },
  };

  it("reads a mounted filesystem where its top (or the subvolume) is mounted", () => {
    expect(resolveQuarantine(layout, "/dev/vda4", null)).toEqual({
      ok: true,
      access: { kind: "folder", dir: "/nix", subvolumeMounted: false },
    });
    expect(resolveQuarantine(layout, "/dev/vda3", "/@")).toEqual({
      ok: true,
      access: { kind: "folder", dir: "/mnt/x", subvolumeMounted: true },
    });
  });

  it("mounts privately what is not mounted (or not the part asked for)", () => {
    expect(resolveQuarantine(layout, "/dev/vda2", null)).toEqual({
      ok: true,
      access: { kind: "private-mount", device: "/dev/vda2", fsType: "ext4" },
    });
    expect(resolveQuarantine(layout, "/dev/vda3", "/root")).toMatchObject({
      ok: true,
      access: { kind: "private-mount", fsType: "btrfs" },
    });
  });

  it("refuses the boot medium, unknown devices and filesystems it cannot read", () => {
    expect(resolveQuarantine(layout, "/dev/sdb1", null)).toEqual({
      ok: false,
      message:
        "/dev/sdb1 is on /dev/sdb, the LiveCD's boot medium: Tabula never looks inside it.",
    });
    expect(resolveQuarantine(layout, "/dev/sdz9", null)).toEqual({
      ok: false,
      message:
        "/dev/sdz9 is not a block device on this machine; choose one of the installs Tabula found on the Start screen.",
    });
    expect(resolveQuarantine(layout, "/dev/vda1", null)).toEqual({
      ok: false,
      message:
        "/dev/vda1 holds a vfat filesystem; a converted /nix partition is ext4, xfs or btrfs.",
    });
  });

  it("does not mount without root, and says what to do", async () => {
    await expect(
      listQuarantineOnMachine(
        { device: "/dev/vda2", path: "/" },
        { layout: async () => layout, isRoot: false },
      ),
    ).rejects.toThrow(
      "/dev/vda2 is not mounted, and only root can mount it to look inside: start Tabula as root, or mount /dev/vda2 yourself (read-only is enough).",
    );
    await expect(
      listQuarantineOnMachine(
        { device: "/dev/sdb1", path: "/" },
        { layout: async () => layout, isRoot: true },
      ),
    ).rejects.toThrow(/boot medium/);
  });
});

describe("the sandbox's quarantine", () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = createSandbox({ scenario: "livecd-converted" });
  });
  afterAll(() => sandbox.dispose());

  const list = (device: string, p: string) =>
    listQuarantineInSandbox(
      { device, path: p },
      sandbox.facts(),
      sandbox.partitionFolders,
    );

  it("is the old-root/ of the pretend /nix partition, hostile names and all", async () => {
    const top = await list("/dev/nvme0n1p2", "/");
    expect(top.entries.map((e) => e.name)).toEqual(
      expect.arrayContaining(["etc", "home", "var", "srv", "root", "tmp"]),
    );
    const odd = await list(
      "/dev/nvme0n1p2",
      `/home/${SANDBOX_USER}/Documents/odd names`,
    );
    expect(odd.entries.map((e) => e.name).sort()).toEqual(
      [...HOSTILE_NAMES].sort(),
    );
    // etc/static leads into the Nix store: shown as a link, never followed.
    const etc = await list("/dev/nvme0n1p2", "/etc");
    expect(etc.entries.find((e) => e.name === "static")?.kind).toBe("symlink");
    await expect(list("/dev/nvme0n1p2", "/etc/static")).rejects.toThrow(
      /is a symbolic link/,
    );
  });

  it("refuses the boot medium and partitions that have no folder", async () => {
    await expect(list("/dev/sdb1", "/")).rejects.toThrow(
      "/dev/sdb1 is on /dev/sdb, the LiveCD's boot medium: Tabula never looks inside it.",
    );
    await expect(list("/dev/nvme0n1p1", "/")).rejects.toThrow(
      "/dev/nvme0n1p1 is a pretend partition with no files in the sandbox; only /dev/nvme0n1p2 has a folder.",
    );
    await expect(list("/dev/vdz", "/")).rejects.toThrow(
      /is not a partition of the sandbox's pretend machine/,
    );
  });
});
