// Fixed places of a stateless system that several streams agree on.

/** Default persistent storage: a folder on the /nix filesystem (needed for boot by NixOS itself). */
export const DEFAULT_STORAGE = "/nix/persistent";

/** Where an install keeps its flake, bind-mounted from persistent storage. */
export const INSTALL_CONFIG_DIR = "/etc/nixos";

/** Written by the install phase (nixos-generate-config --no-filesystems --show-hardware-config), imported by configuration.nix. */
export const HARDWARE_CONFIG_FILE = "nixos/hardware-configuration.nix";

/** Where Nix 2.30 and later build by default: on the /nix partition. */
export const NIX_BUILD_DIR = "/nix/var/nix/builds";

/** The Nix daemon's build folder after the reference article's TMPDIR fix (Nix before 2.30). */
export const NIX_DAEMON_TMPDIR = "/var/cache/nix";

/** The only filesystem on disk in a stateless system; everything persistent lives under it. */
export const NIX_MOUNT = "/nix";

/** Paths a design may never persist (they are mounts, virtual, or the storage itself). */
export const NEVER_PERSISTED: readonly string[] = [
  "/nix",
  "/boot",
  "/proc",
  "/sys",
  "/dev",
  "/run",
];
