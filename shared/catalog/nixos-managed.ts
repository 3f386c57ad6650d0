// Paths NixOS itself writes at every activation. They are not state to keep:
// persisting them has no effect or fights the activation script. The scanner
// skips them; validation warns when a design persists one.
//
// Sources: nixpkgs nixos/modules/system/etc/etc.nix and setup-etc.pl (the
// /etc/static links, /etc/.clean, /etc/NIXOS), nixos/modules/config/
// update-users-groups.pl (passwd, group, shadow, subuid, subgid rewritten from
// the configuration), nixos/modules/system/activation/activation-script.nix
// (/bin/sh, /usr/bin/env).

export interface ManagedPath {
  path: string;
  why: string;
}

export const NIXOS_MANAGED: readonly ManagedPath[] = [
  {
    path: "/etc",
    why: "NixOS rebuilds /etc from the store at every activation: persisting all of it keeps stale files; persist the folders inside it you need",
  },
  {
    path: "/etc/static",
    why: "it is a link into the current system generation, made at every activation",
  },
  {
    path: "/etc/passwd",
    why: "NixOS rewrites it from users.users at every activation; declare the users in the configuration instead",
  },
  {
    path: "/etc/group",
    why: "NixOS rewrites it from users.groups at every activation; declare the groups in the configuration instead",
  },
  {
    path: "/etc/shadow",
    why: "NixOS rewrites it at every activation (replacing the file breaks a bind mount); declare hashedPassword or hashedPasswordFile instead",
  },
  {
    path: "/etc/subuid",
    why: "NixOS rewrites it at every activation; declare subUidRanges instead",
  },
  {
    path: "/etc/subgid",
    why: "NixOS rewrites it at every activation; declare subGidRanges instead",
  },
  {
    path: "/etc/sudoers",
    why: "it is generated from security.sudo settings at every activation",
  },
  {
    path: "/etc/.clean",
    why: "it is the activation's own record of the files it manages in /etc",
  },
  { path: "/etc/NIXOS", why: "the activation script creates it at every boot" },
  {
    path: "/bin",
    why: "the activation script recreates /bin/sh at every boot",
  },
  {
    path: "/usr",
    why: "the activation script recreates /usr/bin/env at every boot",
  },
];

/** Why NixOS regenerates `path`, or null when it does not. */
export function nixosManaged(path: string): ManagedPath | null {
  return NIXOS_MANAGED.find((m) => m.path === path) ?? null;
}
