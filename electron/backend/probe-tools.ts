// Which of the tools the step scripts use are installed. Looked up on PATH
// (plus the sbin folders, which a non-root PATH often lacks) without running
// anything.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The tools steps may require; the step script checks again before it runs. */
export const STEP_TOOLS = [
  "nixos-install",
  "nixos-rebuild",
  "nixos-enter",
  "nixos-generate-config",
  "nix",
  "nix-build",
  "nix-store",
  "sgdisk",
  "wipefs",
  "partprobe",
  "partx",
  "udevadm",
  "cryptsetup",
  "mkfs.btrfs",
  "mkfs.ext4",
  "mkfs.xfs",
  "mkfs.vfat",
  "mkswap",
  "swapon",
  "btrfs",
  "mount",
  "umount",
  "findmnt",
  "lsblk",
  "blkid",
  "unshare",
  "rsync",
  "nom",
] as const;

const EXTRA_DIRS = ["/run/current-system/sw/bin", "/usr/sbin", "/sbin"];

export function findTools(
  tools: readonly string[] = STEP_TOOLS,
  path: string = process.env.PATH ?? "",
): Record<string, boolean> {
  const dirs = [...new Set([...path.split(delimiter), ...EXTRA_DIRS])].filter(
    (d) => d !== "",
  );
  const result: Record<string, boolean> = {};
  for (const tool of tools) {
    result[tool] = dirs.some((dir) => isExecutable(join(dir, tool)));
  }
  return result;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
