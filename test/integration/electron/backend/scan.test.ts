// The scanner against real mounts inside the scanned root: a tmpfs, a
// bind-mounted file (how impermanence maps persisted files back) and a btrfs
// on a loop device. It reads the mount table itself (/proc/self/mountinfo).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readMountPoints, scanRoot } from "../../../../electron/backend/scan";
import { LoopDisks, sh } from "../../../support/loop-disks";
import { describeWith } from "../../../support/needs";

let disks: LoopDisks;
let root: string;
const mounted: string[] = [];

function mount(args: string[], target: string) {
  sh("mount", [...args, target]);
  mounted.push(target);
}

describeWith(["root", "loop", "mkfs"], "scan across real mounts", () => {
  beforeAll(() => {
    disks = new LoopDisks("machine-scan");
    root = mkdtempSync(join(tmpdir(), "machine-scan-root-"));
    const write = (rel: string, content: string) => {
      mkdirSync(join(root, rel, ".."), { recursive: true });
      writeFileSync(join(root, rel), content);
    };
    write("var/lib/app/state.db", "state");
    write("var/lib/cache-on-tmpfs/.keep", "");
    write("etc/machine-id", "placeholder\n");
    write("srv/btrfs/.keep", "");
    write("home/alice/notes.md", "notes");

    // A tmpfs over a folder: its files are on another filesystem.
    mount(
      ["-t", "tmpfs", "-o", "size=4m", "machine-scan"],
      join(root, "var/lib/cache-on-tmpfs"),
    );
    writeFileSync(
      join(root, "var/lib/cache-on-tmpfs/big"),
      "x".repeat(100_000),
    );
    // A bind-mounted file, as impermanence maps /etc/machine-id back.
    const persistent = mkdtempSync(join(tmpdir(), "machine-scan-persist-"));
    writeFileSync(join(persistent, "machine-id"), "0123456789abcdef\n");
    mount(
      ["--bind", join(persistent, "machine-id")],
      join(root, "etc/machine-id"),
    );
    mounted.push(`rm:${persistent}`);
    // A btrfs on a loop device.
    const disk = disks.create("machine-scan-btrfs", 120);
    sh("mkfs.btrfs", ["-q", disk.path]);
    mount([disk.path], join(root, "srv/btrfs"));
    writeFileSync(join(root, "srv/btrfs/data"), "on btrfs");
  });

  afterAll(() => {
    for (const m of mounted.splice(0).reverse()) {
      try {
        if (m.startsWith("rm:"))
          rmSync(m.slice(3), { recursive: true, force: true });
        else sh("umount", [m]);
      } catch {
        // keep cleaning up the rest
      }
    }
    disks?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("reads the mount table", () => {
    const points = readMountPoints()!;
    expect(points.has(join(root, "srv/btrfs"))).toBe(true);
    expect(points.has(join(root, "etc/machine-id"))).toBe(true);
  });

  it("does not go into other mounts, folders or files", () => {
    const result = scanRoot({ root });
    expect(result.entries.map((e) => e.path)).toEqual([
      "/home/alice",
      "/var/lib/app",
    ]);
    expect(result.errors).toEqual([]);
  });

  it("without a mount table, tells other filesystems by their device", () => {
    const result = scanRoot({ root, mountInfo: "/nonexistent/mountinfo" });
    // The tmpfs and the btrfs have other device numbers; the bind-mounted
    // file comes from the same filesystem, so only the table can tell it.
    expect(result.entries.map((e) => e.path)).toEqual([
      "/etc/machine-id",
      "/home/alice",
      "/var/lib/app",
    ]);
  });
});
