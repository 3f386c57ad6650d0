// Browsing old-root/ straight from real partitions on loop devices: an
// unmounted ext4 and a btrfs subvolume are read through a private read-only
// mount that no other process sees and that is gone after each listing (also
// when the process is killed mid-listing), a mounted one where it is mounted;
// the LiveCD's boot medium is refused. Through the backend's API too, from
// the probe's installs to the listing.
import { spawn } from "node:child_process";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDispatch } from "../../../../electron/backend/api-dispatch";
import { openWorkspace } from "../../../../electron/backend/files";
import { readBlockLayout } from "../../../../electron/backend/probe";
import { listQuarantineOnMachine } from "../../../../electron/backend/quarantine";
import {
  createBackend,
  type Backend,
} from "../../../../electron/backend/services";
import { HOSTILE_NAMES } from "../../../../electron/backend/sandbox-root";
import { LoopDisks, sh, type LoopDisk } from "../../../support/loop-disks";
import { describeWith } from "../../../support/needs";

const fixtures = new URL("../../../fixtures/machine/", import.meta.url)
  .pathname;
const root = new URL("../../../../", import.meta.url).pathname;

let disks: LoopDisks;
let target: LoopDisk;
let medium: LoopDisk;
let isoMount: string;
let backend: Backend;

/** A converted /nix partition's top: persistent/, store/, and old-root/ with hostile names and links out. */
function convertedTop(top: string) {
  for (const d of ["persistent/etc", "store", "old-root/var/lib/tailscale"])
    mkdirSync(join(top, d), { recursive: true });
  writeFileSync(join(top, "old-root/var/lib/tailscale/tailscaled.state"), "{}");
  mkdirSync(join(top, "old-root/home/alice/odd"), { recursive: true });
  for (const name of HOSTILE_NAMES)
    writeFileSync(join(top, "old-root/home/alice/odd", name), name);
  symlinkSync("/", join(top, "old-root/escape"));
  symlinkSync("../persistent", join(top, "old-root/up"));
}

/** Mounts a fresh filesystem, fills it, unmounts it again. */
function seed(device: string, files: (top: string) => void) {
  const top = disks.mount(device);
  try {
    files(top);
  } finally {
    disks.umount(top);
  }
}

const layout = () =>
  readBlockLayout({
    disks: [target.path, medium.path],
    isoMountPoint: isoMount,
    files: { osRelease: join(fixtures, "os-release-nixos-installer.txt") },
  });

/** Mounts of a device (by major:minor) in any process's namespace. */
function mountedAnywhere(device: string): string[] {
  const rdev = statSync(device).rdev;
  const majMin = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/mountinfo`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n"))
      if (line.split(" ")[2] === majMin) found.push(`${pid}: ${line}`);
  }
  return found;
}

const names = (r: { entries: { name: string }[] }) =>
  r.entries.map((e) => e.name);

describeWith(
  ["root", "loop", "mkfs", "sgdisk"],
  "the quarantine browser on loop disks",
  () => {
    beforeAll(async () => {
      disks = new LoopDisks("recover-quarantine");
      target = disks.create("recover-target", 400, [
        "-n1:0:+120M",
        "-c1:nix-ext4",
        "-n2:0:0",
        "-c2:nix-btrfs",
      ]);
      sh("mkfs.ext4", ["-q", "-L", "nix", target.part(1)]);
      sh("mkfs.btrfs", ["-q", "-L", "nixbtrfs", target.part(2)]);
      seed(target.part(1), convertedTop);
      seed(target.part(2), (top) => {
        sh("btrfs", ["subvolume", "create", join(top, "@")]);
        convertedTop(join(top, "@"));
      });
      // The LiveCD's medium, mounted where /iso would be; it even holds an old-root/.
      medium = disks.create("recover-medium", 120, ["-n1:0:0", "-c1:iso"]);
      sh("mkfs.ext4", [
        "-q",
        "-L",
        "nixos-minimal-25.05-x86_64",
        medium.part(1),
      ]);
      seed(medium.part(1), convertedTop);
      isoMount = disks.mount(medium.part(1), ["-o", "ro"]);
      backend = createBackend({
        version: "test",
        machine: "real",
        files: await openWorkspace(disks.dir),
        stateDir: join(disks.dir, "state"),
        probe: {
          disks: [target.path, medium.path],
          isoMountPoint: isoMount,
          inspectUnmounted: true,
          files: {
            osRelease: join(fixtures, "os-release-nixos-installer.txt"),
          },
        },
      });
    });

    afterAll(async () => {
      await backend?.close();
      disks?.cleanup();
    });

    it("lists an unmounted partition's old-root/ and leaves no mount behind", async () => {
      const mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
      const lookDirs = () =>
        readdirSync(tmpdir()).filter((n) => n.startsWith("tabula-look-"));
      const dirsBefore = lookDirs();
      const device = target.part(1);
      const top = await listQuarantineOnMachine(
        { device, path: "/" },
        { layout },
      );
      expect(names(top)).toEqual(["escape", "home", "up", "var"]);
      expect(top.entries.find((e) => e.name === "escape")?.kind).toBe(
        "symlink",
      );
      const odd = await listQuarantineOnMachine(
        { device, path: "/home/alice/odd" },
        { layout },
      );
      expect(names(odd).sort()).toEqual([...HOSTILE_NAMES].sort());
      expect(odd.entries.every((e) => e.kind === "file")).toBe(true);
      await expect(
        listQuarantineOnMachine({ device, path: "/escape/etc" }, { layout }),
      ).rejects.toThrow(
        `old-root/escape/etc on ${device} passes through the symbolic link old-root/escape on ${device}; links are shown, not followed.`,
      );
      await expect(
        listQuarantineOnMachine({ device, path: "/up" }, { layout }),
      ).rejects.toThrow(/is a symbolic link/);
      await expect(
        listQuarantineOnMachine({ device, path: "/var/.." }, { layout }),
      ).rejects.toThrow(/contains "\.\."/);
      expect(readFileSync("/proc/self/mountinfo", "utf8")).toBe(mountinfo);
      expect(mountedAnywhere(device)).toEqual([]);
      expect(lookDirs()).toEqual(dirsBefore);
    });

    it("finds the quarantine in a btrfs subvolume", async () => {
      const sub = await listQuarantineOnMachine(
        { device: target.part(2), subvolume: "/@", path: "/var/lib" },
        { layout },
      );
      expect(names(sub)).toEqual(["tailscale"]);
      await expect(
        listQuarantineOnMachine(
          { device: target.part(2), path: "/" },
          { layout },
        ),
      ).rejects.toThrow(
        `${target.part(2)} has no old-root/ at its top: there is nothing to recover from there.`,
      );
      expect(mountedAnywhere(target.part(2))).toEqual([]);
    });

    it("reads a mounted partition where it is mounted", async () => {
      const at = disks.mount(target.part(1));
      try {
        writeFileSync(join(at, "old-root/var/lib/new-since"), "");
        const lib = await listQuarantineOnMachine(
          { device: target.part(1), path: "var/lib" },
          { layout },
        );
        expect(names(lib)).toEqual(["new-since", "tailscale"]);
      } finally {
        disks.umount(at);
      }
    });

    it("never looks inside the LiveCD's boot medium", async () => {
      await expect(
        listQuarantineOnMachine(
          { device: medium.part(1), path: "/" },
          { layout },
        ),
      ).rejects.toThrow(
        `${medium.part(1)} is on ${medium.path}, the LiveCD's boot medium: Tabula never looks inside it.`,
      );
    });

    it("serves the probe's installs with old-root/ through the API", async () => {
      const dispatch = createDispatch(
        backend.handlersFor({ transport: "electron", controlling: () => true }),
      );
      const probed = (await dispatch("probe", {})) as {
        result: {
          installs: {
            device: string;
            hasOldRoot: boolean;
            subvolume?: string;
          }[];
        };
      };
      const withOldRoot = probed.result.installs.filter((i) => i.hasOldRoot);
      expect(
        withOldRoot.map((i) => [i.device, i.subvolume ?? null]).sort(),
      ).toEqual([
        [target.part(1), null],
        [target.part(2), "/@"],
      ]);
      for (const i of withOldRoot)
        expect(
          await dispatch("listQuarantine", {
            device: i.device,
            subvolume: i.subvolume ?? null,
            path: "/var/lib/tailscale",
          }),
        ).toEqual({
          result: {
            entries: [
              expect.objectContaining({ name: "tailscaled.state", bytes: 2 }),
            ],
          },
        });
      expect(
        await dispatch("listQuarantine", {
          device: medium.part(1),
          path: "/",
        }),
      ).toEqual({
        error: {
          message: `${medium.part(1)} is on ${medium.path}, the LiveCD's boot medium: Tabula never looks inside it.`,
        },
      });
      expect(
        await dispatch("listQuarantine", { device: "sda1", path: "/" }),
      ).toEqual({
        error: {
          message:
            'Invalid arguments to "listQuarantine": "args.device" must be a device path such as /dev/sda2.',
        },
      });
    });

    it("leaves nothing mounted when the process listing is killed halfway", async () => {
      // A child process holds a private mount open (its listing never ends)
      // and is killed with SIGKILL: the mount must go with it.
      const script = `
        import { withPrivateMount } from "./electron/backend/probe-installs.ts";
        const outcome = await withPrivateMount(process.argv[1], "ext4", 60000, async (dir) => {
          console.log("looking " + dir);
          await new Promise(() => {});
        });
        console.error(JSON.stringify(outcome));`;
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          script,
          target.part(1),
        ],
        { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          if (d.toString().includes("looking")) resolve();
        });
        child.on("exit", () =>
          reject(new Error(`the child ended early: ${stderr}`)),
        );
      });
      expect(mountedAnywhere(target.part(1)).length).toBe(1);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      for (let i = 0; i < 50 && mountedAnywhere(target.part(1)).length; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(mountedAnywhere(target.part(1))).toEqual([]);
      // And the partition can be mounted read-write again at once.
      const at = disks.mount(target.part(1));
      disks.umount(at);
    });
  },
);
