#!/usr/bin/env python3
"""The work of the nixos-generate-config stand-in (see ../bin/nixos-generate-config).

Written after nixpkgs nixos/modules/installer/tools/nixos-generate-config.pl
(read, not copied): the argument loop and its messages, the mountinfo walk
that turns mounts under --root into fileSystems entries, and the layout of
hardware-configuration.nix. Not done: PCI/USB class rules beyond the block
devices' driver modules, virtualisation-specific attributes, stratis,
bcachefs, LUKS (no device-mapper on the test machines), findStableDevPath
through /dev/disk/by-uuid (no udev here: devices stay as mountinfo names
them, which is also what the .pl does when those links are missing).
"""
import os
import re
import subprocess
import sys

PROG = "nixos-generate-config"


def die(message):
    # perl's die: the status is errno (here ENOENT from an earlier lookup).
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(2)


def uniq(items):
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def is_in(d1, d2):
    return d1 == d2 or d1[: len(d2) + 1] == d2 + "/"


def module_of(path):
    link = os.path.join(path, "driver/module")
    return os.path.basename(os.path.realpath(link)) if os.path.exists(link) else None


def detect_virt():
    try:
        r = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True, check=False)
        return r.stdout.strip() or "none"
    except FileNotFoundError:
        return "none"


def btrfs_subvol(path):
    r = subprocess.run(["btrfs", "subvol", "show", path], capture_output=True, text=True, check=False)
    out = r.stdout + r.stderr
    return r.returncode, out


def file_systems(root_dir):
    text, by_dev = "", {}
    for line in read("/proc/self/mountinfo").splitlines():
        fields = line.split(" ")
        mount_point = fields[4].replace("\\040", " ").replace("\\011", "\t")
        if not os.path.isdir(mount_point):
            continue
        mount_options = fields[5].split(",")
        if not is_in(mount_point, root_dir or "/") and root_dir:
            continue
        if root_dir:
            mount_point = mount_point[len(root_dir):] or "/"
        if any(is_in(mount_point, p) for p in ("/proc", "/dev", "/sys", "/run")) or mount_point == "/var/lib/nfs/rpc_pipefs":
            continue
        n = 6
        while fields[n] != "-":
            n += 1
        n += 1
        fs_type, device = fields[n], fields[n + 1].replace("\\040", " ").replace("\\011", "\t")
        super_options = fields[n + 2].split(",")
        if mount_point == "/nix/store" and "rw" in super_options and "ro" in mount_options:
            continue
        if fields[2] in by_dev:
            status, msg = btrfs_subvol(root_dir + mount_point)
            if status != 0 or "ERROR:" in msg:
                path = "" if fields[3] == "/" else fields[3]
                base = "" if by_dev[fields[2]] == "/" else by_dev[fields[2]]
                text += f'  fileSystems."{mount_point}" =\n    {{ device = "{base}{path}";\n      fsType = "none";\n      options = [ "bind" ];\n    }};\n\n'
                continue
        by_dev[fields[2]] = mount_point
        if fs_type in ("fuseblk", "fuse"):
            print(f"warning: don't know how to emit ‘fileSystem’ option for FUSE filesystem ‘{mount_point}’", file=sys.stderr)
            continue
        extra = []
        m = re.search(r"/dev/loop(\d+)", device)
        if m:
            backer = read(f"/sys/block/loop{m.group(1)}/loop/backing_file", None)
            if backer is not None:
                device = backer.rstrip("\n")
                extra.append("loop")
        if fs_type == "btrfs":
            status, info = btrfs_subvol(root_dir + mount_point)
            if status != 0 or "ERROR:" in info:
                die(f"Failed to retrieve subvolume info for {mount_point}")
            if re.match(r"^(?!/\n).*Subvolume ID:[ \t\n]*([0-9]+)", info, re.S):
                extra.append("subvol=" + info.split("\n", 1)[0])
        if fs_type == "vfat":
            extra += [o for o in super_options if re.search("fmask|dmask", o)]
        if mount_point == "/tmp" and fs_type == "tmpfs":
            continue
        text += f'  fileSystems."{mount_point}" =\n    {{ device = "{device}";\n      fsType = "{fs_type}";\n'
        if extra:
            text += "      options = [ " + " ".join(f'"{o}"' for o in uniq(extra)) + " ];\n"
        text += "    };\n\n"
    return text


def swap_devices():
    out = []
    for line in read("/proc/swaps").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 2 or not os.path.exists(fields[0]):
            continue
        if "partition" in fields[1] and not fields[0].startswith("/dev/zram"):
            out.append(f'{{ device = "{fields[0]}"; }}')
    return out


def multi_line_list(indent, items):
    if not items:
        return " [ ]"
    res = f"\n{indent}[ "
    for n, item in enumerate(items):
        res += ("" if n == 0 else f"{indent}  ") + item + "\n"
    return res + f"{indent}]"


def main(argv):
    out_dir, root_dir, force, no_fs, show = "/etc/nixos", "", False, False, False
    n = 0
    while n < len(argv):
        arg = argv[n]
        if arg == "--help":
            print("nixos-generate-config: test stand-in (the real one runs man nixos-generate-config)")
            return 0
        elif arg == "--dir":
            n += 1
            if n >= len(argv):
                die("‘--dir’ requires an argument")
            out_dir = argv[n]
        elif arg == "--root":
            n += 1
            if n >= len(argv):
                die("‘--root’ requires an argument")
            root_dir = argv[n]
            if root_dir == "/":
                die("no need to specify `/` with `--root`, it is the default")
            root_dir = os.path.abspath(root_dir.rstrip("/"))
        elif arg == "--force":
            force = True
        elif arg == "--no-filesystems":
            no_fs = True
        elif arg == "--show-hardware-config":
            show = True
        else:
            die(f"unrecognized argument ‘{arg}’")
        n += 1

    attrs = ['nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";']
    cpuinfo = read("/proc/cpuinfo")
    kernel_modules, initrd_available, imports = [], [], []
    if re.search(r"^flags\s*:.* vmx( |$)", cpuinfo, re.M):
        kernel_modules.append("kvm-intel")
    if re.search(r"^flags\s*:.* svm( |$)", cpuinfo, re.M):
        kernel_modules.append("kvm-amd")
    for base in ("/sys/class/block", "/sys/class/mmc_host"):
        for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            module = module_of(os.path.join(base, name, "device"))
            if module:
                initrd_available.append(module)
    virt = detect_virt()
    if virt in ("qemu", "kvm", "bochs"):
        imports.append('(modulesPath + "/profiles/qemu-guest.nix")')
    if virt == "none":
        imports.append('(modulesPath + "/installer/scan/not-detected.nix")')
        if re.search(r"^vendor_id\s*:.* AuthenticAMD$", cpuinfo, re.M):
            attrs.append("hardware.cpu.amd.updateMicrocode = lib.mkDefault config.hardware.enableRedistributableFirmware;")
        if re.search(r"^vendor_id\s*:.* GenuineIntel$", cpuinfo, re.M):
            attrs.append("hardware.cpu.intel.updateMicrocode = lib.mkDefault config.hardware.enableRedistributableFirmware;")
    if virt == "systemd-nspawn":
        attrs.append("boot.isContainer = true;")

    fs_and_swap = ""
    if not no_fs:
        fs_and_swap = "\n" + file_systems(root_dir) + "  swapDevices =" + multi_line_list("    ", swap_devices()) + ";\n"
    dhcp = (
        "  # Enables DHCP on each ethernet and wireless interface. In case of scripted networking\n"
        "  # (the default) this is the recommended approach. When using systemd-networkd it's\n"
        "  # still possible to use this option, but it's recommended to use it in conjunction\n"
        "  # with explicit per-interface declarations with `networking.interfaces.<interface>.useDHCP`.\n"
        "  networking.useDHCP = lib.mkDefault true;\n"
    )
    for dev in sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else []:
        if dev != "lo":
            dhcp += f"  # networking.interfaces.{dev}.useDHCP = lib.mkDefault true;\n"

    def strings(items):
        return "".join(f' "{s}"' for s in uniq(items))

    hw = (
        "# Do not modify this file!  It was generated by ‘nixos-generate-config’\n"
        "# and may be overwritten by future invocations.  Please make changes\n"
        "# to /etc/nixos/configuration.nix instead.\n"
        "# (Written by the Tabula test stand-in of nixos-generate-config.)\n"
        "{ config, lib, pkgs, modulesPath, ... }:\n\n{\n"
        f"  imports ={multi_line_list('    ', imports)};\n\n"
        f"  boot.initrd.availableKernelModules = [{strings(initrd_available)} ];\n"
        "  boot.initrd.kernelModules = [ ];\n"
        f"  boot.kernelModules = [{strings(kernel_modules)} ];\n"
        "  boot.extraModulePackages = [ ];\n"
        f"{fs_and_swap}\n{dhcp}"
        + "".join(f"  {a}\n" for a in uniq(attrs))
        + "}\n"
    )
    if show:
        sys.stdout.write(hw)
        return 0
    out_dir = root_dir + out_dir if out_dir == "/etc/nixos" else os.path.abspath(out_dir).rstrip("/")
    os.makedirs(out_dir, mode=0o755, exist_ok=True)
    fn = f"{out_dir}/hardware-configuration.nix"
    print(f"writing {fn}...", file=sys.stderr)
    with open(fn, "w") as f:
        f.write(hw)
    fn = f"{out_dir}/configuration.nix"
    if force or not os.path.exists(fn):
        print(f"writing {fn}...", file=sys.stderr)
        if os.path.exists("/sys/firmware/efi/efivars"):
            loader = "  # Use the systemd-boot EFI boot loader.\n  boot.loader.systemd-boot.enable = true;\n  boot.loader.efi.canTouchEfiVariables = true;\n"
        else:
            loader = "  # Use the GRUB 2 boot loader.\n  boot.loader.grub.enable = true;\n  # boot.loader.grub.device = \"/dev/sda\"; # or \"nodev\" for efi only\n"
        with open(fn, "w") as f:
            f.write(
                "# A basic configuration written by the Tabula test stand-in of nixos-generate-config.\n"
                "{ config, lib, pkgs, ... }:\n\n{\n"
                "  imports = [ ./hardware-configuration.nix ];\n\n"
                f"{loader}\n"
                '  system.stateVersion = "25.11";\n}\n'
            )
    else:
        print(f"warning: not overwriting existing {fn}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
