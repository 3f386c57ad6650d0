// The mount steps several phases share (install, bootloader, recover from the
// LiveCD): a tmpfs as the new root at the target, and a filesystem at a path
// under it. Each guard skips the step when the mount is already there, so a
// rerun after a crash goes on; `guardWrap` lets a phase skip the step too
// (e.g. when --target says the caller owns the mounts).
import type { FsRef } from "../design/types";
import { TARGET, command, type Raw } from "./quote";
import type { Step } from "./types";

/** `mount -t TYPE [-o OPTIONS] DEVICE AT`, with every word quoted. */
export function mountCommand(
  fsType: string,
  options: string[],
  device: string,
  at: Raw,
): string {
  return options.length
    ? command("mount", "-t", fsType, "-o", options.join(","), device, at)
    : command("mount", "-t", fsType, device, at);
}

type GuardWrap = (check: string) => string;
const asIs: GuardWrap = (check) => check;

export function mountTmpfsRootStep(options: {
  id: string;
  title: string;
  explain?: string;
  size: string;
  guardWrap?: GuardWrap;
}): Step {
  const wrap = options.guardWrap ?? asIs;
  return {
    id: options.id,
    title: options.title,
    ...(options.explain ? { explain: options.explain } : {}),
    commands: [
      command("tabula_check_mount_point", TARGET),
      command("mkdir", "-p", "--", TARGET),
      // mode=755: with tmpfs's default 1777, sshd refuses key logins.
      command(
        "mount",
        "-t",
        "tmpfs",
        "-o",
        `mode=755,size=${options.size}`,
        "none",
        TARGET,
      ),
    ],
    destructive: false,
    weight: 1,
    requires: ["mount", "findmnt", "mountpoint"],
    guard: {
      check: wrap(command("tabula_is_mounted", TARGET, "tmpfs")),
      done: "the target is already a tmpfs",
    },
  };
}

export function mountFilesystemStep(options: {
  id: string;
  /** What the mount point is, for the title and the skip message: "/nix", "/boot". */
  name: string;
  fs: FsRef;
  at: Raw;
  /** Checks run before mounting (e.g. that the device is not the running root). */
  checks?: string[];
  guardWrap?: GuardWrap;
}): Step {
  const wrap = options.guardWrap ?? asIs;
  const { fs, at } = options;
  return {
    id: options.id,
    title: `Mount ${fs.device} at the target's ${options.name}`,
    commands: [
      ...(options.checks ?? []),
      command("mkdir", "-p", "--", at),
      mountCommand(fs.fsType, fs.options, fs.device, at),
    ],
    destructive: false,
    weight: 1,
    requires: ["mount", "findmnt"],
    guard: {
      check: wrap(command("tabula_is_mounted", at, fs.device)),
      done: `${options.name} is already mounted`,
    },
  };
}
