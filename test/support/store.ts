// Checks a migrated partition's Nix store the way the new system will see
// it: the partition bind-mounted at a fresh root's /nix, then
// `nix-store --store ROOT --verify --check-contents` (Nix 2.8 reads
// ROOT/nix/store and ROOT/nix/var/nix/db).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

/** Throws with nix-store's output unless the store at `partition` verifies. */
export function verifyStore(partition: string, scratch: string): string {
  const newRoot = mkdtempSync(join(scratch, "newroot-"));
  mkdirSync(join(newRoot, "nix"));
  // A private mount namespace: the bind mount vanishes with the process,
  // even if the test dies.
  const r = spawnSync(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      'mount --bind "$1" "$2/nix" && nix-store --store "$2" --verify --check-contents',
      "sh",
      partition,
      newRoot,
    ],
    { encoding: "utf8" },
  );
  rmSync(newRoot, { recursive: true, force: true });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || /disappeared|modified|invalid/.test(output))
    throw new Error(`the store does not verify (${r.status}):\n${output}`);
  return output;
}
