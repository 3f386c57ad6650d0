// A synthetic NixOS root for the migrate tests and benchmark: a real Nix store
// (registered with nix-bin), /etc links into it, homes, service state,
// hostile names, symlinks, hardlinks, a fifo, xattrs, an ACL, owners and modes.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  lchownSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Design } from "../../shared/design/types";
import { convertDesign } from "./designs";

/** Names that break careless scripts: spaces, quotes, `$`, newlines, unicode, leading dashes, globs. */
export const HOSTILE_NAMES = [
  "-rf",
  "new\nline",
  "it's",
  "ünïcødé ☃",
  "$HOME",
  "--",
  "a b",
  'say "hi"',
  "trailing-newline\n",
  "*",
  "back\\slash",
  " leading space",
];

/** The persisted directory with a hostile name (no newline: designs refuse those). */
export const HOSTILE_PERSISTED = "/srv/-we ird $x 'q\" ünï";

export interface OldRoot {
  dir: string;
  /** Store paths registered in nix/store (names under /nix/store). */
  storePaths: string[];
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8" });
}

function dir(path: string, mode: number, uid = 0, gid = 0): void {
  mkdirSync(path, { recursive: true });
  lchownSync(path, uid, gid);
  chmodSync(path, mode);
}

function file(path: string, content: string, mode = 0o644, uid = 0, gid = 0) {
  writeFileSync(path, content);
  lchownSync(path, uid, gid);
  chmodSync(path, mode);
}

/** The convert design matching the synthetic root. */
export function oldRootDesign(): Design {
  const base = convertDesign();
  return {
    ...base,
    persistence: {
      ...base.persistence,
      directories: [
        "/etc/nixos",
        "/var/log",
        "/var/log/journal",
        "/var/lib/nixos",
        "/var/lib/postgresql",
        "/var/lib/bluetooth",
        HOSTILE_PERSISTED,
      ],
      files: [
        "/etc/machine-id",
        "/etc/ssh/ssh_host_ed25519_key",
        "/etc/localtime",
      ],
      users: {
        mira: {
          directories: ["Documents", ".ssh"],
          files: [".bash_history"],
        },
      },
    },
  };
}

/**
 * Builds the old root under `parent`; `extra` adds bulk data (benchmark).
 * `migrationJson` is written to .tabula/migration.json when given.
 */
export function buildOldRoot(
  parent: string,
  options: {
    migrationJson?: string;
    topLevelHostile?: number;
    /** Build the root in this folder itself (a filesystem's top) instead of PARENT/root. */
    rootDir?: string;
  } = {},
): OldRoot {
  const root = options.rootDir ?? join(parent, "root");
  dir(root, 0o755);

  // A real store: a few paths added with nix-store --store, db and all.
  const staging = mkdtempSync(join(parent, "staging-"));
  mkdirSync(join(staging, "etc/ssh"), { recursive: true });
  writeFileSync(join(staging, "etc/hostname"), "tern\n");
  writeFileSync(join(staging, "etc/ssh/sshd_config"), "PermitRootLogin no\n");
  symlinkSync("hostname", join(staging, "etc/hostname-link"));
  mkdirSync(join(staging, "bash/bin"), { recursive: true });
  writeFileSync(join(staging, "bash/bin/sh"), "#!/bin/sh\necho fake shell\n");
  chmodSync(join(staging, "bash/bin/sh"), 0o755);
  writeFileSync(join(staging, "zoneinfo"), "TZif2 not really\n");
  const added = run("nix-store", [
    "--store",
    root,
    "--add",
    join(staging, "etc"),
    join(staging, "bash"),
    join(staging, "zoneinfo"),
  ])
    .trim()
    .split("\n");
  rmSync(staging, { recursive: true, force: true });
  const [etcPath, bashPath, zonePath] = added as [string, string, string];

  // The system profile the bootloader is installed from (a stand-in store
  // path: the shape matters here, not a bootable system).
  const profiles = join(root, "nix/var/nix/profiles");
  mkdirSync(profiles, { recursive: true });
  symlinkSync(bashPath, join(profiles, "system-1-link"));
  symlinkSync("system-1-link", join(profiles, "system"));

  // /etc: links into the store, regenerated files, persisted files.
  const etc = join(root, "etc");
  dir(etc, 0o755);
  file(join(etc, "NIXOS"), "");
  symlinkSync(etcPath, join(etc, "static"));
  symlinkSync("/etc/static/hostname", join(etc, "hostname"));
  file(
    join(etc, "passwd"),
    "root:x:0:0::/root:/bin/sh\nmira:x:1000:100::/home/mira:/bin/sh\n",
  );
  file(join(etc, "shadow"), "root:!:1::::::\n", 0o640, 0, 42);
  file(join(etc, "machine-id"), "0123456789abcdef0123456789abcdef\n", 0o444);
  symlinkSync(zonePath, join(etc, "localtime"));
  dir(join(etc, "ssh"), 0o711);
  symlinkSync("/etc/static/ssh/sshd_config", join(etc, "ssh/sshd_config"));
  file(join(etc, "ssh/ssh_host_ed25519_key"), "PRIVATE KEY\n", 0o600);
  file(join(etc, "ssh/ssh_host_ed25519_key.pub"), "ssh-ed25519 AAAA\n");
  dir(join(etc, "nixos"), 0o755);
  file(join(etc, "nixos/flake.nix"), "{ outputs = _: { }; }\n");
  file(join(etc, "nixos/configuration.nix"), "{ ... }: { }\n");

  // /var: service state with its own owner, a fifo, nested persisted paths.
  const varDir = join(root, "var");
  dir(varDir, 0o755);
  dir(join(varDir, "lib"), 0o755);
  dir(join(varDir, "lib/nixos"), 0o755);
  file(join(varDir, "lib/nixos/uid-map"), '{"mira":1000}\n');
  dir(join(varDir, "lib/postgresql"), 0o750, 71, 71);
  dir(join(varDir, "lib/postgresql/16"), 0o700, 71, 71);
  file(join(varDir, "lib/postgresql/16/PG_VERSION"), "16\n", 0o600, 71, 71);
  run("mkfifo", ["-m", "0600", join(varDir, "lib/postgresql/16/.s.fifo")]);
  lchownSync(join(varDir, "lib/postgresql/16/.s.fifo"), 71, 71);
  dir(join(varDir, "log"), 0o755);
  dir(join(varDir, "log/journal"), 0o2755, 0, 190);
  file(join(varDir, "log/journal/system.journal"), "journal\n", 0o640, 0, 190);
  file(join(varDir, "log/messages"), "old messages\n");
  dir(join(varDir, "cache/nix"), 0o755);
  file(join(varDir, "cache/nix/binary-cache-v6.sqlite"), "cache\n");
  dir(join(varDir, "tmp"), 0o1777);
  dir(join(varDir, "lib/docker"), 0o710);
  file(join(varDir, "lib/docker/engine-id"), "docker\n", 0o600);

  // Homes: a user's home with persisted and quarantined parts, a hardlink
  // across the two, xattrs, an ACL and hostile names.
  dir(join(root, "home"), 0o755);
  const mira = join(root, "home/mira");
  dir(mira, 0o700, 1000, 100);
  dir(join(mira, "Documents"), 0o755, 1000, 100);
  dir(join(mira, "Downloads"), 0o755, 1000, 100);
  dir(join(mira, ".ssh"), 0o700, 1000, 100);
  file(
    join(mira, ".ssh/authorized_keys"),
    "ssh-ed25519 AAAA mira\n",
    0o600,
    1000,
    100,
  );
  file(join(mira, ".bash_history"), "ls\n", 0o600, 1000, 100);
  file(join(mira, "Documents/report.txt"), "quarterly\n", 0o644, 1000, 100);
  linkSync(
    join(mira, "Documents/report.txt"),
    join(mira, "Downloads/report-link.txt"),
  );
  file(join(mira, "Downloads/big.iso"), "iso".repeat(1000), 0o644, 1000, 100);
  run("setfattr", [
    "-n",
    "user.tabula",
    "-v",
    "kept",
    join(mira, "Documents/report.txt"),
  ]);
  run("setfattr", [
    "-n",
    "user.origin",
    "-v",
    "web",
    join(mira, "Downloads/big.iso"),
  ]);
  run("setfacl", ["-m", "u:1001:rx", join(mira, "Documents")]);
  const topLevel = options.topLevelHostile ?? HOSTILE_NAMES.length;
  for (const [i, name] of HOSTILE_NAMES.entries()) {
    file(join(mira, "Documents", name), `document ${i}\n`, 0o644, 1000, 100);
    file(join(mira, "Downloads", name), `download ${i}\n`, 0o644, 1000, 100);
    if (i < topLevel) file(join(root, name), `top ${i}\n`);
  }
  symlinkSync("Documents/report.txt", join(mira, "latest"));
  symlinkSync("../../nowhere", join(mira, "Documents/dangling"));
  dir(join(root, "root"), 0o700);
  file(join(root, "root/.profile"), "export A=1\n");

  // /srv with its own owner and mode, holding a persisted hostile name.
  dir(join(root, "srv"), 0o750, 5, 5);
  const hostile = join(root, HOSTILE_PERSISTED.slice(1));
  dir(hostile, 0o700, 1000, 100);
  file(join(hostile, "data"), "precious\n", 0o600, 1000, 100);
  dir(join(root, "srv/public"), 0o755);

  // Everything else a NixOS root has.
  dir(join(root, "tmp"), 0o1777);
  run("mkfifo", ["-m", "0666", join(root, "tmp/fifo")]);
  dir(join(root, "bin"), 0o755);
  symlinkSync(`${bashPath}/bin/sh`, join(root, "bin/sh"));
  dir(join(root, "usr/bin"), 0o755);
  symlinkSync(`${bashPath}/bin/sh`, join(root, "usr/bin/env"));
  for (const empty of ["boot", "dev", "proc", "sys", "run", "mnt"])
    dir(join(root, empty), 0o755);
  symlinkSync("/nix/var/nix/profiles/system", join(root, "run/current-system"));
  file(join(root, ".hidden-top"), "dotfile\n");
  dir(join(root, ".tabula"), 0o700);
  if (options.migrationJson !== undefined)
    file(join(root, ".tabula/migration.json"), options.migrationJson, 0o600);

  return {
    dir: root,
    storePaths: readdirSync(join(root, "nix/store")).filter(
      (n) => n !== ".links",
    ),
  };
}
