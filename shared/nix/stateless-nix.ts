// nixos/stateless.nix: what makes the system stateless.
// - "/" is a tmpfs with mode=755 (the default 1777 makes sshd refuse key
//   logins: "bad ownership or modes for directory /") and the designed size.
//   A conversion overrides the old root that hardware-configuration.nix
//   declares, hence lib.mkForce there.
// - The reference article's nix-daemon fix: builds use /var/cache/nix instead
//   of the tmpfs, and root's nix commands go through the daemon.
// - Install: users.mutableUsers = false, since /etc/shadow is rebuilt from the
//   configuration at every boot anyway. Convert: password hashes given in the
//   design are declared here so they survive the tmpfs root.
// Facts: docs (FACTS.md, "NixOS on a tmpfs root").
import { NIX_DAEMON_TMPDIR } from "../design/layout";
import type { Design } from "../design/types";
import {
  apply,
  attrs,
  bind,
  bool,
  lambda,
  ref,
  str,
  strings,
  type Binding,
  type NixExpr,
} from "./ast";
import { generatedHeader } from "./header";
import { printFile } from "./print";

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
    bind(
      ["systemd", "services", "nix-daemon"],
      attrs([
        bind(["environment", "TMPDIR"], str(NIX_DAEMON_TMPDIR)),
        bind(["serviceConfig", "CacheDirectory"], str("nix")),
      ]),
      {
        blankBefore: true,
        comment: [
          `Builds run in the daemon's TMPDIR: keep them in ${NIX_DAEMON_TMPDIR}, not in RAM on the tmpfs root.`,
        ],
      },
    ),
    bind(["environment", "variables", "NIX_REMOTE"], str("daemon"), {
      comment: [
        "root's nix commands go through the daemon too, so they build there as well.",
      ],
    }),
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
  const body = attrs(b);
  return forced ? lambda(["lib"], body) : body;
}

export function statelessNix(d: Design): string {
  return printFile(generatedHeader(d), statelessExpr(d));
}
