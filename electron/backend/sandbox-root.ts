// The sandbox machine's root filesystem: a folder that looks like the root
// partition of a NixOS install that has been used for a while. The scanner
// reads it as the live system; the migrate phase can really move files in it
// (it is the sandbox's "/dev/nvme0n1p2"). Names are hostile on purpose
// (newlines, spaces, leading dashes, quotes, $(...), unicode) so every flow
// shows how it copes.
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

/** Store paths of the pretend system (they exist inside the root's nix/store). */
export const SANDBOX_STORE = {
  etc: "/nix/store/7q2yjz0x3bv3v1m0cqkk3vz2sh0n6d1w-etc",
  system: "/nix/store/f4n3b1h9qkqyqd8b7a6g5vz2x1c0m9l8-nixos-system-tern-25.05",
  coreutils: "/nix/store/0p3rkc9m1qk6b6x0v2sz9bd4q8y1s7a2-coreutils-9.5",
  bash: "/nix/store/5w1j2k3l4m5n6p7q8r9s0t1u2v3w4x5y-bash-interactive-5.2p37",
  homeFiles: "/nix/store/9a8b7c6d5e4f3g2h1i0j9k8l7m6n5o4p-home-manager-files",
} as const;

export const SANDBOX_HOSTNAME = "tern";
export const SANDBOX_USER = "alice";

/** Files under the root whose names are made to break naive tools. */
export const HOSTILE_NAMES = [
  "line\nbreak.txt",
  "-rf --no-preserve-root",
  "$(echo pwned)",
  'quote\'s "double".md',
  "ünïcødé ✓ 文件.txt",
  "trailing space ",
  "tab\tseparated",
] as const;

// A fixed date so sizes and "newest" look the same in every sandbox.
const OLD = new Date("2025-03-01T09:00:00Z");
const RECENT = new Date("2025-11-20T18:30:00Z");

export interface SandboxRootLayout {
  root: string;
  /** Paths (as seen on the live system) the scanner must report. */
  state: string[];
}

/** Creates the pretend root partition in `root` (which must not exist or be empty). */
export function createSandboxRoot(root: string): SandboxRootLayout {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const file = (rel: string, content: string | Buffer, mode = 0o644) => {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode });
    utimesSync(path, OLD, OLD);
    return path;
  };
  const link = (rel: string, target: string) => {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(target, path);
  };
  // The mode is the folder's own: its parents are made with the default one
  // (a recursive mkdir would give them 0555 too, and then nobody but root
  // could make the folder inside).
  const dir = (rel: string, mode = 0o755) => {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    mkdirSync(path, { recursive: true });
    chmodSync(path, mode);
  };

  // The Nix store and the system profile (kept: /nix is never lost).
  const storeFile = (storePath: string, rel: string, content: string) =>
    file(join(storePath.slice(1), rel), content);
  storeFile(SANDBOX_STORE.etc, "etc/hostname", `${SANDBOX_HOSTNAME}\n`);
  storeFile(SANDBOX_STORE.etc, "etc/os-release", 'ID=nixos\nVARIANT_ID=""\n');
  storeFile(SANDBOX_STORE.etc, "etc/ssh/ssh_config", "Host *\n");
  storeFile(
    SANDBOX_STORE.etc,
    "etc/nix/nix.conf",
    "experimental-features = nix-command flakes\n",
  );
  storeFile(
    SANDBOX_STORE.etc,
    "etc/sudoers",
    "root ALL=(ALL:ALL) SETENV: ALL\n",
  );
  storeFile(SANDBOX_STORE.coreutils, "bin/env", "#!/bin/sh\n");
  storeFile(SANDBOX_STORE.bash, "bin/sh", "#!/bin/sh\n");
  storeFile(SANDBOX_STORE.system, "nixos-version", "25.05\n");
  storeFile(
    SANDBOX_STORE.homeFiles,
    ".config/git/config",
    "[user]\n\tname = Alice\n",
  );
  dir("nix/var/nix/profiles");
  link("nix/var/nix/profiles/system", SANDBOX_STORE.system);

  // /etc as NixOS leaves it: links into /etc/static, copied files listed in
  // /etc/.clean, the files activation regenerates, and real state.
  link("etc/static", `${SANDBOX_STORE.etc}/etc`);
  link("etc/hostname", "/etc/static/hostname");
  link("etc/os-release", "/etc/static/os-release");
  link("etc/ssh/ssh_config", "/etc/static/ssh/ssh_config");
  link("etc/nix/nix.conf", "/etc/static/nix/nix.conf");
  link("etc/mtab", "/proc/mounts");
  file("etc/sudoers", "root ALL=(ALL:ALL) SETENV: ALL\n", 0o440);
  file("etc/.clean", "mtab\nsudoers\n");
  file("etc/NIXOS", "");
  file(
    "etc/passwd",
    `root:x:0:0:System administrator:/root:/run/current-system/sw/bin/bash\n${SANDBOX_USER}:x:1000:100::/home/${SANDBOX_USER}:/run/current-system/sw/bin/bash\n`,
  );
  file("etc/group", "root:x:0:\nusers:x:100:\n");
  file(
    "etc/shadow",
    `root:!:1::::::\n${SANDBOX_USER}:$y$j9T$sandbox$hash:1::::::\n`,
    0o640,
  );
  file("etc/subuid", `${SANDBOX_USER}:100000:65536\n`);
  file("etc/subgid", `${SANDBOX_USER}:100000:65536\n`);
  file("etc/machine-id", "4f7c1c2e9d8b4a6f8e2d1c0b9a8f7e6d\n", 0o444);
  file("etc/adjtime", "0.0 0 0.0\n0\nUTC\n");
  file(
    "etc/ssh/ssh_host_ed25519_key",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nsandbox\n-----END OPENSSH PRIVATE KEY-----\n",
    0o600,
  );
  file(
    "etc/ssh/ssh_host_ed25519_key.pub",
    "ssh-ed25519 AAAAC3NzaC1sandbox root@tern\n",
  );
  file(
    "etc/ssh/ssh_host_rsa_key",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nsandbox-rsa\n-----END OPENSSH PRIVATE KEY-----\n",
    0o600,
  );
  file("etc/ssh/ssh_host_rsa_key.pub", "ssh-rsa AAAAB3Nzasandbox root@tern\n");
  file(
    "etc/nixos/flake.nix",
    `{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n  outputs = { nixpkgs, ... }: {\n    nixosConfigurations.${SANDBOX_HOSTNAME} = nixpkgs.lib.nixosSystem {\n      system = "x86_64-linux";\n      modules = [ ./configuration.nix ];\n    };\n  };\n}\n`,
  );
  file(
    "etc/nixos/configuration.nix",
    `{ ... }: {\n  imports = [ ./hardware-configuration.nix ];\n  networking.hostName = "${SANDBOX_HOSTNAME}";\n  system.stateVersion = "25.05";\n}\n`,
  );
  file(
    "etc/nixos/hardware-configuration.nix",
    `{ ... }: {\n  fileSystems."/" = { device = "/dev/disk/by-uuid/3f1b6c2e-8d4a-4e0b-9f6a-2c5d7e8f9a01"; fsType = "ext4"; };\n  fileSystems."/boot" = { device = "/dev/disk/by-uuid/A1B2-C3D4"; fsType = "vfat"; };\n}\n`,
  );
  file(
    "etc/nixos/flake.lock",
    '{ "nodes": {}, "root": "root", "version": 7 }\n',
  );
  file(
    "etc/NetworkManager/system-connections/Home WiFi.nmconnection",
    "[connection]\nid=Home WiFi\ntype=wifi\n",
    0o600,
  );

  // /var: state services keep, plus what activation recreates.
  dir("var/empty", 0o555);
  file("var/lib/nixos/uid-map", `{"${SANDBOX_USER}":1000}`);
  file("var/lib/nixos/gid-map", '{"users":100}');
  file("var/lib/nixos/declarative-users", `root ${SANDBOX_USER}`);
  file("var/lib/nixos/declarative-groups", "root users");
  file("var/lib/systemd/random-seed", Buffer.alloc(512, 7), 0o600);
  file("var/lib/systemd/timers/stamp-nix-gc.timer", "");
  file("var/lib/docker/volumes/pg/_data/PG_VERSION", "16\n");
  file(
    "var/lib/docker/image/overlay2/repositories.json",
    '{"Repositories":{}}',
  );
  file("var/lib/docker/overlay2/l/ABCDEF", Buffer.alloc(48 * 1024, 1));
  file("var/lib/postgresql/16/base/1/1259", Buffer.alloc(64 * 1024, 2), 0o600);
  file("var/lib/postgresql/16/postgresql.auto.conf", "# Do not edit\n", 0o600);
  file("var/lib/private/syncthing/config.xml", "<configuration/>\n", 0o600);
  file(
    "var/log/journal/4f7c1c2e9d8b4a6f8e2d1c0b9a8f7e6d/system.journal",
    Buffer.alloc(32 * 1024, 3),
    0o640,
  );
  file(
    "var/log/nginx/access.log",
    '127.0.0.1 - - [20/Nov/2025] "GET / HTTP/1.1" 200\n',
  );
  file("var/cache/nix/fetcher-cache-v1.sqlite", Buffer.alloc(8 * 1024, 4));

  // Homes: a real user's mess, a home-manager link into the store, the
  // hostile names, and a hard link (counted once).
  const home = `home/${SANDBOX_USER}`;
  dir(home, 0o700);
  file(`${home}/.bashrc`, "export EDITOR=vim\n");
  file(`${home}/.bash_history`, "ls\nsudo nixos-rebuild switch\n", 0o600);
  file(
    `${home}/.ssh/id_ed25519`,
    "-----BEGIN OPENSSH PRIVATE KEY-----\nalice\n-----END OPENSSH PRIVATE KEY-----\n",
    0o600,
  );
  file(`${home}/.ssh/id_ed25519.pub`, "ssh-ed25519 AAAAalice alice@tern\n");
  file(`${home}/.ssh/known_hosts`, "github.com ssh-ed25519 AAAA\n");
  link(
    `${home}/.config/git/config`,
    `${SANDBOX_STORE.homeFiles}/.config/git/config`,
  );
  file(
    `${home}/.config/Code/User/settings.json`,
    '{ "editor.fontSize": 14 }\n',
  );
  file(
    `${home}/.mozilla/firefox/abcd.default/places.sqlite`,
    Buffer.alloc(24 * 1024, 5),
  );
  const report = file(
    `${home}/Documents/report.pdf`,
    Buffer.alloc(40 * 1024, 6),
  );
  linkSync(report, join(root, home, "Documents/report (hard link).pdf"));
  file(`${home}/Documents/notes.md`, "# Notes\n");
  for (const name of HOSTILE_NAMES)
    file(`${home}/Documents/odd names/${name}`, `${name}\n`);
  file(`${home}/projects/tabula/README.md`, "# tabula\n");
  file("root/.bash_history", "nixos-rebuild boot\n", 0o600);
  file("srv/www/index.html", "<h1>tern</h1>\n");

  // Links NixOS creates outside /etc, and scratch in /tmp.
  link("bin/sh", `${SANDBOX_STORE.bash}/bin/sh`);
  link("usr/bin/env", `${SANDBOX_STORE.coreutils}/bin/env`);
  file(
    "tmp/nix-build-hello-1.drv-0/env-vars",
    "declare -x out=/nix/store/...\n",
  );
  file("tmp/.X11-unix/X0", "");
  dir("proc");
  dir("sys");
  dir("dev");
  dir("run");
  dir("mnt");

  // Folders as old as their files, and one file edited "recently": the
  // newest change the scanner reports.
  ageFolders(root);
  const notes = join(root, home, "Documents/notes.md");
  utimesSync(notes, RECENT, RECENT);

  return {
    root,
    state: [
      "/etc/machine-id",
      "/etc/adjtime",
      "/etc/ssh/ssh_host_ed25519_key",
      "/etc/ssh/ssh_host_ed25519_key.pub",
      "/etc/ssh/ssh_host_rsa_key",
      "/etc/ssh/ssh_host_rsa_key.pub",
      "/etc/nixos",
      "/etc/NetworkManager",
      "/var/lib/nixos",
      "/var/lib/systemd",
      "/var/lib/docker",
      "/var/lib/postgresql",
      "/var/lib/private",
      "/var/log/journal",
      "/var/log/nginx",
      "/var/cache/nix",
      `/home/${SANDBOX_USER}/.bashrc`,
      `/home/${SANDBOX_USER}/.bash_history`,
      `/home/${SANDBOX_USER}/.ssh`,
      `/home/${SANDBOX_USER}/.config/Code`,
      `/home/${SANDBOX_USER}/.mozilla`,
      `/home/${SANDBOX_USER}/Documents`,
      `/home/${SANDBOX_USER}/projects`,
      "/root",
      "/srv/www",
    ],
  };
}

/** Sets every folder's times to the sandbox's "old" date, so listings look the same each time. */
export function ageFolders(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) ageFolders(join(dir, entry.name));
  }
  utimesSync(dir, OLD, OLD);
}
