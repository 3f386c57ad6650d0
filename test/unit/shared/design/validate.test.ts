// Every validation rule, each shown to fire on a mutation of a valid example
// design and to be silent on the example itself.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateDesign } from "../../../../shared/design/validate";
import type { Problem } from "../../../../shared/design/types";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const example = (mode: string): Doc =>
  JSON.parse(readFileSync(`docs/examples/${mode}.json`, "utf8")) as Doc;

function problemsOf(mode: string, mutate: (d: Doc) => void): Problem[] {
  const d = example(mode);
  mutate(d);
  return validateDesign(d).problems;
}

interface Rule {
  name: string;
  mode: "install" | "convert" | "recover";
  mutate: (d: Doc) => void;
  severity: "error" | "warning";
  path: string;
  message: RegExp;
}

const rules: Rule[] = [
  // document and fields
  {
    name: "unknown format",
    mode: "install",
    mutate: (d) => (d.format = "tabula/9"),
    severity: "error",
    path: "format",
    message: /use "tabula\/1"/,
  },
  {
    name: "missing format",
    mode: "install",
    mutate: (d) => delete d.format,
    severity: "error",
    path: "format",
    message: /is missing/,
  },
  {
    name: "unknown mode",
    mode: "install",
    mutate: (d) => (d.mode = "upgrade"),
    severity: "error",
    path: "mode",
    message: /one of "install", "convert", "recover"/,
  },
  {
    name: "unknown top-level field",
    mode: "install",
    mutate: (d) => (d.hostName = "x"),
    severity: "error",
    path: "hostName",
    message: /did you mean "hostname"/,
  },
  {
    name: "unknown nested field",
    mode: "install",
    mutate: (d) => (d.persistence.hideMount = true),
    severity: "error",
    path: "persistence.hideMount",
    message: /did you mean "hideMounts"/,
  },
  {
    name: "unknown field in an entry",
    mode: "install",
    mutate: (d) => (d.persistence.directories[7].owner = "x"),
    severity: "error",
    path: "persistence.directories[7].owner",
    message: /not a field of a persisted directory/,
  },
  {
    name: "unknown field in a user",
    mode: "install",
    mutate: (d) => (d.users.mira.password = "x"),
    severity: "error",
    path: "users.mira.password",
    message: /not a field of the user mira/,
  },
  {
    name: "missing hostname",
    mode: "convert",
    mutate: (d) => delete d.hostname,
    severity: "error",
    path: "hostname",
    message: /is missing/,
  },
  {
    name: "bad hostname",
    mode: "install",
    mutate: (d) => (d.hostname = "my.host"),
    severity: "error",
    path: "hostname",
    message: /not a valid host name/,
  },
  {
    name: "unknown system",
    mode: "install",
    mutate: (d) => (d.system = "x86_64-darwin"),
    severity: "error",
    path: "system",
    message: /use one of "x86_64-linux"/,
  },
  {
    name: "bad stateVersion",
    mode: "install",
    mutate: (d) => (d.stateVersion = "25.11.1"),
    severity: "error",
    path: "stateVersion",
    message: /YY\.MM/,
  },
  {
    name: "wrong type",
    mode: "install",
    mutate: (d) => (d.persistence.hideMounts = "yes"),
    severity: "error",
    path: "persistence.hideMounts",
    message: /true or false/,
  },
  {
    name: "root size does not parse",
    mode: "install",
    mutate: (d) => (d.root.size = "4 GB"),
    severity: "error",
    path: "root.size",
    message: /not a size/,
  },
  {
    name: "small root",
    mode: "install",
    mutate: (d) => (d.root.size = "256M"),
    severity: "warning",
    path: "root.size",
    message: /small tmpfs root/,
  },
  {
    name: "missing root",
    mode: "convert",
    mutate: (d) => delete d.root,
    severity: "error",
    path: "root",
    message: /is missing/,
  },
  // mode blocks
  {
    name: "install without disk",
    mode: "install",
    mutate: (d) => delete d.disk,
    severity: "error",
    path: "disk",
    message: /install design needs it/,
  },
  {
    name: "convert without convert",
    mode: "convert",
    mutate: (d) => delete d.convert,
    severity: "error",
    path: "convert",
    message: /convert design needs it/,
  },
  {
    name: "recover without recover",
    mode: "recover",
    mutate: (d) => delete d.recover,
    severity: "error",
    path: "recover",
    message: /recover design needs it/,
  },
  {
    name: "block of another mode",
    mode: "convert",
    mutate: (d) => (d.disk = example("install").disk),
    severity: "error",
    path: "disk",
    message: /belongs to install mode/,
  },
  // disk
  {
    name: "disk device not absolute",
    mode: "install",
    mutate: (d) => (d.disk.device = "nvme0n1"),
    severity: "error",
    path: "disk.device",
    message: /not an absolute device path/,
  },
  {
    name: "disk device is a partition",
    mode: "install",
    mutate: (d) => (d.disk.device = "/dev/nvme0n1p2"),
    severity: "warning",
    path: "disk.device",
    message: /looks like a partition.*"\/dev\/nvme0n1"/,
  },
  {
    name: "esp size does not parse",
    mode: "install",
    mutate: (d) => (d.disk.esp.size = "25%"),
    severity: "error",
    path: "disk.esp.size",
    message: /percentage/,
  },
  {
    name: "esp too small",
    mode: "install",
    mutate: (d) => (d.disk.esp.size = "32M"),
    severity: "error",
    path: "disk.esp.size",
    message: /too small/,
  },
  {
    name: "esp small",
    mode: "install",
    mutate: (d) => (d.disk.esp.size = "128M"),
    severity: "warning",
    path: "disk.esp.size",
    message: /only a few kernels/,
  },
  {
    name: "swap size does not parse",
    mode: "install",
    mutate: (d) => (d.disk.swap.size = "8"),
    severity: "error",
    path: "disk.swap.size",
    message: /not a size/,
  },
  {
    name: "bad bootloader",
    mode: "install",
    mutate: (d) => (d.disk.bootloader = "lilo"),
    severity: "error",
    path: "disk.bootloader",
    message: /"systemd-boot", "grub"/,
  },
  {
    name: "grub off x86",
    mode: "install",
    mutate: (d) => {
      d.disk.bootloader = "grub";
      d.system = "aarch64-linux";
    },
    severity: "error",
    path: "disk.bootloader",
    message: /only exists on x86/,
  },
  {
    name: "bad nix fsType",
    mode: "install",
    mutate: (d) => (d.disk.nix.fsType = "zfs"),
    severity: "error",
    path: "disk.nix.fsType",
    message: /"btrfs", "ext4", "xfs"/,
  },
  {
    name: "mount option with a comma",
    mode: "install",
    mutate: (d) => (d.disk.nix.options = ["noatime,compress=zstd"]),
    severity: "error",
    path: "disk.nix.options[0]",
    message: /own list item/,
  },
  {
    name: "mount option with a space",
    mode: "convert",
    mutate: (d) => (d.convert.options = ["subvol=@ x"]),
    severity: "error",
    path: "convert.options[0]",
    message: /space or control character/,
  },
  {
    name: "disk too small",
    mode: "install",
    mutate: (d) => (d.disk.probed = { sizeBytes: 16 * 1024 ** 3 }),
    severity: "error",
    path: "disk",
    message: /less than 8 GiB for \/nix/,
  },
  // convert and recover
  {
    name: "convert device not absolute",
    mode: "convert",
    mutate: (d) => (d.convert.device = "sda2"),
    severity: "error",
    path: "convert.device",
    message: /not an absolute device path/,
  },
  {
    name: "convert device by kernel name",
    mode: "convert",
    mutate: (d) => (d.convert.device = "/dev/sda2"),
    severity: "warning",
    path: "convert.device",
    message: /by-uuid/,
  },
  {
    name: "bad fsType",
    mode: "convert",
    mutate: (d) => (d.convert.fsType = "Ext 4"),
    severity: "error",
    path: "convert.fsType",
    message: /not a filesystem type/,
  },
  {
    name: "convert without boot, with systemd-boot",
    mode: "convert",
    mutate: (d) => delete d.convert.boot,
    severity: "error",
    path: "convert.boot",
    message: /systemd-boot boots from an EFI system partition/,
  },
  {
    name: "convert without boot nor bootloader",
    mode: "convert",
    mutate: (d) => {
      delete d.convert.boot;
      delete d.convert.bootloader;
    },
    severity: "error",
    path: "convert.boot",
    message: /only GRUB boots from/,
  },
  {
    name: "ESP at /boot/efi without a bootloader",
    mode: "convert",
    mutate: (d) => {
      d.convert.boot.mountPoint = "/boot/efi";
      delete d.convert.bootloader;
    },
    severity: "error",
    path: "convert.bootloader",
    message: /with the ESP at \/boot\/efi, \/boot is a folder on the root/,
  },
  {
    name: "boot mounted somewhere NixOS does not",
    mode: "convert",
    mutate: (d) => (d.convert.boot.mountPoint = "/mnt/esp"),
    severity: "error",
    path: "convert.boot.mountPoint",
    message: /is not where NixOS mounts a boot filesystem/,
  },
  {
    name: "configuration.nix with a flake attribute",
    mode: "convert",
    mutate: (d) => (d.convert.configType = "configuration.nix"),
    severity: "error",
    path: "convert.flakeAttr",
    message: /has no nixosConfigurations: remove it/,
  },
  {
    name: "unknown configType",
    mode: "convert",
    mutate: (d) => (d.convert.configType = "channels"),
    severity: "error",
    path: "convert.configType",
    message: /"flake", "configuration.nix"/,
  },
  {
    name: "a flake without its attribute",
    mode: "convert",
    mutate: (d) => delete d.convert.flakeAttr,
    severity: "error",
    path: "convert.flakeAttr",
    message: /configType to "configuration.nix"/,
  },
  {
    name: "a LUKS name /dev/mapper cannot hold",
    mode: "convert",
    mutate: (d) =>
      (d.convert.luks = { device: "/dev/disk/by-uuid/x", name: "my root" }),
    severity: "error",
    path: "convert.luks.name",
    message: /cannot be a \/dev\/mapper name/,
  },
  {
    name: "a secret's parentDirectory mode on /etc/nix",
    mode: "install",
    mutate: (d) =>
      d.persistence.files.push({
        file: "/etc/nix/id_rsa",
        parentDirectory: { mode: "u=rwx,g=,o=" },
      }),
    severity: "error",
    path: "persistence.files[4].parentDirectory",
    message:
      /would make impermanence give \/etc\/nix itself mode u=rwx,g=,o= on the running system, but it holds nix.conf/,
  },
  {
    name: "a mode on /var/lib itself",
    mode: "convert",
    mutate: (d) =>
      d.persistence.directories.push({ directory: "/var/lib", mode: "0700" }),
    severity: "error",
    path: "persistence.directories[9]",
    message: /would make impermanence give \/var\/lib mode 0700/,
  },
  {
    name: "a conversion persisting the ed25519 host key but not the RSA one",
    mode: "convert",
    mutate: (d) =>
      (d.persistence.files = d.persistence.files.filter(
        (f: string) => !f.includes("rsa"),
      )),
    severity: "warning",
    path: "persistence.files",
    message:
      /persists some SSH host keys but not \/etc\/ssh\/ssh_host_rsa_key, \/etc\/ssh\/ssh_host_rsa_key.pub/,
  },
  {
    name: "a conversion persisting no SSH host key",
    mode: "convert",
    mutate: (d) =>
      (d.persistence.files = d.persistence.files.filter(
        (f: string) => !f.includes("ssh_host"),
      )),
    severity: "warning",
    path: "persistence.files",
    message: /does not persist the SSH host keys .* if this system runs sshd/,
  },
  {
    name: "a root on LVM",
    mode: "convert",
    mutate: (d) => (d.convert.lvm = { volumeGroup: "vg0" }),
    severity: "error",
    path: "convert.lvm",
    message: /does not convert a root on LVM yet/,
  },
  {
    name: "a persisted path on a kept mount",
    mode: "convert",
    mutate: (d) => (d.convert.keptMounts = ["/home"]),
    severity: "error",
    path: "persistence.users.sam.directories[0]",
    message: /is on \/home, a filesystem of its own that stays mounted/,
  },
  {
    name: "a kept mount under /nix",
    mode: "convert",
    mutate: (d) => (d.convert.keptMounts = ["/nix/store"]),
    severity: "error",
    path: "convert.keptMounts[0]",
    message: /a \/nix of its own is convert.nix/,
  },
  {
    name: "a swap file that is persisted too",
    mode: "convert",
    mutate: (d) => (d.convert.swapFiles = ["/var/log/swap"]),
    severity: "error",
    path: "convert.swapFiles[0]",
    message: /moves swap files into storage itself/,
  },
  {
    name: "swap files beside an encrypted swap",
    mode: "convert",
    mutate: (d) => {
      d.convert.swapFiles = ["/swapfile"];
      d.convert.swapDevices = ["/dev/mapper/cryptswap"];
    },
    severity: "error",
    path: "convert.swapDevices",
    message: /cannot repeat that one's encryption settings/,
  },
  {
    name: "a /nix of its own with storage deeper than /nix/NAME",
    mode: "convert",
    mutate: (d) => {
      d.convert.nix = {
        device: d.convert.device,
        fsType: "btrfs",
        options: ["subvol=@nix"],
      };
      d.persistence.storage = "/nix/state/persistent";
    },
    severity: "error",
    path: "persistence.storage",
    message: /must be a folder directly in \/nix/,
  },
  {
    name: "boot mount point not absolute",
    mode: "convert",
    mutate: (d) => (d.convert.boot.mountPoint = "boot"),
    severity: "error",
    path: "convert.boot.mountPoint",
    message: /not absolute/,
  },
  {
    name: "convert config dir not persisted",
    mode: "convert",
    mutate: (d) => d.persistence.directories.splice(0, 1),
    severity: "error",
    path: "convert.configDir",
    message: /old-root.*add "\/etc\/nixos" to persistence\.directories/,
  },
  {
    name: "recover config dir not persisted",
    mode: "recover",
    mutate: (d) => d.persistence.directories.splice(0, 1),
    severity: "error",
    path: "recover.configDir",
    message: /recover\.add\.directories/,
  },
  {
    name: "config dir not absolute",
    mode: "convert",
    mutate: (d) => (d.convert.configDir = "etc/nixos"),
    severity: "error",
    path: "convert.configDir",
    message: /not absolute/,
  },
  {
    name: "bad flakeAttr",
    mode: "convert",
    mutate: (d) => (d.convert.flakeAttr = "my host"),
    severity: "error",
    path: "convert.flakeAttr",
    message: /not a plain attribute name/,
  },
  {
    name: "recover from unknown",
    mode: "recover",
    mutate: (d) => (d.recover.from = "backup"),
    severity: "error",
    path: "recover.from",
    message: /"live", "old-root"/,
  },
  {
    name: "recover from old-root without boot",
    mode: "recover",
    mutate: (d) => {
      d.recover.from = "old-root";
      delete d.recover.boot;
    },
    severity: "error",
    path: "recover.boot",
    message: /LiveCD/,
  },
  {
    name: "recover adds nothing",
    mode: "recover",
    mutate: (d) => (d.recover.add = { directories: [], files: [] }),
    severity: "error",
    path: "recover.add",
    message: /nothing to bring in/,
  },
  {
    name: "recover adds a persisted path",
    mode: "recover",
    mutate: (d) => d.recover.add.directories.push("/var/log"),
    severity: "error",
    path: "recover.add.directories[1]",
    message:
      /already persisted \(persistence\.directories\[5\]\): remove it from recover\.add/,
  },
  {
    name: "recover adds a path under a persisted one",
    mode: "recover",
    mutate: (d) => d.recover.add.directories.push("/var/log/journal"),
    severity: "warning",
    path: "recover.add.directories[1]",
    message: /nothing to recover/,
  },
  {
    name: "recover adds a home folder that holds persisted paths",
    mode: "recover",
    mutate: (d) => d.recover.add.directories.push("/home/sam"),
    severity: "error",
    path: "recover.add.directories[1]",
    message:
      /"\/home\/sam" holds "\/home\/sam\/\.ssh", "\/home\/sam\/Documents", "\/home\/sam\/\.bash_history", persisted already: recovering "\/home\/sam" whole would bring them in a second time.*not persisted yet/,
  },
  {
    name: "recover adds a folder holding one persisted path",
    mode: "recover",
    mutate: (d) => d.recover.add.directories.push("/var"),
    severity: "error",
    path: "recover.add.directories[1]",
    message:
      /"\/var" holds .* persisted already: .*bring them in a second time/,
  },
  {
    name: "recover adds for an unknown user",
    mode: "recover",
    mutate: (d) => (d.recover.add.users.ann = { directories: ["x"] }),
    severity: "error",
    path: "recover.add.users.ann",
    message: /not among the design's users/,
  },
  // persisted paths
  {
    name: "path not absolute",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("var/lib/x"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /not absolute.*"\/var\/lib\/x"/,
  },
  {
    name: "path with ..",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/var/lib/../x"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /"\.\." segment/,
  },
  {
    name: "path with .",
    mode: "install",
    mutate: (d) => d.persistence.files.push("/etc/./x"),
    severity: "error",
    path: "persistence.files[4]",
    message: /"\." or "\.\." segment/,
  },
  {
    name: "path with an empty segment",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/var//x"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /empty segment/,
  },
  {
    name: "path with a trailing slash",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/var/x/"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /ends with a slash.*"\/var\/x"/,
  },
  {
    name: "path with NUL",
    mode: "install",
    mutate: (d) => d.persistence.files.push("/etc/a\u0000b"),
    severity: "error",
    path: "persistence.files[4]",
    message: /NUL/,
  },
  {
    name: "path with a newline",
    mode: "install",
    mutate: (d) => d.persistence.files.push("/etc/a\nb"),
    severity: "error",
    path: "persistence.files[4]",
    message: /line break/,
  },
  {
    name: "empty path",
    mode: "install",
    mutate: (d) => d.persistence.files.push(""),
    severity: "error",
    path: "persistence.files[4]",
    message: /is empty/,
  },
  {
    name: "the root itself",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /whole root/,
  },
  {
    name: "path in an attrset entry",
    mode: "install",
    mutate: (d) => (d.persistence.directories[7].directory = "var/lib/colord"),
    severity: "error",
    path: "persistence.directories[7].directory",
    message: /not absolute/,
  },
  {
    name: "entry without its path",
    mode: "install",
    mutate: (d) => delete d.persistence.directories[7].directory,
    severity: "error",
    path: "persistence.directories[7].directory",
    message: /is missing/,
  },
  {
    name: "bad chmod mode",
    mode: "install",
    mutate: (d) => (d.persistence.directories[7].mode = "rwxr-x---"),
    severity: "error",
    path: "persistence.directories[7].mode",
    message: /not a chmod mode/,
  },
  {
    name: "bad parentDirectory mode",
    mode: "install",
    mutate: (d) => (d.persistence.files[3].parentDirectory.mode = "999"),
    severity: "error",
    path: "persistence.files[3].parentDirectory.mode",
    message: /not a chmod mode/,
  },
  {
    name: "bad owner name",
    mode: "install",
    mutate: (d) => (d.persistence.directories[7].user = "col ord"),
    severity: "error",
    path: "persistence.directories[7].user",
    message: /not a user name/,
  },
  {
    name: "bad file method",
    mode: "install",
    mutate: (d) => (d.persistence.files[3].method = "copy"),
    severity: "error",
    path: "persistence.files[3].method",
    message: /"auto", "symlink"/,
  },
  {
    name: "path inside the storage",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/nix/persistent/x"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /inside the persistent storage/,
  },
  {
    name: "path under /nix",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/nix/var/nix/gcroots"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /under \/nix/,
  },
  ...["/boot", "/proc", "/sys", "/dev", "/run"].map((base): Rule => ({
    name: `path under ${base}`,
    mode: "install",
    mutate: (d) => d.persistence.directories.push(`${base}/x`),
    severity: "error",
    path: "persistence.directories[8]",
    message: new RegExp(`under ${base}.*cannot be persisted`),
  })),
  {
    name: "a path NixOS regenerates",
    mode: "install",
    mutate: (d) => d.persistence.files.push("/etc/shadow"),
    severity: "warning",
    path: "persistence.files[4]",
    message: /rewrites it at every activation/,
  },
  {
    name: "the same path twice",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/var/log"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /already listed at persistence\.directories\[1\]/,
  },
  {
    name: "a path as file and directory",
    mode: "install",
    mutate: (d) => d.persistence.files.push("/var/log"),
    severity: "error",
    path: "persistence.files[4]",
    message:
      /as a file here and as a directory at persistence\.directories\[1\]/,
  },
  {
    name: "a user path equal to a system path",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/home/mira/Documents"),
    severity: "error",
    path: "persistence.users.mira.directories[0]",
    message: /already listed at persistence\.directories\[8\]/,
  },
  {
    name: "a path under a persisted directory",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/var/log/journal"),
    severity: "warning",
    path: "persistence.directories[8]",
    message: /already persisted through "\/var\/log".*redundant/,
  },
  {
    name: "a user path under a persisted system directory",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/home"),
    severity: "warning",
    path: "persistence.users.mira.directories[0]",
    message: /through "\/home"/,
  },
  {
    name: "a path under a persisted file",
    mode: "install",
    mutate: (d) => d.persistence.directories.push("/etc/machine-id/x"),
    severity: "error",
    path: "persistence.directories[8]",
    message: /persisted as a file/,
  },
  {
    name: "storage not absolute",
    mode: "install",
    mutate: (d) => (d.persistence.storage = "nix/persistent"),
    severity: "error",
    path: "persistence.storage",
    message: /not absolute/,
  },
  {
    name: "storage off the disk",
    mode: "install",
    mutate: (d) => (d.persistence.storage = "/persist"),
    severity: "error",
    path: "persistence.storage",
    message: /not on the disk/,
  },
  {
    name: "storage in the store",
    mode: "install",
    mutate: (d) => (d.persistence.storage = "/nix/store/x"),
    severity: "error",
    path: "persistence.storage",
    message: /Nix's own folders/,
  },
  // user paths
  {
    name: "user path absolute",
    mode: "install",
    mutate: (d) => d.persistence.users.mira.files.push("/home/mira/.profile"),
    severity: "error",
    path: "persistence.users.mira.files[1]",
    message: /relative to the home: write "\.profile"$/,
  },
  {
    name: "user path absolute, outside the home",
    mode: "install",
    mutate: (d) => d.persistence.users.mira.files.push("/srv/notes"),
    severity: "error",
    path: "persistence.users.mira.files[1]",
    message: /list "\/srv\/notes" under persistence\.directories/,
  },
  {
    name: "two users with one uid",
    mode: "install",
    mutate: (d) =>
      (d.users.ann = {
        uid: d.users.mira.uid,
        isNormalUser: true,
        hashedPassword: "!",
      }),
    severity: "error",
    path: "users.ann.uid",
    message: /is already the uid of mira/,
  },
  {
    name: "user path leaving the home",
    mode: "install",
    mutate: (d) => d.persistence.users.mira.directories.push("../ann"),
    severity: "error",
    path: "persistence.users.mira.directories[5]",
    message: /"\.\." segment/,
  },
  {
    name: "user path with ~",
    mode: "install",
    mutate: (d) => d.persistence.users.mira.directories.push("~/.config"),
    severity: "error",
    path: "persistence.users.mira.directories[5]",
    message: /starts with "~".*"\.config"/,
  },
  {
    name: "the same user path twice",
    mode: "install",
    mutate: (d) => d.persistence.users.mira.directories.push("Documents"),
    severity: "error",
    path: "persistence.users.mira.directories[5]",
    message: /already listed at persistence\.users\.mira\.directories\[0\]/,
  },
  {
    name: "persistence for an undeclared user",
    mode: "install",
    mutate: (d) => (d.persistence.users.ann = { directories: ["x"] }),
    severity: "error",
    path: "persistence.users.ann",
    message: /not among the design's users/,
  },
  {
    name: "persistence for a system user without home",
    mode: "convert",
    mutate: (d) => {
      d.users.svc = { isSystemUser: true, group: "svc", uid: 400 };
      d.persistence.users.svc = { directories: ["x"] };
    },
    severity: "error",
    path: "persistence.users.svc",
    message: /system user without a home/,
  },
  {
    name: "bad user name",
    mode: "install",
    mutate: (d) =>
      (d.users["Mira Okafor"] = { isNormalUser: true, hashedPassword: "!" }),
    severity: "error",
    path: 'users["Mira Okafor"]',
    message: /not a user name/,
  },
  {
    name: "a user named __proto__",
    mode: "install",
    mutate: (d) =>
      Object.defineProperty(d.users, "__proto__", {
        value: { isNormalUser: true },
        enumerable: true,
      }),
    severity: "error",
    path: "users.__proto__",
    message: /not a user name/,
  },
  // users and passwords
  {
    name: "install user without a hash",
    mode: "install",
    mutate: (d) => delete d.users.mira.hashedPassword,
    severity: "error",
    path: "users.mira",
    message: /no hashedPassword or hashedPasswordFile/,
  },
  {
    name: "plaintext password",
    mode: "install",
    mutate: (d) => (d.users.mira.hashedPassword = "hunter2"),
    severity: "error",
    path: "users.mira.hashedPassword",
    message: /not a crypt\(3\) password hash/,
  },
  {
    name: "empty password hash",
    mode: "install",
    mutate: (d) => (d.users.mira.hashedPassword = ""),
    severity: "error",
    path: "users.mira.hashedPassword",
    message: /without a password/,
  },
  {
    name: "both hash and hash file",
    mode: "install",
    mutate: (d) =>
      (d.users.mira.hashedPasswordFile = "/nix/persistent/passwords/mira"),
    severity: "error",
    path: "users.mira",
    message: /both hashedPassword and hashedPasswordFile/,
  },
  {
    name: "hash file off persistent storage",
    mode: "install",
    mutate: (d) => {
      delete d.users.mira.hashedPassword;
      d.users.mira.hashedPasswordFile = "/etc/mira.hash";
    },
    severity: "error",
    path: "users.mira.hashedPasswordFile",
    message: /not under the persistent storage/,
  },
  {
    name: "neither normal nor system user",
    mode: "install",
    mutate: (d) => delete d.users.mira.isNormalUser,
    severity: "error",
    path: "users.mira",
    message: /neither a normal nor a system user/,
  },
  {
    name: "both normal and system user",
    mode: "install",
    mutate: (d) => (d.users.mira.isSystemUser = true),
    severity: "error",
    path: "users.mira",
    message: /both isNormalUser and isSystemUser/,
  },
  {
    name: "system user without group",
    mode: "install",
    mutate: (d) => (d.users.svc = { isSystemUser: true, uid: 400 }),
    severity: "error",
    path: "users.svc.group",
    message: /requires a group/,
  },
  {
    name: "locked out",
    mode: "install",
    mutate: (d) => {
      d.users.mira.extraGroups = [];
    },
    severity: "error",
    path: "users",
    message: /locked out/,
  },
  {
    name: "uid out of range",
    mode: "install",
    mutate: (d) => (d.users.mira.uid = -1),
    severity: "error",
    path: "users.mira.uid",
    message: /whole number/,
  },
  {
    name: "gid not a number",
    mode: "install",
    mutate: (d) => (d.groups = { media: { gid: "900" } }),
    severity: "error",
    path: "groups.media.gid",
    message: /whole number/,
  },
  {
    name: "description with a colon",
    mode: "install",
    mutate: (d) => (d.users.mira.description = "Mira: admin"),
    severity: "error",
    path: "users.mira.description",
    message: /\/etc\/passwd/,
  },
  {
    name: "not an SSH key",
    mode: "install",
    mutate: (d) => (d.users.mira.openssh.authorizedKeys.keys = ["hello"]),
    severity: "error",
    path: "users.mira.openssh.authorizedKeys.keys[0]",
    message: /not an SSH public key/,
  },
  {
    name: "convert user without a hash",
    mode: "convert",
    mutate: (d) => delete d.users.sam.hashedPassword,
    severity: "warning",
    path: "users.sam",
    message: /lost at every reboot.*nixos\/stateless\.nix/,
  },
  // recommendations
  {
    name: "machine-id not persisted",
    mode: "install",
    mutate: (d) => d.persistence.files.splice(0, 1),
    severity: "warning",
    path: "persistence.files",
    message: /machine-id/,
  },
  {
    name: "/var/lib/nixos not persisted with a user lacking a uid",
    mode: "install",
    mutate: (d) => {
      d.persistence.directories.splice(2, 1);
      delete d.users.mira.uid;
    },
    severity: "warning",
    path: "persistence.directories",
    message: /"\/var\/lib\/nixos" while user mira has no fixed id/,
  },
  {
    name: "/var/lib/nixos not persisted",
    mode: "convert",
    mutate: (d) => d.persistence.directories.splice(3, 1),
    severity: "warning",
    path: "persistence.directories",
    message: /"\/var\/lib\/nixos"/,
  },
  {
    name: "/var/cache/nix not persisted",
    mode: "install",
    mutate: (d) => d.persistence.directories.splice(4, 1),
    severity: "warning",
    path: "persistence.directories",
    message: /"\/var\/cache\/nix"/,
  },
  {
    name: "/etc/nixos not persisted in install",
    mode: "install",
    mutate: (d) => d.persistence.directories.splice(0, 1),
    severity: "warning",
    path: "persistence.directories",
    message: /does not persist \/etc\/nixos/,
  },
  {
    name: "SSH host keys not persisted with SSH keys",
    mode: "install",
    mutate: (d) => d.persistence.files.splice(1, 2),
    severity: "warning",
    path: "persistence.files",
    message: /SSH host keys/,
  },
];

describe("validateDesign", () => {
  it("accepts the conversion layouts Tabula supports", () => {
    const layouts: [string, (d: Doc) => void][] = [
      [
        "GRUB with /boot on the root (BIOS)",
        (d) => {
          delete d.convert.boot;
          d.convert.bootloader = "grub";
        },
      ],
      [
        "GRUB on EFI with the ESP at /boot/efi",
        (d) => {
          d.convert.boot.mountPoint = "/boot/efi";
          d.convert.bootloader = "grub";
        },
      ],
      [
        "a configuration without a flake",
        (d) => {
          d.convert.configType = "configuration.nix";
          delete d.convert.flakeAttr;
        },
      ],
      [
        "LUKS under the root",
        (d) => {
          d.convert.luks = {
            device: "/dev/disk/by-uuid/11-22",
            name: "luks-11-22",
          };
        },
      ],
      [
        "btrfs with @nix at /nix, @home at /home, @log at /var/log",
        (d) => {
          d.convert.nix = {
            device: d.convert.device,
            fsType: "btrfs",
            options: ["subvol=@nix"],
          };
          d.convert.keptMounts = ["/home", "/var/log"];
          d.persistence.users = {};
          d.persistence.directories = d.persistence.directories.filter(
            (x: unknown) => x !== "/var/log",
          );
        },
      ],
      [
        "a swap file",
        (d) => {
          d.convert.swapFiles = ["/swapfile"];
          d.convert.swapDevices = ["/dev/disk/by-uuid/77"];
        },
      ],
    ];
    for (const [name, mutate] of layouts) {
      const d = example("convert");
      mutate(d);
      const result = validateDesign(d);
      expect(result.problems, name).toEqual([]);
      expect(result.design, name).not.toBeNull();
    }
  });

  it.each(["install", "convert", "recover"])(
    "accepts the %s example with no problem at all",
    (mode) => {
      const result = validateDesign(example(mode));
      expect(result.problems).toEqual([]);
      expect(result.design?.mode).toBe(mode);
    },
  );

  it.each(rules)("$name: $severity at $path", (rule) => {
    const before = validateDesign(example(rule.mode)).problems;
    expect(
      before.filter(
        (p) => p.path === rule.path && rule.message.test(p.message),
      ),
    ).toEqual([]);
    const problems = problemsOf(rule.mode, rule.mutate);
    const hit = problems.find(
      (p) => p.path === rule.path && rule.message.test(p.message),
    );
    expect(hit, JSON.stringify(problems, null, 2)).toBeDefined();
    expect(hit!.severity).toBe(rule.severity);
    // An error blocks the design; a warning alone does not.
    const d = example(rule.mode);
    rule.mutate(d);
    const result = validateDesign(d);
    if (rule.severity === "error") expect(result.design).toBeNull();
    else if (!problems.some((p) => p.severity === "error"))
      expect(result.design).not.toBeNull();
  });

  it("gives, for a relative path, a fix that then validates", () => {
    for (const [field, mutate, fix] of [
      [
        "persistence.storage",
        (d: Doc) => (d.persistence.storage = "persist"),
        (d: Doc, v: string) => (d.persistence.storage = v),
      ],
      [
        "users.mira.hashedPasswordFile",
        (d: Doc) => {
          delete d.users.mira.hashedPassword;
          d.users.mira.hashedPasswordFile = "passwords/mira";
        },
        (d: Doc, v: string) => (d.users.mira.hashedPasswordFile = v),
      ],
      [
        "persistence.users.mira.directories[0]",
        (d: Doc) =>
          (d.persistence.users.mira.directories[0] = `/home/mira/${d.persistence.users.mira.directories[0]}`),
        (d: Doc, v: string) => (d.persistence.users.mira.directories[0] = v),
      ],
    ] as const) {
      const d = example("install");
      mutate(d);
      const problems = validateDesign(d).problems.filter(
        (p) => p.severity === "error",
      );
      expect(
        problems.map((p) => p.path),
        field,
      ).toEqual([field]);
      const suggested = /(?:e\.g\.|write) "([^"]+)"/.exec(problems[0]!.message);
      expect(suggested, problems[0]!.message).not.toBeNull();
      fix(d, suggested![1]!);
      expect(validateDesign(d).problems, field).toEqual([]);
    }
  });

  it("says a refused password hash once, not also as a missing one", () => {
    const problems = problemsOf("install", (d) => {
      d.users.mira.hashedPassword = "hunter2";
    }).filter((p) => p.path.startsWith("users.mira"));
    expect(problems.map((p) => p.path)).toEqual(["users.mira.hashedPassword"]);
  });

  it("says each problem in one sentence naming what to do", () => {
    for (const rule of rules) {
      for (const p of problemsOf(rule.mode, rule.mutate)) {
        expect(p.message).not.toMatch(/\n/);
        expect(p.message).toMatch(
          /:|remove|add|give|use|write|keep|choose|make|set/,
        );
      }
    }
  });

  it("refuses what is not a design at all", () => {
    for (const input of [null, 3, "design", []]) {
      const result = validateDesign(input);
      expect(result.design).toBeNull();
      expect(result.problems).toEqual([
        expect.objectContaining({
          path: "",
          severity: "error",
          message: expect.stringMatching(/must be an object/),
        }),
      ]);
    }
  });

  it("reports every problem of a document in one pass", () => {
    const problems = problemsOf("install", (d) => {
      d.hostname = "a.b";
      d.root.size = "x";
      d.persistence.directories.push("rel");
    });
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        "hostname",
        "root.size",
        "persistence.directories[8]",
      ]),
    );
  });

  it("fills defaults for what may be left out", () => {
    const d = example("convert");
    delete d.persistence.storage;
    delete d.persistence.hideMounts;
    delete d.convert.options;
    const result = validateDesign(d);
    expect(result.design?.persistence.storage).toBe("/nix/persistent");
    expect(result.design?.persistence.hideMounts).toBe(true);
    expect(result.design?.convert?.options).toEqual([]);
  });
});

describe("validateDesign on arbitrary input", () => {
  it("never throws, and refuses with at least one error whenever it returns no design", () => {
    const spots = [
      "",
      "persistence",
      "persistence.directories",
      "persistence.users",
      "users",
      "users.mira",
      "disk",
      "disk.nix",
      "root",
      "groups",
    ];
    fc.assert(
      fc.property(fc.constantFrom(...spots), fc.jsonValue(), (spot, value) => {
        const d = example("install");
        if (spot === "") {
          const result = validateDesign(value);
          expect(result.design === null).toBe(
            result.problems.some((p) => p.severity === "error"),
          );
          return;
        }
        const keys = spot.split(".");
        let at = d;
        for (const k of keys.slice(0, -1)) at = at[k];
        at[keys.at(-1)!] = value;
        const result = validateDesign(d);
        expect(result.design === null).toBe(
          result.problems.some((p) => p.severity === "error"),
        );
        for (const p of result.problems)
          expect(typeof p.message).toBe("string");
      }),
      { numRuns: 500 },
    );
  });
});
