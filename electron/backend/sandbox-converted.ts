// The sandbox's pretend machine after a conversion: its root partition
// rearranged the way phase migrate leaves it (docs/step-script.md), and the
// tmpfs root of the running stateless system.
//
//   persistent/   what the pretend user chose to keep
//   old-root/     everything else of the old root, with the state they missed
//                 (Wi-Fi connections, Docker, PostgreSQL, Firefox, Documents
//                 with the hostile names): what Recover brings back
//   store/, var/  the hoisted Nix store
//
// Built from the same pretend root as the other scenarios (sandbox-root.ts)
// by renaming inside the folder, as the migration does; the real migration
// is tested on it in test/integration/electron/backend/sandbox-migrate.test.ts.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { QUARANTINE } from "../../shared/plan/labels";
import { ageFolders, createSandboxRoot, SANDBOX_USER } from "./sandbox-root";

/** What the pretend conversion persisted (as seen on the running system). */
export const SANDBOX_PERSISTED = [
  "/etc/nixos",
  "/etc/machine-id",
  "/etc/ssh/ssh_host_ed25519_key",
  "/etc/ssh/ssh_host_ed25519_key.pub",
  "/etc/ssh/ssh_host_rsa_key",
  "/etc/ssh/ssh_host_rsa_key.pub",
  "/var/lib/nixos",
  "/var/lib/systemd",
  "/var/log/journal",
  `/home/${SANDBOX_USER}/.ssh`,
  `/home/${SANDBOX_USER}/.bash_history`,
  `/home/${SANDBOX_USER}/projects`,
] as const;

/** State the pretend conversion missed: it is in old-root/ (and Recover finds it). */
export const SANDBOX_MISSED = [
  "/etc/NetworkManager/system-connections",
  "/var/lib/docker",
  "/var/lib/postgresql",
  "/var/lib/private/syncthing",
  `/home/${SANDBOX_USER}/.mozilla`,
  `/home/${SANDBOX_USER}/.config/Code`,
  `/home/${SANDBOX_USER}/Documents`,
] as const;

/** Parent folders of `rel` under `to`, made with the modes they have under `from`. */
function makeParents(from: string, to: string, rel: string): void {
  const parents: string[] = [];
  for (let p = dirname(rel); p !== "." && p !== "/"; p = dirname(p))
    parents.unshift(p);
  for (const p of parents) {
    if (existsSync(join(to, p))) continue;
    mkdirSync(join(to, p));
    chmodSync(join(to, p), statSync(join(from, p)).mode & 0o7777);
  }
}

/**
 * Creates, in `dir`, the sandbox's root partition as a finished conversion
 * left it: persistent/, old-root/, and the Nix store hoisted to the top.
 */
export function createConvertedPartition(dir: string): void {
  createSandboxRoot(dir);
  const persistent = join(dir, "persistent");
  const quarantine = join(dir, QUARANTINE);
  mkdirSync(persistent);
  chmodSync(persistent, 0o755);
  for (const path of SANDBOX_PERSISTED) {
    const rel = path.slice(1);
    makeParents(dir, persistent, rel);
    renameSync(join(dir, rel), join(persistent, rel));
  }
  // Only root looks into the quarantine, as the migration makes it.
  mkdirSync(quarantine);
  chmodSync(quarantine, 0o700);
  for (const name of readdirSync(dir))
    if (!["nix", "persistent", QUARANTINE].includes(name))
      renameSync(join(dir, name), join(quarantine, name));
  for (const name of readdirSync(join(dir, "nix")))
    renameSync(join(dir, "nix", name), join(dir, name));
  rmdirSync(join(dir, "nix"));
  ageFolders(dir);
}

/**
 * Creates, in `dir`, the tmpfs root of the running stateless system: what
 * NixOS makes at boot and the state services wrote since, without the
 * persisted paths (bind mounts from persistent/, which the scanner does not
 * descend into) and with an empty nix/ (the partition is mounted there).
 */
export function createStatelessRoot(dir: string): void {
  createSandboxRoot(dir);
  for (const path of SANDBOX_PERSISTED)
    rmSync(join(dir, path.slice(1)), { recursive: true, force: true });
  rmSync(join(dir, "nix"), { recursive: true, force: true });
  mkdirSync(join(dir, "nix"), { mode: 0o755 });
  ageFolders(dir);
}
