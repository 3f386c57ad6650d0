// Checks of what persisting does to the running system beyond keeping
// state: an owner or mode on a folder NixOS itself fills makes impermanence
// change that folder for everyone (a secret's parentDirectory mode
// "u=rwx,g=,o=" on /etc/nix leaves non-root users without nix.conf), and
// SSH host keys NixOS makes but nobody persisted change at every boot.
import type { Persisted } from "./checks";
import { isAtOrUnder } from "./paths";
import type { Findings } from "./reader";
import type { Design } from "./types";

/** Folders NixOS and its programs fill, which others must keep reading. */
export const NIXOS_FILLED: readonly { path: string; why: string }[] = [
  {
    path: "/etc",
    why: "NixOS fills it at every activation and every program reads it",
  },
  {
    path: "/etc/nix",
    why: "it holds nix.conf and the registry, which every user's nix reads (experimental features, substituters)",
  },
  {
    path: "/etc/ssh",
    why: "it holds ssh_config and ssh_known_hosts, which every user's ssh reads",
  },
  {
    path: "/etc/systemd",
    why: "NixOS fills it with the system's units and settings",
  },
  { path: "/var", why: "every service keeps its state below it" },
  { path: "/var/lib", why: "every service keeps its state below it" },
  { path: "/var/cache", why: "every service keeps its caches below it" },
  { path: "/var/log", why: "every service writes its logs below it" },
  { path: "/home", why: "every user's home is below it" },
];

/** The host keys NixOS's default services.openssh.hostKeys makes. */
export const SSH_HOST_KEYS = [
  "/etc/ssh/ssh_host_ed25519_key",
  "/etc/ssh/ssh_host_rsa_key",
] as const;

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function describePerms(p: NonNullable<Persisted["perms"]>): string {
  return [
    p.mode !== undefined ? `mode ${p.mode}` : null,
    p.user !== undefined ? `owner ${p.user}` : null,
    p.group !== undefined ? `group ${p.group}` : null,
  ]
    .filter((x) => x !== null)
    .join(", ");
}

/** No owner or mode on a folder NixOS fills, through a directory entry or a file's parentDirectory. */
export function checkFilledFolders(f: Findings, paths: Persisted[]): void {
  for (const p of paths) {
    if (!p.perms || p.user !== undefined) continue;
    const folder = p.kind === "file" ? parentOf(p.abs) : p.abs;
    const filled = NIXOS_FILLED.find((x) => x.path === folder);
    if (!filled) continue;
    const where = p.kind === "file" ? `${p.at}.parentDirectory` : p.at;
    f.error(
      where,
      p.kind === "file"
        ? `would make impermanence give ${folder} itself ${describePerms(p.perms)} on the running system, but ${filled.why}. Leave parentDirectory out (the folder stays as NixOS makes it), or keep the secret in a folder of its own, as impermanence's README does ("/var/keys/secret_file" with parentDirectory.mode "u=rwx,g=,o=")`
        : `would make impermanence give ${folder} ${describePerms(p.perms)} on the running system, but ${filled.why}: leave the owner and mode out, or persist the folders inside it that need them`,
    );
  }
}

/** Is PATH kept, itself or through a persisted folder? */
function kept(paths: Persisted[], path: string): boolean {
  return paths.some(
    (p) =>
      p.abs === path || (p.kind === "directory" && isAtOrUnder(path, p.abs)),
  );
}

/**
 * SSH host keys: NixOS makes an ed25519 and an RSA key by default; a key
 * that is not persisted is new at every boot, and clients refuse the
 * changed host. Install sets services.openssh.hostKeys to the persisted
 * ones itself (configuration.nix); a conversion or recover cannot, so it
 * warns.
 */
export function checkHostKeys(
  f: Findings,
  d: Design,
  paths: Persisted[],
): void {
  if (d.mode === "install") return;
  const all = paths.filter((p) => p.source === "persistence");
  const missing = SSH_HOST_KEYS.flatMap((k) =>
    [k, `${k}.pub`].filter((x) => !kept(all, x)),
  );
  if (missing.length === 0) return;
  const some = missing.length < 4;
  f.warn(
    "persistence.files",
    some
      ? `persists some SSH host keys but not ${missing.join(", ")}: NixOS's default services.openssh.hostKeys makes an ed25519 and an RSA key, so these are new at every boot and clients refuse the changed host; persist them too (or set services.openssh.hostKeys to the persisted keys only)`
      : 'does not persist the SSH host keys ("/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key" and their .pub): if this system runs sshd, its keys change at every boot and clients refuse the changed host; persist them',
  );
}
