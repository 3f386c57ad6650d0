# --- convert: bootloader (the new layout is assembled at TARGET) -------------------

# What LINK resolves to inside ROOT, as the system in ROOT reads it: an
# absolute link target is looked up under ROOT (a profile pointing at
# /nix/store/... means ROOT's store, never the LiveCD's). Follows the last
# component only (profile links: system -> system-3-link -> /nix/store/...).
# Prints the path as ROOT sees it, then "x" (a guard against lost newlines);
# fails when the chain is broken or loops.
#   tabula_resolve_in ROOT PATH
tabula_resolve_in() {
  local root=$1 path=$2 target n=0
  while [[ -L $root$path ]]; do
    ((n++ < 40)) || return 1
    target=$(readlink -- "$root$path" && printf x) || return 1
    target=${target%x}
    target=${target%$'\n'}
    if [[ $target != /* ]]; then target=${path%/*}/$target; fi
    path=$(realpath -m -s -- "$target" && printf x) || return 1
    path=${path%x}
    path=${path%$'\n'}
  done
  tabula_exists "$root$path" || return 1
  printf '%sx' "$path"
}

# The NixOS system phase prepare built (TABULA_DIR/result, TABULA_DIR
# relative to TARGET), as TARGET's system sees it; empty when there is none.
tabula_prepared_system() {
  local dir=$1 system
  system=$(tabula_resolve_in "$TARGET" "/$dir/result") || return 0
  printf '%s' "${system%x}"
}

# Checks the assembled layout before the bootloader is installed from it:
#   tabula_check_new_layout LAYOUT TABULA_DIR
# LAYOUT "hoist": the partition at TARGET/nix has store/ at its top and no
# nix/store; "own-nix": /nix is its own filesystem and the storage is
# mounted inside it. TABULA_DIR holds what prepare built (result).
tabula_check_new_layout() {
  local layout=${1:-hoist} dir=${2:-nix/.tabula} nix=$TARGET/nix system
  if tabula_dry_unseen "that $(tabula_q "$nix") has the new layout (store/ at its top, no nix/store) and holds the system phase prepare built."; then
    return 0
  fi
  if [[ $layout == hoist && -d $nix/nix/store ]]; then
    tabula_refuse "$(tabula_q "$nix/nix/store") exists: the partition still has the old layout. Run phase migrate first."
    return 0
  fi
  if [[ ! -d $nix/store ]]; then
    tabula_refuse "$(tabula_q "$nix/store") is missing: this is not a converted partition."
    return 0
  fi
  if ! tabula_exists "$nix/var/nix/profiles/system"; then
    tabula_refuse "$(tabula_q "$nix/var/nix/profiles/system") is missing: no NixOS system to install the bootloader from."
    return 0
  fi
  system=$(tabula_prepared_system "$dir")
  if [[ -z $system ]]; then
    tabula_refuse "$(tabula_q "$TARGET/$dir/result") does not lead to a system in this store: phase prepare builds the stateless system there. Run phase prepare of this plan on the old system first (from a reverted partition), or check --target."
    return 0
  fi
  if [[ ! -x $TARGET$system/bin/switch-to-configuration ]]; then
    tabula_refuse "$(tabula_q "$TARGET$system") (the system phase prepare built) has no bin/switch-to-configuration: it is not a NixOS system."
    return 0
  fi
  printf '      The system to boot: %s\n' "$(tabula_q "$system")"
}

# Marks the assembled root as NixOS, as nixos-install does: nixos-enter
# refuses a root without etc/NIXOS ("is not a NixOS installation"), and
# switch-to-configuration checks it too. The tmpfs forgets it at unmount;
# at boot NixOS makes it again. With STORAGE (the persistent storage as the
# new system sees it), /etc/machine-id becomes a link to the kept one, as
# impermanence's symlink method would make it: the systemd-boot installer
# reads it for its entries, and would otherwise make up a new one.
#   tabula_mark_nixos [STORAGE]
tabula_mark_nixos() {
  local storage=${1:-}
  if tabula_exists "$TARGET/etc/NIXOS"; then
    printf '      %s exists.\n' "$(tabula_q "$TARGET/etc/NIXOS")"
  else
    tabula_do mkdir -p -m 0755 -- "$TARGET/etc"
    tabula_do touch -- "$TARGET/etc/NIXOS"
  fi
  if [[ -n $storage ]] && tabula_exists "$TARGET$storage/etc/machine-id" && ! tabula_exists "$TARGET/etc/machine-id"; then
    tabula_do ln -s -- "$storage/etc/machine-id" "$TARGET/etc/machine-id"
  fi
}

# Points the system profile of the root at TARGET to SYSTEM (a store path as
# that root sees it) when it points elsewhere (say the old system was rebuilt
# after prepare), the way nixos-install sets it: nix-env --store. The
# bootloader then makes exactly that generation the default entry.
#   tabula_point_profile SYSTEM_OR_TABULA_DIR
tabula_point_profile() {
  local system=$1 profile=/nix/var/nix/profiles/system current
  if [[ $system != /nix/store/* ]]; then system=$(tabula_prepared_system "$system"); fi
  if ((TABULA_DRY_RUN)) && [[ -z $system ]]; then
    printf '      (dry run) the system profile is pointed at the system phase prepare built, if it points elsewhere.\n'
    return 0
  fi
  current=$(tabula_resolve_in "$TARGET" "$profile") || current=''
  current=${current%x}
  if [[ $current == "$system" ]]; then
    printf '      The system profile already points to %s.\n' "$(tabula_q "$system")"
    return 0
  fi
  tabula_do nix-env --store "$TARGET" -p "$TARGET$profile" --set "$system"
}

# Is the LUKS container NAME open (/dev/mapper/NAME exists)?
tabula_luks_open() {
  [[ -b /dev/mapper/$1 ]] || return 1
  printf '/dev/mapper/%s is open' "$1"
}

# Unmounts everything at and below MOUNTPOINT when it is mounted (a rerun
# after the unmount finds nothing to do).
tabula_unmount() {
  if mountpoint -q -- "$1" 2>/dev/null; then
    tabula_do umount -R -- "$1"
  else
    printf '      %s is not mounted.\n' "$(tabula_q "$1")"
  fi
}

# Is NAME an open LUKS mapping, as cryptsetup sees it?
tabula_luks_active() {
  cryptsetup status "$1" >/dev/null 2>&1 || return 1
  printf '/dev/mapper/%s is open' "$1"
}

# Closes the LUKS container NAME when cryptsetup knows it as open (a
# /dev/mapper node cryptsetup did not make is left alone).
tabula_close_luks() {
  if cryptsetup status "$1" >/dev/null 2>&1; then
    tabula_do cryptsetup close "$1"
  else
    printf '      /dev/mapper/%s is not an open LUKS mapping: nothing to close.\n' "$1"
  fi
}
