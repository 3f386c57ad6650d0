#!/usr/bin/env bash
# Builds the tree of a stand-in NixOS system toplevel, for nix-store --add.
#
#   make-system.sh OUT CONFIG_JSON     make the folder OUT (it must not exist)
#   make-system.sh --name CONFIG_JSON  print the toplevel's name, nixos-system-HOST-VERSION
#
# CONFIG_JSON is what eval/eval.nix reports. OUT gets what a real toplevel
# has and the stand-ins use (nixos/modules/system/activation/top-level.nix):
#   bin/switch-to-configuration, activate       the stand-ins in ../system
#   kernel, initrd                               small regular files whose
#                                                contents depend on the configuration
#   init, kernel-params, nixos-version, system, init-interface-version
#   etc/os-release, sw/bin/bash (-> /bin/bash, for nixos-enter -c), specialisation/
#   tabula-standin/config.json                   the evaluated options
#   tabula-standin/install-bootloader, standin_log.py, kernel-version
# The system is self-contained: it runs with bash, python3 and coreutils
# (inside nixos-enter, the host's, bind-mounted).
set -euo pipefail
here=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")" && pwd)
version=${TABULA_STANDIN_NIXOS_VERSION:-25.11.00000000.tabula}
kernel_version=6.12.0-tabula-standin

name_of() {
  python3 - "$1" "$version" <<'PY'
import json, re, sys
host = json.load(open(sys.argv[1]))["networking"]["hostName"]
name = f"nixos-system-{host}-{sys.argv[2]}"
if not re.fullmatch(r"[A-Za-z0-9+\-._?=]+", name):
    sys.exit(f"make-system.sh: {name!r} is not a valid store path name")
print(name)
PY
}

if [[ ${1:-} == --name ]]; then
  name_of "${2:?make-system.sh --name CONFIG_JSON}"
  exit 0
fi
out=${1:?usage: make-system.sh OUT CONFIG_JSON}
config=${2:?usage: make-system.sh OUT CONFIG_JSON}
[[ ! -e $out ]] || {
  echo "make-system.sh: $out exists" >&2
  exit 1
}
name_of "$config" >/dev/null
digest=$(sha256sum <"$config" | cut -c1-32)

mkdir -p -- "$out/bin" "$out/etc" "$out/sw/bin" "$out/specialisation" "$out/tabula-standin"
cp -- "$here/system/switch-to-configuration" "$out/bin/switch-to-configuration"
cp -- "$here/system/activate" "$out/activate"
cp -- "$here/system/install-bootloader.py" "$out/tabula-standin/install-bootloader"
cp -- "$here/lib/standin_log.py" "$out/tabula-standin/standin_log.py"
cp -- "$config" "$out/tabula-standin/config.json"
printf '%s\n' "$kernel_version" >"$out/tabula-standin/kernel-version"
printf 'tabula stand-in kernel %s for configuration %s\n' "$kernel_version" "$digest" >"$out/kernel"
printf 'tabula stand-in initrd for configuration %s\n' "$digest" >"$out/initrd"
cat >"$out/init" <<'INIT'
#!/bin/sh
echo "tabula stand-in: this system's stage-2 init cannot boot anything" >&2
exit 1
INIT
python3 - "$config" >"$out/kernel-params" <<'PY'
import json, sys
params = json.load(open(sys.argv[1]))["boot"].get("kernelParams", [])
print(" ".join(["loglevel=4"] + params))
PY
printf '%s' "$version" >"$out/nixos-version"
printf 'x86_64-linux' >"$out/system"
printf 'systemd' >"$out/init-interface-version"
cat >"$out/etc/os-release" <<OSR
ANSI_COLOR="1;34"
BUILD_ID="$version"
ID=nixos
NAME=NixOS
PRETTY_NAME="NixOS $version (tabula stand-in)"
VERSION_ID="$(cut -d. -f1,2 <<<"$version")"
OSR
ln -s /bin/bash "$out/sw/bin/bash"
chmod 0755 "$out/bin/switch-to-configuration" "$out/activate" "$out/init" "$out/tabula-standin/install-bootloader"
