// Suites that need a system tool declare it; a suite whose tool is missing is
// skipped with the reason, or fails when TABULA_REQUIRE_ALL=1 (CI), so a
// machine that silently lacks a tool can never pass CI by skipping.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";
import { describe, it } from "vitest";

export type Need =
  | "nix"
  | "chromium"
  | "root"
  | "loop"
  | "mkfs"
  | "sgdisk"
  | "cryptsetup"
  | "bash"
  | "cc"
  | "git"
  | "build"
  | "openssl"
  | "fusefat"
  | "mkpasswd"
  | "sudo";

const checks: Record<Need, () => string | null> = {
  nix: () =>
    onPath("nix-instantiate") && onPath("nix-store") && onPath("nix")
      ? null
      : "nix-instantiate, nix-store and nix are not installed (Debian: nix-bin)",
  chromium: () =>
    existsSync(chromiumPath())
      ? null
      : `${chromiumPath()} does not exist (Debian: chromium)`,
  root: () => (process.getuid?.() === 0 ? null : "needs root"),
  loop: () => {
    if (process.getuid?.() !== 0) return "loop devices need root";
    if (!onPath("losetup"))
      return "losetup is not installed (Debian: util-linux)";
    return existsSync("/dev/loop-control")
      ? null
      : "/dev/loop-control is missing: this kernel or container has no loop devices";
  },
  mkfs: () => {
    const missing = [
      "mkfs.btrfs",
      "mkfs.ext4",
      "mkfs.xfs",
      "mkfs.vfat",
      "blkid",
      "lsblk",
      "findmnt",
    ].filter((t) => !onPath(t));
    return missing.length
      ? `missing ${missing.join(", ")} (Debian: btrfs-progs e2fsprogs xfsprogs dosfstools util-linux)`
      : null;
  },
  sgdisk: () =>
    onPath("sgdisk") ? null : "sgdisk is not installed (Debian: gdisk)",
  cryptsetup: () =>
    onPath("cryptsetup")
      ? null
      : "cryptsetup is not installed (Debian: cryptsetup-bin)",
  bash: () => (onPath("bash") ? null : "bash is not installed"),
  cc: () =>
    onPath("cc")
      ? null
      : "cc is not installed (Debian: gcc or build-essential)",
  git: () => (onPath("git") ? null : "git is not installed (Debian: git)"),
  build: () =>
    existsSync(new URL("../../out/renderer/index.html", import.meta.url))
      ? null
      : "the app is not built (run npm run build; npm test builds it first)",
  openssl: () =>
    onPath("openssl") ? null : "openssl is not installed (Debian: openssl)",
  sudo: () =>
    onPath("sudo") && onPath("visudo") && onPath("unshare")
      ? null
      : "sudo and visudo are not installed (Debian: sudo)",
  mkpasswd: () =>
    onPath("mkpasswd") ? null : "mkpasswd is not installed (Debian: whois)",
  fusefat: () =>
    onPath("fusefat") && existsSync("/dev/fuse")
      ? null
      : "fusefat or /dev/fuse is missing (Debian: fusefat; the tests mount vfat through it)",
};

export function chromiumPath(): string {
  return process.env.TABULA_CHROMIUM ?? "/usr/bin/chromium";
}

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v "$1"`, "sh", tool], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

/** Reasons the given needs are unmet, or an empty list. */
export function missing(needs: Need[]): string[] {
  return needs.map((n) => checks[n]()).filter((r): r is string => r !== null);
}

/** `describe`, but skipped (or failed under TABULA_REQUIRE_ALL=1) when a need is unmet. */
export function describeWith(
  needs: Need[],
  name: string,
  body: () => void,
): void {
  const reasons = missing(needs);
  if (reasons.length === 0) {
    describe(name, body);
    return;
  }
  const reason = reasons.join("; ");
  if (process.env.TABULA_REQUIRE_ALL === "1") {
    describe(name, () => {
      it("has the tools it needs", () => {
        throw new Error(
          `suite "${name}" cannot run: ${reason} (TABULA_REQUIRE_ALL=1 turns a skip into a failure)`,
        );
      });
    });
    return;
  }
  if (process.env.TABULA_SKIP_LOG)
    appendFileSync(process.env.TABULA_SKIP_LOG, `${name}: ${reason}\n`);
  describe.skip(`${name} [skipped: ${reason}]`, body);
}
