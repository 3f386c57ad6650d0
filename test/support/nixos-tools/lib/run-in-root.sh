#!/usr/bin/env bash
# Runs a command chrooted in ROOT, in a private mount (and pid, uts)
# namespace, with what a NixOS target lacks on this Debian machine:
#
#   /dev, /sys       rbind mounts, as nixos-enter.sh makes them
#   /proc            a fresh procfs (NixOS's activation "specialfs" step
#                    mounts it in the real flow; install-grub.pl reads
#                    /proc/self/mountinfo from it)
#   /run             a tmpfs (specialfs too), holding
#     /run/tabula-standins        this nixos-tools folder, read-only; its
#                                 bin/ goes first on PATH
#     /run/tabula-standins.log    $TABULA_STANDIN_LOG, when set
#     /run/tabula-standins-ext/   $NIXPKGS_LIB and $IMPERMANENCE_SRC, when set
#   /usr /bin /lib /lib64         the host's, read-only (there is no real
#                                 activation to make /bin/sh and the
#                                 system's tools work), for those the host
#                                 has and ROOT has not as a symbolic link
#
# Mount points missing on ROOT are created (mkdir); after the command, those
# of /usr /bin /lib /lib64 that were created and are still empty are removed
# again (nixos-enter.sh and NixOS's activation leave /dev /sys /proc /run).
# Everything mounted vanishes with the namespace.
#
#   run-in-root.sh [--activate SYSTEM] [--silent] [--resolv-conf]
#                  [--current-system] [--unset-tmpdir] [--chdir DIR] ROOT -- COMMAND...
#
# --activate SYSTEM  run SYSTEM/activate chrooted first, as nixos-enter.sh
#                    does (errors ignored; output to stderr, or nowhere
#                    with --silent), then SYSTEM/sw/bin/systemd-tmpfiles
# --resolv-conf      bind the host's /etc/resolv.conf over ROOT's, creating
#                    an empty file first if needed (nixos-enter.sh does)
# --current-system   link /run/current-system to the system profile, as a
#                    booted system has it (runInSystem)
# --unset-tmpdir     unset TMPDIR before the command (nixos-enter.sh does)
# --chdir DIR        the working directory inside ROOT (default /)
# The exit status is the command's (chroot's 125-127 when it cannot run it).
set -euo pipefail

self=$(readlink -f -- "${BASH_SOURCE[0]}")
standins=$(cd -- "$(dirname -- "$self")/.." && pwd)

activate='' silent=0 resolv=0 current=0 unset_tmpdir=0 chdir=/ inner=0
while (($#)); do
  case $1 in
    --inner) inner=1 ;;
    --activate)
      activate=$2
      shift
      ;;
    --silent) silent=1 ;;
    --resolv-conf) resolv=1 ;;
    --current-system) current=1 ;;
    --unset-tmpdir) unset_tmpdir=1 ;;
    --chdir)
      chdir=$2
      shift
      ;;
    --)
      echo "run-in-root.sh: missing ROOT" >&2
      exit 2
      ;;
    *) break ;;
  esac
  shift
done
root=${1:?run-in-root.sh: missing ROOT}
shift
[[ ${1:-} == -- ]] || {
  echo "run-in-root.sh: expected -- before the command" >&2
  exit 2
}
shift
(($#)) || {
  echo "run-in-root.sh: missing the command" >&2
  exit 2
}

host_dirs=(usr bin lib lib64)

if ((!inner)); then
  if [[ $(id -u) != 0 ]]; then
    echo "run-in-root.sh: must be run as root (it mounts and chroots)" >&2
    exit 1
  fi
  root=$(readlink -f -- "$root")
  created=()
  for d in "${host_dirs[@]}"; do
    if [[ -e /$d && ! -e $root/$d && ! -L $root/$d ]]; then created+=("$d"); fi
  done
  again=()
  ((silent)) && again+=(--silent)
  ((resolv)) && again+=(--resolv-conf)
  ((current)) && again+=(--current-system)
  ((unset_tmpdir)) && again+=(--unset-tmpdir)
  [[ -n $activate ]] && again+=(--activate "$activate")
  status=0
  unshare --fork --mount --uts --pid --mount-proc --propagation private -- \
    bash "$self" --inner "${again[@]}" --chdir "$chdir" "$root" -- "$@" || status=$?
  for d in "${created[@]}"; do rmdir -- "$root/$d" 2>/dev/null || true; done
  exit "$status"
fi

# --- inside the namespace ----------------------------------------------------
mount --make-rprivate /

mkdir -p -- "$root/dev" "$root/sys" "$root/proc" "$root/run"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=0755 none "$root/run"

for d in "${host_dirs[@]}"; do
  [[ -e /$d ]] || continue
  [[ -L $root/$d ]] && continue
  mkdir -p -- "$root/$d"
  mount --rbind "/$d" "$root/$d"
  mount -o remount,bind,ro "$root/$d"
done

mkdir -p -- "$root/run/tabula-standins"
mount --bind "$standins" "$root/run/tabula-standins"
mount -o remount,bind,ro "$root/run/tabula-standins"
export PATH="/run/tabula-standins/bin:$PATH"

if [[ -n ${TABULA_STANDIN_LOG:-} ]]; then
  touch -- "$TABULA_STANDIN_LOG"
  : >"$root/run/tabula-standins.log"
  mount --bind "$TABULA_STANDIN_LOG" "$root/run/tabula-standins.log"
  export TABULA_STANDIN_LOG=/run/tabula-standins.log
fi
for pair in "NIXPKGS_LIB:nixpkgs.lib" "IMPERMANENCE_SRC:impermanence"; do
  var=${pair%%:*} name=${pair#*:}
  src=${!var:-}
  [[ -n $src && -d $src ]] || continue
  mkdir -p -- "$root/run/tabula-standins-ext/$name"
  mount --bind "$src" "$root/run/tabula-standins-ext/$name"
  mount -o remount,bind,ro "$root/run/tabula-standins-ext/$name"
  export "$var=/run/tabula-standins-ext/$name"
done

if ((resolv)) && [[ -e /etc/resolv.conf ]]; then
  # As nixos-enter.sh's chroot_add_resolv_conf (from arch-chroot).
  target=$root/etc/resolv.conf
  if [[ -L $target ]]; then
    link=$(readlink -- "$target")
    if [[ $link == /* ]]; then target=$root$link; else target=$root/etc/$link; fi
  fi
  if [[ ! -f $target ]]; then install -Dm644 /dev/null "$target" || true; fi
  mount --bind /etc/resolv.conf "$target" || echo "nixos-enter: failed to set up resolv.conf" >&2
fi

if ((current)) && chroot "$root" test -e /nix/var/nix/profiles/system; then
  chroot "$root" ln -sfn "$(chroot "$root" readlink -f /nix/var/nix/profiles/system)" /run/current-system
fi

if [[ -n $activate ]]; then
  (
    if ((silent)); then exec 2>/dev/null; fi
    LOCALE_ARCHIVE="$activate/sw/lib/locale/locale-archive" IN_NIXOS_ENTER=1 \
      chroot "$root" "$activate/activate" 1>&2 || true
    if [[ -x $root$activate/sw/bin/systemd-tmpfiles ]]; then
      chroot "$root" "$activate/sw/bin/systemd-tmpfiles" --create --remove -E 2>/dev/null || true
    else
      # Stand-in systems carry no systemd-tmpfiles: make the folders
      # NixOS's rules have it create (systemd's tmp.conf, "d /tmp 1777" and
      # "d /var/tmp 1777"), which a fresh tmpfs root lacks and nixos-rebuild
      # needs for its temporary files.
      chroot "$root" mkdir -m 1777 -p /tmp /var/tmp 2>/dev/null || true
    fi
  )
fi

if ((unset_tmpdir)); then unset TMPDIR; fi
if [[ $chdir == / ]]; then
  exec chroot "$root" "$@"
fi
exec chroot "$root" /bin/sh -c 'cd -- "$1" && shift && exec "$@"' sh "$chdir" "$@"
