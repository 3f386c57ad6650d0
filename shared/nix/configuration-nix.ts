// nixos/configuration.nix (install only): the machine itself. Host name,
// bootloader, platform, stateVersion, flakes, and the users with their
// password hashes (users.mutableUsers is false: see stateless.nix). The
// hardware facts come from hardware-configuration.nix, which the install
// phase writes with nixos-generate-config --no-filesystems.
import { INSTALL_CONFIG_DIR } from "../design/layout";
import { isAtOrUnder } from "../design/paths";
import { SSH_HOST_KEYS } from "../design/persist-checks";
import type { Design, UserDesign } from "../design/types";
import {
  apply,
  attrs,
  bind,
  bool,
  int,
  lambda,
  list,
  path,
  ref,
  str,
  strings,
  type Binding,
  type NixExpr,
} from "./ast";
import { generatedHeader } from "./header";
import { printFile } from "./print";

function userExpr(u: UserDesign): NixExpr {
  const b: Binding[] = [];
  if (u.isNormalUser !== undefined)
    b.push(bind(["isNormalUser"], bool(u.isNormalUser)));
  if (u.isSystemUser !== undefined)
    b.push(bind(["isSystemUser"], bool(u.isSystemUser)));
  if (u.uid !== undefined) b.push(bind(["uid"], int(u.uid)));
  if (u.group !== undefined) b.push(bind(["group"], str(u.group)));
  if (u.extraGroups?.length)
    b.push(bind(["extraGroups"], strings(u.extraGroups)));
  if (u.description !== undefined)
    b.push(bind(["description"], str(u.description)));
  if (u.home !== undefined) b.push(bind(["home"], str(u.home)));
  if (u.hashedPassword !== undefined)
    b.push(bind(["hashedPassword"], str(u.hashedPassword)));
  if (u.hashedPasswordFile !== undefined)
    b.push(bind(["hashedPasswordFile"], str(u.hashedPasswordFile)));
  const keys = u.openssh?.authorizedKeys?.keys;
  if (keys?.length)
    b.push(bind(["openssh", "authorizedKeys", "keys"], strings(keys)));
  return attrs(b);
}

export function configurationExpr(d: Design): NixExpr {
  const disk = d.disk!;
  const b: Binding[] = [
    bind(["imports"], list([path("./hardware-configuration.nix")]), {
      comment: [
        "Written at install time by nixos-generate-config --no-filesystems (filesystems.nix has the mounts).",
      ],
    }),
    bind(["networking", "hostName"], str(d.hostname), { blankBefore: true }),
    bind(["networking", "useDHCP"], apply(ref("lib.mkDefault"), bool(true))),
  ];
  if (disk.bootloader === "systemd-boot")
    b.push(
      bind(["boot", "loader", "systemd-boot", "enable"], bool(true), {
        blankBefore: true,
      }),
      bind(["boot", "loader", "efi", "canTouchEfiVariables"], bool(true)),
    );
  else
    b.push(
      bind(["boot", "loader", "grub", "enable"], bool(true), {
        blankBefore: true,
      }),
      bind(["boot", "loader", "grub", "device"], str(disk.device), {
        comment: [
          "BIOS: grub goes to the disk's boot sector and its BIOS boot partition.",
        ],
      }),
    );
  b.push(
    bind(["nixpkgs", "hostPlatform"], str(d.system), { blankBefore: true }),
    bind(
      ["nix", "settings", "experimental-features"],
      strings(["nix-command", "flakes"]),
      {
        comment: [
          `The system is a flake: rebuild with nixos-rebuild switch --flake ${flakeFolder(d)}#${d.hostname}`,
        ],
      },
    ),
  );
  const users = Object.entries(d.users);
  users.forEach(([name, u], i) =>
    b.push(
      bind(["users", "users", name], userExpr(u), {
        blankBefore: i === 0,
        comment:
          i === 0
            ? [
                "Passwords are hashes: a password set with passwd would be lost at reboot.",
              ]
            : undefined,
      }),
    ),
  );
  Object.entries(d.groups ?? {}).forEach(([name, g], i) =>
    b.push(
      bind(
        ["users", "groups", name],
        g.gid === undefined ? attrs([]) : attrs([bind(["gid"], int(g.gid))]),
        { blankBefore: i === 0 },
      ),
    ),
  );
  if (
    users.some(([, u]) => (u.openssh?.authorizedKeys?.keys?.length ?? 0) > 0)
  ) {
    b.push(
      bind(["services", "openssh", "enable"], bool(true), {
        blankBefore: true,
        comment: [
          "Users have SSH keys, so SSH is on; its host keys should be persisted.",
        ],
      }),
    );
    const keys = persistedHostKeys(d);
    if (keys.length > 0 && keys.length < SSH_HOST_KEYS.length)
      b.push(
        bind(
          ["services", "openssh", "hostKeys"],
          list(
            keys.map((k) =>
              attrs([
                bind(["path"], str(k)),
                bind(["type"], str(k.includes("ed25519") ? "ed25519" : "rsa")),
                ...(k.includes("rsa") ? [bind(["bits"], int(4096))] : []),
              ]),
            ),
          ),
          {
            comment: [
              "Only the persisted host keys: NixOS would also make the others, new at every boot.",
            ],
          },
        ),
      );
  }
  b.push(
    bind(["system", "stateVersion"], str(d.stateVersion), {
      blankBefore: true,
      comment: [
        "The release this system was first installed with; keep it when upgrading.",
      ],
    }),
  );
  return lambda(["lib"], attrs(b));
}

/** The host keys of SSH_HOST_KEYS the design persists (as files, or through /etc/ssh). */
function persistedHostKeys(d: Design): string[] {
  const p = d.persistence;
  const dirs = p.directories.map((e) =>
    typeof e === "string" ? e : e.directory,
  );
  const files = p.files.map((e) => (typeof e === "string" ? e : e.file));
  return SSH_HOST_KEYS.filter(
    (k) => files.includes(k) || dirs.some((x) => isAtOrUnder(k, x)),
  );
}

/** Where the flake is on the installed system: /etc/nixos when persisted, else in the storage. */
function flakeFolder(d: Design): string {
  const dirs = d.persistence.directories.map((e) =>
    typeof e === "string" ? e : e.directory,
  );
  return dirs.some((x) => isAtOrUnder(INSTALL_CONFIG_DIR, x))
    ? INSTALL_CONFIG_DIR
    : `${d.persistence.storage}${INSTALL_CONFIG_DIR}`;
}

export function configurationNix(d: Design): string {
  return printFile(generatedHeader(d), configurationExpr(d));
}
