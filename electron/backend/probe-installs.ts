// Finds NixOS installs on the machine's filesystems: an unconverted root
// (nix/store at the top), a converted /nix partition (persistent/ and store/
// at the top), an unfinished conversion (.tabula/migration.json) and the
// quarantine of a past one (old-root/).
//
// A mounted filesystem is looked at where it is mounted. An unmounted one is
// only looked at when asked (from the LiveCD): it is mounted read-only, with
// the options that forbid journal replay, inside a private mount namespace
// (`unshare -m`), so no other process ever sees the mount and it disappears
// with that one process, even if Tabula is killed halfway. The files are read
// through /proc/<pid>/root of that process.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rmdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FoundInstall } from "../../shared/machine/types";
import { walkDevices, type BlockDevice } from "./probe-lsblk";

/** Read-only mount options that also forbid replaying a journal (which writes). */
export const READ_ONLY_OPTIONS: Record<string, string[]> = {
  ext2: ["ro"],
  ext3: ["ro,noload"],
  ext4: ["ro,noload"],
  xfs: ["ro,norecovery"],
  // The top level (subvolid=5) shows every subvolume; "rescue=" is the
  // current spelling (Linux 5.9+), "nologreplay" the older one.
  btrfs: ["ro,subvolid=5,rescue=nologreplay", "ro,subvolid=5,nologreplay"],
};

export interface InstallMarks {
  migrationPending: boolean;
  hasOldRoot: boolean;
  converted: boolean;
  /** An unconverted NixOS root: nix/store or etc/NIXOS at the top. */
  nixosRoot: boolean;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** What the top of a filesystem (or of a subvolume) holds. */
export async function inspectTop(dir: string): Promise<InstallMarks> {
  const [migrationPending, hasOldRoot, persistent, store, nixStore, nixosTag] =
    await Promise.all([
      isFile(join(dir, ".tabula", "migration.json")),
      isDir(join(dir, "old-root")),
      isDir(join(dir, "persistent")),
      isDir(join(dir, "store")),
      isDir(join(dir, "nix", "store")),
      exists(join(dir, "etc", "NIXOS")),
    ]);
  return {
    migrationPending,
    hasOldRoot,
    converted: persistent && store,
    nixosRoot: nixStore || nixosTag,
  };
}

function anyMark(m: InstallMarks): boolean {
  return m.migrationPending || m.hasOldRoot || m.converted || m.nixosRoot;
}

/**
 * Looks at a filesystem's top and, for btrfs, at the subvolumes one level
 * down (NixOS roots often live in "@" or "root").
 */
async function inspectFilesystem(
  dir: string,
  device: BlockDevice,
  subvolume: string | null,
  lookIntoSubvolumes: boolean,
): Promise<FoundInstall[]> {
  const found: FoundInstall[] = [];
  const top = await inspectTop(dir);
  if (anyMark(top)) found.push(toInstall(device, top, subvolume));
  if (lookIntoSubvolumes && device.fsType === "btrfs") {
    let names: string[] = [];
    try {
      names = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .slice(0, 64);
    } catch {
      names = [];
    }
    for (const name of names) {
      if (["nix", "old-root", "persistent", "store", ".tabula"].includes(name))
        continue;
      const marks = await inspectTop(join(dir, name));
      if (anyMark(marks)) found.push(toInstall(device, marks, `/${name}`));
    }
  }
  return found;
}

function toInstall(
  device: BlockDevice,
  marks: InstallMarks,
  subvolume: string | null,
): FoundInstall {
  return {
    device: device.path,
    fsType: device.fsType ?? "unknown",
    migrationPending: marks.migrationPending,
    hasOldRoot: marks.hasOldRoot,
    converted: marks.converted,
    ...(subvolume ? { subvolume } : {}),
  };
}

export interface FindInstallsOptions {
  /** Mount unmounted filesystems read-only in a private namespace to look inside (LiveCD). */
  inspectUnmounted: boolean;
  /** Top-level devices never to touch (the LiveCD's boot medium). */
  skipDisks: Set<string>;
  timeoutMs?: number;
}

export async function findInstalls(
  devices: BlockDevice[],
  options: FindInstallsOptions,
): Promise<{ installs: FoundInstall[]; warnings: string[] }> {
  const installs: FoundInstall[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const top of devices) {
    if (options.skipDisks.has(top.path)) continue;
    for (const device of walkDevices([top])) {
      if (seen.has(device.path)) continue;
      seen.add(device.path);
      const fsType = device.fsType;
      if (!fsType || !(fsType in READ_ONLY_OPTIONS)) continue;
      const rootIndex = device.fsRoots.indexOf("/");
      if (rootIndex >= 0) {
        installs.push(
          ...(await inspectFilesystem(
            device.mountPoints[rootIndex]!,
            device,
            null,
            true,
          )),
        );
      } else if (device.mountPoints.length > 0) {
        // Only a subvolume is mounted (e.g. the running root "subvol=@").
        for (const [i, mountPoint] of device.mountPoints.entries()) {
          installs.push(
            ...(await inspectFilesystem(
              mountPoint,
              device,
              device.fsRoots[i] ?? null,
              false,
            )),
          );
        }
      } else if (options.inspectUnmounted) {
        const result = await withPrivateMount(
          device.path,
          fsType,
          options.timeoutMs ?? 20_000,
          (dir) => inspectFilesystem(dir, device, null, true),
        );
        if (result.ok) installs.push(...result.value);
        else warnings.push(result.message);
      }
    }
  }
  return { installs, warnings };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };

// The child mounts, says "mounted", then waits for its stdin to close; when
// it exits its namespace and the mount go with it.
const MOUNT_AND_WAIT = `mount -t "$2" -o "$3" -- "$1" "$4" || exit 90
echo mounted
read -r _ || true`;

/**
 * Mounts `device` read-only in a private mount namespace and runs `look` on
 * the mounted directory as this process sees it (/proc/<pid>/root/...).
 */
export async function withPrivateMount<T>(
  device: string,
  fsType: string,
  timeoutMs: number,
  look: (dir: string) => Promise<T>,
): Promise<Outcome<T>> {
  const optionSets = READ_ONLY_OPTIONS[fsType];
  if (!optionSets) {
    return {
      ok: false,
      message: `Tabula does not look inside ${fsType} filesystems (${device}).`,
    };
  }
  const dir = await mkdtemp(join(tmpdir(), "tabula-look-"));
  try {
    let lastError = "";
    for (const options of optionSets) {
      const attempt = await mountOnce(
        device,
        fsType,
        options,
        dir,
        timeoutMs,
        look,
      );
      if (attempt.ok) return attempt;
      lastError = attempt.message;
    }
    return {
      ok: false,
      message: `Could not look inside ${device} (${fsType}): ${lastError}`,
    };
  } finally {
    await rmdir(dir).catch(() => undefined);
  }
}

function mountOnce<T>(
  device: string,
  fsType: string,
  options: string,
  dir: string,
  timeoutMs: number,
  look: (dir: string) => Promise<T>,
): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    const child = spawn(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        MOUNT_AND_WAIT,
        "sh",
        device,
        fsType,
        options,
        dir,
      ],
      { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } },
    );
    let stderr = "";
    // The outcome is settled once the child is gone, so the mount is gone too.
    let outcome: Outcome<T> | null = null;
    const release = (result: Outcome<T>) => {
      outcome ??= result;
      child.stdin.end();
    };
    const timer = setTimeout(() => {
      release({
        ok: false,
        message: `mounting took longer than ${timeoutMs} ms`,
      });
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({
        ok: false,
        message:
          (error as NodeJS.ErrnoException).code === "ENOENT"
            ? "unshare is not installed (util-linux)"
            : error.message,
      });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(
        outcome ?? {
          ok: false,
          message:
            stderr.trim() || `the private mount exited with status ${code}`,
        },
      );
    });
    child.stdout.once("data", () => {
      look(`/proc/${child.pid}/root${dir}`).then(
        (value) => release({ ok: true, value }),
        (error: Error) => release({ ok: false, message: error.message }),
      );
    });
  });
}
