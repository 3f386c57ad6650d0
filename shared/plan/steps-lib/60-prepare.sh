# --- prepare (running system) --------------------------------------------------------

# Refuses persisted paths (RELs, relative to "/") that are on a filesystem
# mounted somewhere other than MOUNT (the root filesystem: "/"). A separate
# /home partition stays mounted after the conversion, and an empty folder
# from the storage mounted over a path on it would hide what is there. A path
# that does not exist is judged by the folder it would be in.
#   tabula_check_on_mount MOUNT REL...
tabula_check_on_mount() {
  local mount=$1 rel path at source
  shift
  for rel in "$@"; do
    path=/$rel
    while ! tabula_exists "$path" && [[ $path == /*/* ]]; do path=${path%/*}; done
    # A link is where it is, not where it points (findmnt -T follows it).
    if [[ -L $path && $path == /*/* ]]; then path=${path%/*}; fi
    at=$(findmnt -n -o TARGET -T "$path" 2>/dev/null | head -n 1) || at=''
    if [[ -n $at && $at != "$mount" ]]; then
      source=$(findmnt -n -o SOURCE --mountpoint "$at" 2>/dev/null | head -n 1) || source=''
      tabula_refuse "/$(tabula_q "$rel") is on the filesystem mounted at $(tabula_q "$at")${source:+ ($source)}, not on the root filesystem: it stays mounted after the conversion, so persisting it would hide it behind an empty folder from the storage. Remove it from the design: it is kept already."
      return 0
    fi
  done
}

# Checks that this is the NixOS system the design converts, and that its
# layout is the one phase migrate will find (tabula_check_layout: the same
# list migrate runs again), before anything on the system changes:
#   tabula_check_prepare DEVICE CONFIG_TYPE CONFIG_DIR NIX_DEVICE STORE QUAR LAYOUT KEEP REL...
# NIX_DEVICE is the filesystem the system mounts at /nix when it has one of
# its own (LAYOUT own-nix), else "".
tabula_check_prepare() {
  local device=$1 type=$2 config=$3 nixdev=$4 store=$5 quar=$6 layout=$7 keep=$8 root fstype file
  shift 8
  if [[ ! -e /etc/NIXOS ]]; then
    tabula_refuse "this machine is not NixOS (/etc/NIXOS is missing): phase prepare runs on the NixOS system you are converting."
    return 0
  fi
  fstype=$(findmnt -n -o FSTYPE --mountpoint / | head -n 1)
  if [[ $fstype == tmpfs ]]; then
    tabula_refuse "/ is already a tmpfs: this system is stateless already. To bring missed state into storage, make a recover design instead."
    return 0
  fi
  root=$(findmnt -n -o SOURCE --mountpoint / | head -n 1)
  if [[ $(tabula_resolve_device "$root") != "$(tabula_resolve_device "$device")" ]]; then
    tabula_refuse "the root filesystem is $root, but the design converts $device. Check convert.device in the design."
    return 0
  fi
  file=flake.nix
  if [[ $type == configuration.nix ]]; then file=configuration.nix; fi
  if [[ ! -f $config/$file ]]; then
    if [[ $type == flake && -f $config/configuration.nix ]]; then
      tabula_refuse "$(tabula_q "$config/flake.nix") is missing, but $(tabula_q "$config/configuration.nix") is there: this system has no flake. Set convert.configType to \"configuration.nix\" in the design (Tabula's probe does), then make the plan again."
    else
      tabula_refuse "$(tabula_q "$config/$file") is missing: convert.configDir must be the folder of the system's configuration ($file)."
    fi
    return 0
  fi
  if [[ $layout == own-nix ]]; then
    local nixsource
    nixsource=$(findmnt -n -o SOURCE --mountpoint /nix 2>/dev/null | head -n 1) || nixsource=''
    if [[ -z $nixsource || $(tabula_resolve_device "$nixsource") != "$(tabula_resolve_device "$nixdev")" ]]; then
      tabula_refuse "the design says /nix is its own filesystem, $nixdev (convert.nix), but ${nixsource:-nothing} is mounted at /nix. Check convert.nix in the design."
      return 0
    fi
  fi
  tabula_check_layout "" "$store" "$quar" "$layout" "$keep" "$@"
  if tabula_halted; then return 0; fi
  tabula_check_on_mount / "$@"
}

# The impermanence module Tabula pins uses lib.modules.importApply, which
# nixpkgs has from 24.11 on: older systems would fail at the build with a
# Nix error. Asks the configuration's own nixpkgs (read-only), and refuses
# in a sentence when it lacks it; an evaluation that fails here is left to
# the build, which shows Nix's own message.
#   tabula_check_nixpkgs CONFIG_TYPE CONFIG_DIR FLAKE_ATTR
tabula_check_nixpkgs() {
  local type=$1 config=$2 attr=$3 answer
  if [[ $type == flake ]]; then
    printf '      + %s\n' "$(tabula_words nix --extra-experimental-features 'nix-command flakes' eval --no-write-lock-file --json "$config#nixosConfigurations.$attr.lib.modules" --apply 'm: m ? importApply')"
    answer=$(nix --extra-experimental-features 'nix-command flakes' eval --no-write-lock-file --json "$config#nixosConfigurations.$attr.lib.modules" --apply 'm: m ? importApply' 2>/dev/null) || answer=''
  else
    printf '      + %s\n' "$(tabula_words nix-instantiate --eval --expr '(import <nixpkgs/lib>).modules ? importApply')"
    answer=$(nix-instantiate --eval --expr '(import <nixpkgs/lib>).modules ? importApply' 2>/dev/null) || answer=''
  fi
  case $answer in
    true) printf '      Its nixpkgs has lib.modules.importApply (24.11 or later).\n' ;;
    false)
      tabula_refuse "the nixpkgs this configuration builds with is older than 24.11: it has no lib.modules.importApply, which the impermanence module Tabula pins needs. Update it first (the nixpkgs input of your flake, or the nixos channel: nix-channel --update, then nixos-rebuild switch), then run prepare again."
      return 0
      ;;
    *) printf '      (Could not ask the configuration'\''s nixpkgs; the build will tell.)\n' ;;
  esac
}

# Builds the new system without touching the bootloader: nixos-rebuild
# build, run in DIR so that its ./result link (a garbage-collector root)
# is DIR/result, which phase migrate and phase bootloader read.
#   tabula_build_system DIR NIXOS_REBUILD_ARGS...
tabula_build_system() {
  local dir=$1
  shift
  if ! tabula_exists "$dir"; then tabula_do mkdir -p -m 0700 -- "$dir"; fi
  tabula_do env -C "$dir" nixos-rebuild build "$@"
  if ((TABULA_DRY_RUN)); then return 0; fi
  if [[ ! -x $dir/result/bin/switch-to-configuration ]]; then
    tabula_stop "nixos-rebuild build left no system at $(tabula_q "$dir/result") (no bin/switch-to-configuration there): the build did not produce a NixOS system."
    return 0
  fi
  printf '      Built: %s\n' "$(readlink -- "$dir/result")"
}

# Points the system profile at the system tabula_build_system built, as
# nixos-rebuild boot does, but without installing the bootloader: the boot
# menu's default stays the old system until phase bootloader runs after the
# migration. The system the profile pointed to before is written to
# DIR/previous-system first: phase revert makes it the default again.
#   tabula_set_system_profile DIR
tabula_set_system_profile() {
  local dir=$1 profile=/nix/var/nix/profiles/system system current
  if ((TABULA_DRY_RUN)) && [[ ! -e $dir/result ]]; then
    printf '      + %s\n' "$(tabula_words nix-env -p "$profile" --set "$dir/result")"
    return 0
  fi
  system=$(readlink -f -- "$dir/result")
  current=$(readlink -f -- "$profile" 2>/dev/null) || current=''
  if [[ $current == "$system" ]]; then
    printf '      The system profile already points to %s.\n' "$(tabula_q "$system")"
    return 0
  fi
  if [[ -n $current ]]; then
    printf '      + printf %%s\\n %s > %s\n' "$(tabula_q "$current")" "$(tabula_q "$dir/previous-system")"
    if ((!TABULA_DRY_RUN)); then
      printf '%s\n' "$current" >"$dir/previous-system.tmp"
      sync -- "$dir/previous-system.tmp"
      mv -T -- "$dir/previous-system.tmp" "$dir/previous-system"
    fi
  fi
  tabula_do nix-env -p "$profile" --set "$system"
}

# Copies the file SRC to DST. A DST that is already there and differs is
# shown as a diff and replaced only with consent; the old one is kept as
# DST.~N~ (cp --backup=numbered). A new file gets its folder's owner.
tabula_install_file() {
  local file=$1 dst=$2
  if [[ -f $dst ]] && cmp -s -- "$file" "$dst"; then
    printf '      %s is up to date.\n' "$(tabula_q "$dst")"
    return 0
  fi
  if tabula_exists "$dst"; then
    diff -u -- "$dst" "$file" || true
    tabula_consent "Replace $(tabula_q "$dst") with the version above (the old one is kept as $(tabula_q "$dst").~N~)?"
    tabula_do cp --backup=numbered -- "$file" "$dst"
  else
    tabula_do cp -- "$file" "$dst"
  fi
  if [[ -d ${dst%/*} ]]; then tabula_do chown --reference="${dst%/*}" -- "$dst"; fi
}

# Copies the generated modules (SRC/*) into DST, each with tabula_install_file.
tabula_install_modules() {
  local src=$1 dst=$2 file saved
  if ! tabula_exists "$dst"; then
    tabula_do mkdir -p -- "$dst"
    if [[ -d ${dst%/*} ]]; then tabula_do chown --reference="${dst%/*}" -- "$dst"; fi
  fi
  saved=$(shopt -p nullglob || true)
  shopt -s nullglob
  local files=("$src"/*)
  eval "$saved"
  for file in "${files[@]}"; do
    [[ -f $file ]] || continue
    tabula_install_file "$file" "$dst/${file##*/}"
  done
}

# Makes new files in a git-tracked config visible to the flake (untracked files
# are invisible to it): git add --intent-to-add, run as the repository's owner.
tabula_git_track() {
  local config=$1 rel=$2 owner gitdir
  # Reading as root a repository someone else owns needs safe.directory
  # (git refuses "dubious ownership" otherwise); the change is made as the owner.
  if ! command -v git >/dev/null 2>&1 || ! git -c safe.directory='*' -C "$config" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    printf '      %s is not a git work tree: nothing to do.\n' "$(tabula_q "$config")"
    return 0
  fi
  gitdir=$(git -c safe.directory='*' -C "$config" rev-parse --absolute-git-dir)
  owner=$(stat -c %U -- "$gitdir")
  if [[ $owner == root || $owner == "$(id -un)" ]]; then
    tabula_do git -C "$config" add --intent-to-add -- "$rel"
  else
    tabula_do runuser -u "$owner" -- git -C "$config" add --intent-to-add -- "$rel"
  fi
}

# Applies flake.patch (a unified diff, paths a/flake.nix b/flake.nix) to the
# user's flake, after showing it and with consent; flake.nix.orig keeps the old one.
#   tabula_apply_flake_patch CONFIG PATCH [FILE]
# FILE (default flake.nix) is the file the patch changes: configuration.nix
# for a system without a flake (configuration.patch).
tabula_apply_flake_patch() {
  local config=$1 patch=$2 file=${3:-flake.nix}
  if [[ ! -f $patch ]]; then
    if grep -q impermanence -- "$config/$file" && grep -qF -- './nixos' "$config/$file"; then
      printf '      %s already uses impermanence and ./nixos.\n' "$(tabula_q "$config/$file")"
      return 0
    fi
    tabula_stop "Tabula could not write a patch for $(tabula_q "$config/$file") (its shape is unusual). Make the changes flake-changes.md (next to this script) describes, then run this phase again."
    return 0
  fi
  if patch -R --dry-run -s -f -p1 -d "$config" <"$patch" >/dev/null 2>&1; then
    printf '      %s already has these changes.\n' "$(tabula_q "$config/$file")"
    return 0
  fi
  if ! patch --dry-run -s -f -p1 -d "$config" <"$patch" >/dev/null 2>&1; then
    tabula_stop "${patch##*/} no longer applies to $(tabula_q "$config/$file") (the file changed since the plan was made). Make the plan again, or apply flake-changes.md by hand."
    return 0
  fi
  # The backup never replaces a file of the user's: FILE.orig when that
  # name is free, else the next FILE.~N~. The backup style is spelled
  # out so VERSION_CONTROL or SIMPLE_BACKUP_SUFFIX in the environment cannot
  # change it.
  local backup=$file.orig style=(--backup --version-control=simple --suffix=.orig) n=0 old saved
  if tabula_exists "$config/$file.orig"; then
    # patch numbers it one past the highest flake.nix.~N~ there.
    saved=$(shopt -p nullglob || true)
    shopt -s nullglob
    for old in "$config/$file".~*~; do
      old=${old##*.~}
      old=${old%\~}
      if [[ $old =~ ^[0-9]+$ ]] && ((10#$old > n)); then n=$((10#$old)); fi
    done
    eval "$saved"
    backup=$file.~$((n + 1))~
    style=(--backup --version-control=numbered)
  fi
  cat -- "$patch"
  tabula_consent "Apply the change above to $(tabula_q "$config/$file") (the old file is kept as $backup)?"
  printf '      + patch %s -p1 -d %s < %s\n' "${style[*]}" "$(tabula_q "$config")" "$(tabula_q "$patch")"
  ((TABULA_DRY_RUN)) || patch "${style[@]}" -p1 -d "$config" <"$patch"
}

# Writes SRC to DST atomically (copy beside, flush, rename).
tabula_write_atomic() {
  local src=$1 dst=$2
  if [[ -f $dst ]] && cmp -s -- "$src" "$dst"; then
    printf '      %s is up to date.\n' "$(tabula_q "$dst")"
    return 0
  fi
  tabula_do cp -- "$src" "$dst.tmp"
  tabula_do sync -- "$dst.tmp"
  tabula_do mv -T -- "$dst.tmp" "$dst"
}

# Copies the plan folder (this script and what it uses) to DST, so the LiveCD
# finds it on the partition.
tabula_copy_plan() {
  local dst=$1
  if [[ -d $dst ]] && diff -rq -- "$PLAN_DIR" "$dst" >/dev/null 2>&1; then
    printf '      %s is up to date.\n' "$(tabula_q "$dst")"
    return 0
  fi
  tabula_do mkdir -p -m 0700 -- "$dst"
  tabula_do cp -R -- "$PLAN_DIR"/. "$dst"/
}

