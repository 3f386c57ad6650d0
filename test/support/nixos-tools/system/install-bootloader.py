#!/usr/bin/env python3
"""Test stand-in for a NixOS system's bootloader installer (what
switch-to-configuration runs for `boot` and `switch`), copied into every
stand-in system as tabula-standin/install-bootloader.

    install-bootloader TOPLEVEL

It reads TOPLEVEL/tabula-standin/config.json (the evaluated options) and
does what the configured loader's builder does on disk, written after (not
copied from) these nixpkgs files:

  systemd-boot  nixos/modules/system/boot/loader/systemd-boot/systemd-boot-builder.py
                and systemd-boot.nix (checkMountpoints): the ESP must be a
                mount point; `bootctl install` (NIXOS_INSTALL_BOOTLOADER=1)
                needs vfat and the ESP partition type, else `bootctl status`
                must find an installed systemd-boot; one
                loader/entries/nixos-generation-N.conf per system-N-link,
                kernel and initrd copied to EFI/nixos/<store dir>-<name>.efi,
                loader/loader.conf's default = the generation whose init
                belongs to TOPLEVEL.
  grub          nixos/modules/system/boot/loader/grub/install-grub.pl: per
                mirroredBoots path, <path>/grub/grub.cfg with the paths GRUB
                sees, from /proc/self/mountinfo (GetFs / GrubFs: the longest
                mount point holding the directory, blkid's UUID for
                `search --fs-uuid`, the path below the mount point, the btrfs
                subvolume's path from `btrfs subvol show`); kernels copied to
                <path>/kernels when /boot and /nix/store differ in st_dev or
                copyKernels; grub-install when the state file differs or
                NIXOS_INSTALL_BOOTLOADER=1.

What it does NOT do: run bootctl or grub-install (they are recorded in
$TABULA_STANDIN_LOG; bootctl install writes two placeholder files marked
as such, so that a later `bootctl status` check can find them), touch EFI
variables, handle specialisations, system-profiles or xbootldr.
TABULA_STANDIN_ESP_ANY_FS=1 accepts an ESP that is not vfat (this kernel
cannot mount vfat) and records that it did.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.realpath(__file__))
ESP_TYPE = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
PLACEHOLDER = "tabula stand-in placeholder for {}: not a bootloader\n"
PROFILES = "/nix/var/nix/profiles"
GRUB_STATE_NAME = "grub"
GRUB_STATE_VERSION = "2.12-tabula-standin"


class Fail(Exception):
    pass


def log(tool, argv=(), **facts):
    if not os.environ.get("TABULA_STANDIN_LOG"):
        return
    args = [sys.executable, os.path.join(HERE, "standin_log.py"), tool]
    args += [f"{k}:={json.dumps(v)}" for k, v in facts.items()]
    args += ["--", *argv]
    subprocess.run(args, check=False)


def any_fs():
    return os.environ.get("TABULA_STANDIN_ESP_ANY_FS") == "1"


def install_requested():
    if os.environ.get("NIXOS_INSTALL_GRUB") == "1":
        print("warning: NIXOS_INSTALL_GRUB env var deprecated, use NIXOS_INSTALL_BOOTLOADER", file=sys.stderr)
        os.environ["NIXOS_INSTALL_BOOTLOADER"] = "1"
    return os.environ.get("NIXOS_INSTALL_BOOTLOADER") == "1"


def run(args):
    return subprocess.run(args, capture_output=True, text=True, check=False)


def findmnt(path, column):
    r = run(["findmnt", "-n", "-o", column, "--mountpoint", path])
    return r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else None


def generations():
    """system-N-link in the profiles folder, oldest first (what
    `nix-env --list-generations -p /nix/var/nix/profiles/system` lists)."""
    found = []
    try:
        names = os.listdir(PROFILES)
    except FileNotFoundError:
        return []
    for name in names:
        m = re.fullmatch(r"system-(\d+)-link", name)
        if m:
            found.append(int(m.group(1)))
    return sorted(found)


def gen_dir(n):
    return f"{PROFILES}/system-{n}-link"


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def bootspec(directory):
    """The fields `bootspec synthesize` takes from a generation without boot.json."""
    top = os.path.realpath(directory)
    return {
        "init": top + "/init",
        "kernel": os.path.realpath(directory + "/kernel"),
        "initrd": os.path.realpath(directory + "/initrd"),
        "kernelParams": read(directory + "/kernel-params").split(),
        "label": "NixOS {} (Linux {})".format(
            read(directory + "/nixos-version").strip() or "unknown",
            read(directory + "/tabula-standin/kernel-version").strip() or "unknown",
        ),
    }


# --- systemd-boot ------------------------------------------------------------


def efi_name(store_file):
    return "/EFI/nixos/{}-{}.efi".format(
        os.path.basename(os.path.dirname(store_file)), os.path.basename(store_file)
    )


def machine_id():
    try:
        with open("/etc/machine-id") as f:
            # As the builder: the first line, newline included.
            return f.readlines()[0]
    except FileNotFoundError:
        # systemd-machine-id-setup --print initializes /etc/machine-id.
        mid = uuid.uuid4().hex
        try:
            with open("/etc/machine-id", "w") as f:
                f.write(mid + "\n")
        except OSError:
            pass
        return mid


def bootctl_install(esp, flags, facts):
    argv = ["bootctl", f"--esp-path={esp}", *flags, "install"]
    fstype = findmnt(esp, "FSTYPE")
    source = findmnt(esp, "SOURCE")
    part_type = run(["blkid", "-p", "-o", "value", "-s", "PART_ENTRY_TYPE", source or "/nonexistent"]).stdout.strip()
    facts.update(espFsType=fstype, espSource=source, espPartType=part_type or None, espAnyFs=False)
    problem = None
    if fstype != "vfat":
        problem = f'File system "{esp}" is not a FAT EFI System Partition (ESP) file system.'
    elif part_type.lower() != ESP_TYPE:
        problem = f'File system "{source}" has wrong type for an EFI System Partition (ESP).'
    if problem and any_fs():
        facts["espAnyFs"] = True
        facts["espProblemAccepted"] = problem
        problem = None
    log("bootctl", argv, esp=esp, fsType=fstype, source=source, accepted=facts["espAnyFs"], refused=problem)
    if problem:
        print(problem, file=sys.stderr)
        raise Fail(f"Command '{argv}' returned non-zero exit status 1.")
    for rel in ("EFI/systemd/systemd-bootx64.efi", "EFI/BOOT/BOOTX64.EFI"):
        path = os.path.join(esp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(PLACEHOLDER.format("systemd-boot " + rel))
    print(f'Created "{esp}/EFI/systemd/systemd-bootx64.efi" (test stand-in placeholder).', file=sys.stderr)


def bootctl_status(esp, facts):
    log("bootctl", ["bootctl", f"--esp-path={esp}", "status"], esp=esp)
    for rel in ("EFI/systemd/systemd-bootx64.efi", "EFI/BOOT/BOOTX64.EFI"):
        if os.path.isfile(os.path.join(esp, rel)):
            facts["installedFound"] = rel
            return
    raise Fail("could not find any previously installed systemd-boot")


def systemd_boot(config, default_config, facts):
    loader = config["boot"]["loader"]
    esp = loader["efi"]["efiSysMountPoint"]
    sd = loader["systemd-boot"]
    facts.update(loader="systemd-boot", esp=esp)
    if run(["findmnt", esp]).returncode != 0:
        print(f"efiSysMountPoint = '{esp}' is not a mounted partition. Is the path configured correctly?", file=sys.stderr)
        raise Fail(None)
    mid = machine_id()
    facts["machineId"] = mid.strip()
    flags = [] if loader["efi"]["canTouchEfiVariables"] else ["--no-variables"]
    loader_conf = f"{esp}/loader/loader.conf"
    if install_requested():
        facts["bootctl"] = "install"
        if os.path.exists(loader_conf):
            os.unlink(loader_conf)
        bootctl_install(esp, flags, facts)
    else:
        facts["bootctl"] = "status"
        bootctl_status(esp, facts)
    os.makedirs(f"{esp}/EFI/nixos", exist_ok=True)
    os.makedirs(f"{esp}/loader/entries", exist_ok=True)

    gens = generations()
    limit = sd.get("configurationLimit") or 0
    if limit:
        gens = gens[-limit:]
    known = set()
    for n in gens:
        spec = bootspec(gen_dir(n))
        known.add(efi_name(spec["kernel"]))
        known.add(efi_name(spec["initrd"]))
    entry_re = re.compile(r"^nixos.*-generation-([0-9]+)(-specialisation-.*)?\.conf$")
    for name in sorted(os.listdir(f"{esp}/loader/entries")):
        m = entry_re.match(name)
        if m and re.match(r"^nixos.*-generation-[1-9]", name) and int(m.group(1)) not in gens:
            os.unlink(f"{esp}/loader/entries/{name}")
    for name in os.listdir(f"{esp}/EFI/nixos"):
        path = f"{esp}/EFI/nixos/{name}"
        if f"/EFI/nixos/{name}" not in known and not os.path.isdir(path):
            os.unlink(path)

    entries, default = [], None
    for n in gens:
        directory = gen_dir(n)
        spec = bootspec(directory)
        kernel, initrd = efi_name(spec["kernel"]), efi_name(spec["initrd"])
        for src, dst in ((spec["kernel"], kernel), (spec["initrd"], initrd)):
            if not os.path.exists(esp + dst):
                shutil.copyfile(src, esp + dst)
        built = datetime.datetime.fromtimestamp(int(os.path.getctime(directory))).strftime("%F")
        text = (
            "title NixOS\n"
            "sort-key nixos\n"
            f"version Generation {n} {spec['label']}, built on {built}\n"
            f"linux {kernel}\n"
            f"initrd {initrd}\n"
            f"options init={spec['init']} {' '.join(spec['kernelParams'])}\n"
            # The builder writes the line it read, newline included.
            f"machine-id {mid}\n"
        )
        entry = f"{esp}/loader/entries/nixos-generation-{n}.conf"
        with open(entry + ".tmp", "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.rename(entry + ".tmp", entry)
        entries.append({"generation": n, "file": entry, "linux": kernel, "initrd": initrd})
        if os.path.dirname(spec["init"]) == default_config:
            default = n
            with open(loader_conf + ".tmp", "w") as f:
                if loader.get("timeout") is not None:
                    f.write(f"timeout {loader['timeout']}\n")
                f.write(f"default nixos-generation-{n}.conf\n")
                if not sd["editor"]:
                    f.write("editor 0\n")
                f.write(f"console-mode {sd['consoleMode']}\n")
                f.flush()
                os.fsync(f.fileno())
            os.rename(loader_conf + ".tmp", loader_conf)
    os.makedirs(f"{esp}/EFI/nixos/.extra-files", exist_ok=True)
    facts.update(entries=entries, defaultGeneration=default)
    os.sync()


# --- grub --------------------------------------------------------------------


def perl_split(s):
    parts = s.split("/")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def path_in_mount(path, mount):
    split_mount, split_path = perl_split(mount), perl_split(path)
    if len(split_path) < len(split_mount):
        return False
    return all(split_mount[i] == split_path[i] for i in range(len(split_mount)))


def get_fs(directory):
    best = {"device": "", "type": "", "mount": ""}
    with open("/proc/self/mountinfo") as f:
        lines = f.read().splitlines()
    for line in lines:
        fields = line.split(" ")
        mount_point = fields[4]
        if not os.path.isdir(mount_point):
            continue
        mount_options = fields[5].split(",")
        n = 6
        while fields[n] != "-":
            n += 1
        n += 1
        fs_type, device, super_options = fields[n], fields[n + 1], fields[n + 2].split(",")
        if mount_point == "/nix/store" and "rw" in super_options and "ro" in mount_options:
            continue
        if fs_type == "autofs":
            continue
        if not path_in_mount(directory, mount_point):
            continue
        if len(mount_point) > len(best["mount"]):
            best = {"device": device, "type": fs_type, "mount": mount_point}
    return best


class GrubFs:
    drive = 1

    def __init__(self, directory):
        fs = get_fs(directory)
        path = directory[len(fs["mount"]):]
        if not path.startswith("/"):
            path = "/" + path
        r = run(["blkid", "-o", "export", fs["device"]])
        if r.returncode != 0:
            raise Fail(f"Failed to get blkid info for {fs['mount']} on {fs['device']}")
        m = re.search(r"^UUID=([^\n]*)", r.stdout, re.M)
        if not m:
            raise Fail(f"Couldn't find a --fs-uuid for {fs['device']}")
        search = "--fs-uuid " + m.group(1)
        self.subvolume = None
        if fs["type"] == "btrfs":
            r = run(["btrfs", "subvol", "show", fs["mount"]])
            if r.returncode != 0:
                raise Fail(f"Failed to retrieve subvolume info for {fs['mount']}")
            if re.match(r"^(?!/\n).*Subvolume ID:[ \t\n]*([0-9]+)", r.stdout, re.S):
                self.subvolume = r.stdout.split("\n", 1)[0]
                path = "/" + self.subvolume + path
        self.fs = fs
        self.uuid = m.group(1)
        self.search = f"search --set=drive{GrubFs.drive} " + search
        self.path = f"($drive{GrubFs.drive})" + path
        GrubFs.drive += 1


def grub_install(argv, **facts):
    log("grub-install", argv, **facts)


def install_grub_mirror(config, default_config, mirror, facts_out):
    grub = config["boot"]["loader"]["grub"]
    efi = config["boot"]["loader"]["efi"]
    boot_path = mirror["path"]
    efi_mount = mirror.get("efiSysMountPoint") or boot_path
    devices = mirror.get("devices") or []
    GrubFs.drive = 1
    print("updating GRUB 2 menu...", file=sys.stderr)
    os.makedirs(f"{boot_path}/grub", mode=0o700, exist_ok=True)
    copy_kernels = bool(grub.get("copyKernels"))
    if os.stat(boot_path).st_dev != os.stat("/nix/store").st_dev:
        copy_kernels = True
    grub_boot = GrubFs(boot_path)
    grub_store = None if copy_kernels else GrubFs("/nix/store")

    conf = "# Automatically generated by the Tabula test stand-in of install-grub.pl.\n"
    if grub_store:
        conf += grub_store.search + "\n"
    conf += grub_boot.search + "\n"
    conf += "set default=0\nset timeout={}\n\n".format(config["boot"]["loader"].get("timeout") or 5)
    copied, entries = set(), []
    if copy_kernels:
        os.makedirs(f"{boot_path}/kernels", mode=0o755, exist_ok=True)

    def to_kernels_dir(path):
        if not copy_kernels:
            return grub_store.path + path[len("/nix/store"):]
        m = re.match(r"/nix/store/(.*)", path)
        if not m:
            raise Fail(f"{path} is not in /nix/store")
        name = m.group(1).replace("/", "-")
        dst = f"{boot_path}/kernels/{name}"
        if not os.path.exists(dst):
            shutil.copyfile(path, dst + ".tmp")
            os.rename(dst + ".tmp", dst)
        copied.add(dst)
        return grub_boot.path + "/kernels/" + name

    def add_entry(name, path):
        nonlocal conf
        if not (os.path.exists(path + "/kernel") and os.path.exists(path + "/initrd")):
            return
        kernel = to_kernels_dir(os.path.realpath(path + "/kernel"))
        initrd = to_kernels_dir(os.path.realpath(path + "/initrd"))
        params = "systemConfig={} init={} {}".format(
            os.path.realpath(path), os.path.realpath(path + "/init"), read(path + "/kernel-params").rstrip("\n")
        )
        conf += f'menuentry "{name}" {{\n{grub_boot.search}\n'
        if grub_store:
            conf += grub_store.search + "\n"
        conf += f"  linux {kernel} {params}\n  initrd {initrd}\n}}\n\n"
        entries.append({"name": name, "path": path, "linux": kernel, "initrd": initrd})

    add_entry("NixOS - Default", default_config)
    conf += 'submenu "NixOS - All configurations" {\n'
    limit = grub.get("configurationLimit") or 100
    for n in list(reversed(generations()))[:limit]:
        link = gen_dir(n)
        if not os.path.exists(link + "/nixos-version"):
            print(f"skipping corrupt system profile entry ‘{link}’", file=sys.stderr)
            continue
        date = datetime.datetime.fromtimestamp(os.lstat(link).st_mtime).strftime("%F")
        version = read(link + "/nixos-version").strip()
        add_entry(f"NixOS - Configuration {n} ({date} - {version})", link)
    conf += "}\n"
    cfg_file = f"{boot_path}/grub/grub.cfg"
    with open(cfg_file + ".tmp", "w") as f:
        f.write(conf)
    os.rename(cfg_file + ".tmp", cfg_file)
    if copy_kernels:
        for name in os.listdir(f"{boot_path}/kernels"):
            path = f"{boot_path}/kernels/{name}"
            if path not in copied:
                print(f"removing obsolete file {path}", file=sys.stderr)
                os.unlink(path)

    has_bios = devices != ["nodev"]
    has_efi = bool(grub.get("efiSupport"))
    efi_target = "both" if has_bios and has_efi else "no" if has_bios else "only" if has_efi else "neither"
    state_file = f"{boot_path}/grub/state"
    previous = read(state_file).split("\n")
    wanted = [GRUB_STATE_NAME, GRUB_STATE_VERSION, efi_target, ",".join(devices), efi_mount]
    require = previous[:5] != wanted or install_requested()
    installs = []
    if require and efi_target in ("no", "both"):
        for dev in devices:
            if dev == "nodev":
                continue
            print(f"installing the GRUB 2 boot loader on {dev}...", file=sys.stderr)
            argv = ["grub-install", "--recheck", "--root-directory=/tmp/install-grub-standin", "--target=i386-pc", os.path.realpath(dev)]
            ok = os.path.exists(dev)
            grub_install(argv, target="i386-pc", device=dev, bootDirectory=boot_path, efiDirectory=None, refused=None if ok else "no such device")
            installs.append(argv)
            if not ok:
                print(f"grub-install: error: cannot find a GRUB drive for {dev}.  Check your device.map.", file=sys.stderr)
                raise Fail(f"install-grub.pl: installation of GRUB on {dev} failed")
    if require and efi_target in ("only", "both"):
        print(f"installing the GRUB 2 EFI boot loader into {efi_mount}...", file=sys.stderr)
        argv = ["grub-install", "--recheck", "--target=x86_64-efi", f"--boot-directory={boot_path}", f"--efi-directory={efi_mount}"]
        if efi["canTouchEfiVariables"]:
            argv.append("--bootloader-id=" + (mirror.get("efiBootloaderId") or "NixOS" + efi_mount.replace("/", "-")))
        else:
            argv.append("--no-nvram")
        if grub.get("efiInstallAsRemovable"):
            argv.append("--removable")
        fstype = findmnt(efi_mount, "FSTYPE")
        problem = None if fstype == "vfat" else f"grub-install: error: {efi_mount} doesn't look like an EFI partition."
        accepted = bool(problem) and any_fs()
        grub_install(argv, target="x86_64-efi", device=None, bootDirectory=boot_path, efiDirectory=efi_mount,
                     efiFsType=fstype, espAnyFs=accepted, refused=None if accepted else problem)
        installs.append(argv)
        if problem and not accepted:
            print(problem, file=sys.stderr)
            raise Fail(f"install-grub.pl: installation of GRUB EFI into {efi_mount} failed")
    if require:
        with open(state_file, "w") as f:
            f.write("\n".join(wanted) + "\n")
    facts_out.append({
        "bootPath": boot_path,
        "grubCfg": cfg_file,
        "copyKernels": copy_kernels,
        "boot": {"search": grub_boot.search, "path": grub_boot.path, "mount": grub_boot.fs["mount"], "subvolume": grub_boot.subvolume},
        "store": None if not grub_store else {"search": grub_store.search, "path": grub_store.path, "mount": grub_store.fs["mount"], "device": grub_store.fs["device"], "uuid": grub_store.uuid, "subvolume": grub_store.subvolume},
        "entries": entries,
        "grubInstall": installs,
        "efiTarget": efi_target,
    })


def install_grub(config, default_config, facts):
    mirrors = config["boot"]["loader"]["grub"]["mirroredBoots"]
    facts["loader"] = "grub"
    if not mirrors:
        raise Fail("You must set the option ‘boot.loader.grub.devices’ or 'boot.loader.grub.mirroredBoots' to make the system bootable.")
    facts["mirrors"] = []
    for mirror in mirrors:
        install_grub_mirror(config, default_config, mirror, facts["mirrors"])


def main(argv):
    if len(argv) != 1:
        print("usage: install-bootloader TOPLEVEL", file=sys.stderr)
        return 2
    default_config = os.path.realpath(argv[0])
    with open(os.path.join(default_config, "tabula-standin/config.json")) as f:
        config = json.load(f)
    which = config["system"]["build"]["installBootLoader"]
    facts = {"toplevel": default_config, "install": install_requested()}
    status = 0
    try:
        if which == "systemd-boot":
            systemd_boot(config, default_config, facts)
        elif which == "grub":
            install_grub(config, default_config, facts)
        else:
            facts["loader"] = "none"
            print("Warning: do not know how to make this configuration bootable; please enable a boot loader.", file=sys.stderr)
    except Fail as failure:
        if failure.args and failure.args[0]:
            print(failure.args[0], file=sys.stderr)
        facts["failed"] = failure.args[0] if failure.args else None
        status = 1
    log("install-bootloader", argv, **facts)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
