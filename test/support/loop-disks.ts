// Loop-device disks for integration tests. Every image, loop device, mount
// and swap made here is recorded and undone by `cleanup()` (call it in
// afterAll, it also runs after failures). Names carry the caller's prefix so
// they never collide with other streams' loop devices.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function sh(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, {
    encoding: "utf8",
    input,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export interface LoopDisk {
  /** e.g. "/dev/loop5" */
  path: string;
  image: string;
  /** "/dev/loop5p2" for n = 2 */
  part: (n: number) => string;
}

export class LoopDisks {
  readonly dir: string;
  private loops: { path: string; image: string }[] = [];
  private mounts: string[] = [];
  private swaps: string[] = [];

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    // Open to all, like /mnt: nixos-install (and so phase install) refuses
    // a target with a folder on the way that others cannot enter.
    chmodSync(this.dir, 0o755);
  }

  /** A sparse image attached with partition scanning; `sgdiskArgs` partitions it first. */
  create(name: string, sizeMiB: number, sgdiskArgs: string[] = []): LoopDisk {
    const image = join(this.dir, `${name}.img`);
    sh("truncate", ["-s", `${sizeMiB}M`, image]);
    if (sgdiskArgs.length > 0) sh("sgdisk", [...sgdiskArgs, image]);
    const path = sh("losetup", ["-fP", "--show", image]).trim();
    this.loops.push({ path, image });
    // No udev here: make sure the partition nodes exist.
    if (sgdiskArgs.length > 0 && !existsSync(`${path}p1`)) {
      try {
        sh("partx", ["-a", path]);
      } catch {
        // partx fails when the kernel already knows them.
      }
    }
    return { path, image, part: (n) => `${path}p${n}` };
  }

  mount(device: string, options: string[] = []): string {
    const target = mkdtempSync(join(this.dir, "mnt-"));
    sh("mount", [...options, device, target]);
    this.mounts.push(target);
    return target;
  }

  umount(target: string): void {
    sh("umount", [target]);
    this.mounts = this.mounts.filter((m) => m !== target);
  }

  swapon(device: string): void {
    sh("mkswap", [device]);
    sh("swapon", [device]);
    this.swaps.push(device);
  }

  cleanup(): void {
    for (const s of this.swaps.splice(0)) tryRun("swapoff", [s]);
    for (const m of this.mounts.splice(0).reverse()) tryRun("umount", [m]);
    for (const l of this.loops.splice(0)) detach(l.path, l.image);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function tryRun(command: string, args: string[]): void {
  try {
    sh(command, args);
  } catch {
    // best effort: cleanup goes on with the rest
  }
}

/**
 * A device just unmounted can stay busy for a moment: retry the detach, but
 * only while the loop device still holds our image (another stream may get
 * the same number as soon as it is free).
 */
function detach(loop: string, image: string): void {
  const backing = `/sys/block/${loop.replace("/dev/", "")}/loop/backing_file`;
  const ours = () => {
    try {
      return readFileSync(backing, "utf8").trim().startsWith(image);
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 20 && ours(); i++) {
    tryRun("losetup", ["-d", loop]);
    if (!ours()) return;
    execFileSync("sleep", ["0.2"]);
  }
}
