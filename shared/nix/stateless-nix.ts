// nixos/stateless.nix: what makes the system stateless.
// - "/" is a tmpfs with mode=755 (the default 1777 makes sshd refuse key
//   logins: "bad ownership or modes for directory /") and the designed size.
//   A conversion overrides the old root that hardware-configuration.nix
//   declares, hence lib.mkForce there.
// - Build space on disk for the Nix the configuration ships (buildSpace
//   below): build-dir on Nix 2.30+, else the reference article's nix-daemon
//   TMPDIR fix with root's commands going through the daemon.
// - Install: users.mutableUsers = false, since /etc/shadow is rebuilt from the
//   configuration at every boot anyway. Convert: password hashes given in the
//   design are declared here so they survive the tmpfs root.
// Facts: docs (FACTS.md, "NixOS on a tmpfs root").
import { NIX_BUILD_DIR, NIX_DAEMON_TMPDIR } from "../design/layout";
import type { Design } from "../design/types";
import {
  apply,
  attrs,
  bind,
  bool,
  lambda,
  letIn,
  not,
  op,
  ref,
  str,
  strings,
  type Binding,
  type NixExpr,
} from "./ast";
import { generatedHeader } from "./header";
import { printFile } from "./print";

/** The first Nix whose builds all go to `build-dir` (before it, TMPDIR decides). */
export const BUILD_DIR_SINCE = "2.30";

export function rootFileSystem(size: string): NixExpr {
  return attrs([
    bind(["device"], str("tmpfs")),
    bind(["fsType"], str("tmpfs")),
    bind(["options"], strings(["defaults", `size=${size}`, "mode=755"])),
  ]);
}

export function statelessExpr(d: Design): NixExpr {
  const forced = d.mode !== "install";
  const root = rootFileSystem(d.root.size);
  const b: Binding[] = [
    bind(
      ["fileSystems", "/"],
      forced ? apply(ref("lib.mkForce"), root) : root,
      {
        comment: forced
          ? [
              "/ is a tmpfs, empty at every boot. mkForce replaces the old root that hardware-configuration.nix declares.",
              "mode=755: with tmpfs's default 1777, sshd refuses key logins.",
            ]
          : [
              "/ is a tmpfs, empty at every boot.",
              "mode=755: with tmpfs's default 1777, sshd refuses key logins.",
            ],
      },
    ),
    ...buildSpace(),
  ];
  if (d.mode === "install")
    b.push(
      bind(["users", "mutableUsers"], bool(false), {
        blankBefore: true,
        comment: [
          "/etc/shadow is on the tmpfs: passwords come from the configuration only (hashedPassword, hashedPasswordFile).",
        ],
      }),
    );
  else {
    // Tabula does not redeclare the users of an existing configuration; it
    // only makes the password hashes given in the design survive reboots.
    let first = true;
    for (const [name, u] of Object.entries(d.users)) {
      const value =
        u.hashedPasswordFile !== undefined
          ? bind(
              ["users", "users", name, "hashedPasswordFile"],
              str(u.hashedPasswordFile),
            )
          : u.hashedPassword !== undefined
            ? bind(
                ["users", "users", name, "hashedPassword"],
                str(u.hashedPassword),
              )
            : null;
      if (!value) continue;
      if (first)
        Object.assign(value, {
          blankBefore: true,
          comment: [
            "/etc/shadow is on the tmpfs: a password set with passwd is lost at reboot, so declare its hash.",
          ],
        });
      first = false;
      b.push(value);
    }
  }
  return lambda(
    ["config", "lib"],
    letIn(
      [
        bind(["nixPackage"], ref("config.nix.package")),
        bind(
          ["buildDirSetting"],
          op(
            op(apply(ref("lib.getName"), ref("nixPackage")), "==", str("nix")),
            "&&",
            apply(
              ref("lib.versionAtLeast"),
              apply(ref("lib.getVersion"), ref("nixPackage")),
              str(BUILD_DIR_SINCE),
            ),
          ),
          {
            comment: [
              `Nix ${BUILD_DIR_SINCE} and later build in the build-dir setting, for root and the daemon alike;`,
              "older Nix, and its forks (Lix), build in the TMPDIR of whoever builds.",
            ],
          },
        ),
      ],
      attrs(b),
    ),
  );
}

/**
 * Where Nix builds: on disk, never in RAM on the tmpfs root, whichever Nix
 * the configuration's nixpkgs ships (FACTS, "NixOS on a tmpfs root"):
 * - Nix >= 2.30 builds in `build-dir` (default /nix/var/nix/builds, on the
 *   /nix partition) for the daemon and for root's local builds alike; it is
 *   named here with mkDefault so that a user's own build-dir wins. The
 *   setting is only written where Nix knows it: nix.conf is checked at build
 *   time and an unknown setting fails the build.
 * - Older Nix builds in the builder's TMPDIR: the daemon's is moved to
 *   /var/cache/nix (the reference article's fix, persisted by every preset),
 *   and root's nix commands go through the daemon (NIX_REMOTE), which only
 *   reaches `sudo nixos-rebuild` when sudo keeps it: sudo resets the
 *   environment otherwise.
 * The daemon's TMPDIR stays in both: it also holds the daemon's other
 * temporary files (unpacked downloads).
 */
function buildSpace(): Binding[] {
  const older = not(ref("buildDirSetting"));
  const keep = "Defaults env_keep+=NIX_REMOTE";
  return [
    bind(
      ["nix", "settings", "build-dir"],
      apply(
        ref("lib.mkIf"),
        ref("buildDirSetting"),
        apply(ref("lib.mkDefault"), str(NIX_BUILD_DIR)),
      ),
      {
        blankBefore: true,
        comment: [
          `Where Nix builds: on disk, never in RAM on the tmpfs root. Nix ${BUILD_DIR_SINCE}+: in build-dir, on the /nix partition.`,
        ],
      },
    ),
    bind(
      ["systemd", "services", "nix-daemon"],
      attrs([
        bind(
          ["environment", "TMPDIR"],
          apply(ref("lib.mkDefault"), str(NIX_DAEMON_TMPDIR)),
        ),
        bind(["serviceConfig", "CacheDirectory"], str("nix")),
      ]),
      {
        comment: [
          `Older Nix: the daemon builds in its TMPDIR, ${NIX_DAEMON_TMPDIR}, on disk when persisted; it also keeps other temporary files there.`,
        ],
      },
    ),
    bind(
      ["environment", "variables", "NIX_REMOTE"],
      apply(ref("lib.mkIf"), older, str("daemon")),
      {
        comment: [
          "... and root's nix commands go through the daemon, sudo nixos-rebuild too (sudo would drop NIX_REMOTE).",
        ],
      },
    ),
    bind(
      ["security", "sudo", "extraConfig"],
      apply(ref("lib.mkIf"), older, str(keep)),
    ),
    bind(
      ["security", "sudo-rs", "extraConfig"],
      apply(ref("lib.mkIf"), older, str(keep)),
    ),
  ];
}

export function statelessNix(d: Design): string {
  return printFile(generatedHeader(d), statelessExpr(d));
}
