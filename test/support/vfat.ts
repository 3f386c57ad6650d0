// vfat for tests on a kernel that cannot mount it: inside a private mount
// namespace only, /usr/sbin gets an overlay holding a mount.vfat helper
// (test/support/machine-shims/mount.vfat) that mounts with fusefat, so the
// step script's own `mount -t vfat` works there as on the LiveCD. Nothing
// outside that namespace sees it, and it is gone with its process.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";

const HELPER = new URL("./machine-shims/mount.vfat", import.meta.url).pathname;

/**
 * Runs bash SCRIPT (with ARGS as $1...) in a private mount namespace where
 * `mount -t vfat` mounts through fusefat.
 */
export function withVfat(
  scratch: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { status: number; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(scratch, "vfat-overlay-"));
  const setup = [
    "set -e",
    `mkdir -p "${dir}/upper" "${dir}/work"`,
    `cp "${HELPER}" "${dir}/upper/mount.vfat"`,
    `mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=${dir}/upper,workdir=${dir}/work" /usr/sbin`,
    "set +e",
    script,
  ].join("\n");
  const r = spawnSync(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "bash",
      "-c",
      setup,
      "bash",
      ...args,
    ],
    { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 },
  );
  return {
    status: r.status ?? 1,
    stdout: r.stdout ?? "",
    stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`,
  };
}
