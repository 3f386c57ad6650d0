// Sample designs for the plan and step-script tests: valid and normalized, as
// the design stream's normalizer returns them.
import type { Design } from "../../shared/design/types";

export function installDesign(overrides: Partial<Design> = {}): Design {
  return {
    format: "tabula/1",
    mode: "install",
    hostname: "orchid",
    system: "x86_64-linux",
    stateVersion: "25.11",
    root: { size: "2G" },
    disk: {
      device: "/dev/nvme0n1",
      bootloader: "systemd-boot",
      esp: { size: "1G" },
      swap: { size: "8G" },
      encrypt: true,
      nix: { fsType: "btrfs", options: ["compress-force=zstd", "noatime"] },
    },
    persistence: {
      storage: "/nix/persistent",
      hideMounts: true,
      directories: [
        "/etc/nixos",
        "/var/log",
        "/var/lib/nixos",
        {
          directory: "/var/lib/colord",
          user: "colord",
          group: "colord",
          mode: "u=rwx,g=rx,o=",
        },
        { directory: "/var/lib/private", mode: "0700" },
      ],
      files: ["/etc/machine-id"],
      users: {
        mira: {
          directories: ["Documents", { directory: ".ssh", mode: "0700" }],
          files: [".bash_history"],
        },
      },
    },
    users: {
      mira: {
        uid: 1000,
        isNormalUser: true,
        extraGroups: ["wheel"],
        hashedPassword:
          "$6$salt$24jUHmFtQKZP7P1VIfr/fxtlXI3JsOViYY2veNQZK2rKcAGlVTM0qAjvxFBtPO8Pf65zlvRqaP3rs8Q.dtesI1",
      },
    },
    ...overrides,
  };
}

export function convertDesign(overrides: Partial<Design> = {}): Design {
  return {
    format: "tabula/1",
    mode: "convert",
    hostname: "tern",
    system: "x86_64-linux",
    stateVersion: "25.11",
    root: { size: "2G" },
    convert: {
      device: "/dev/disk/by-uuid/0b5d1e7c-1111-4222-8333-944445555666",
      fsType: "btrfs",
      options: ["subvol=@", "compress=zstd"],
      configDir: "/etc/nixos",
      flakeAttr: "tern",
      boot: {
        device: "/dev/disk/by-uuid/ABCD-1234",
        fsType: "vfat",
        options: ["umask=0077"],
      },
      bootloader: "systemd-boot",
    },
    persistence: {
      storage: "/nix/persistent",
      hideMounts: true,
      directories: [
        "/etc/nixos",
        "/var/log",
        "/var/lib/nixos",
        "/var/lib/postgresql",
      ],
      files: ["/etc/machine-id", "/etc/ssh/ssh_host_ed25519_key"],
      users: {
        mira: {
          directories: ["Documents", ".ssh"],
          files: [".bash_history"],
        },
      },
    },
    users: { mira: { uid: 1000, isNormalUser: true } },
    ...overrides,
  };
}

export function recoverDesign(
  from: "live" | "old-root",
  overrides: Partial<Design> = {},
): Design {
  return {
    format: "tabula/1",
    mode: "recover",
    hostname: "tern",
    system: "x86_64-linux",
    stateVersion: "25.11",
    root: { size: "2G" },
    recover: {
      from,
      nix: {
        device: "/dev/disk/by-uuid/0b5d1e7c-1111-4222-8333-944445555666",
        fsType: "btrfs",
        options: ["subvol=@"],
      },
      configDir: "/etc/nixos",
      flakeAttr: "tern",
      boot: {
        device: "/dev/disk/by-uuid/ABCD-1234",
        fsType: "vfat",
        options: ["umask=0077"],
      },
      add: {
        directories: ["/var/lib/docker"],
        files: [],
        users: { mira: { directories: ["Music"], files: [] } },
      },
    },
    persistence: {
      storage: "/nix/persistent",
      hideMounts: true,
      directories: ["/etc/nixos", "/var/log", "/var/lib/nixos"],
      files: ["/etc/machine-id"],
      users: { mira: { directories: ["Documents"], files: [] } },
    },
    users: { mira: { uid: 1000, isNormalUser: true } },
    ...overrides,
  };
}
