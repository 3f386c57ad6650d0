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

# Checks that this is the NixOS system the design converts:
#   tabula_check_prepare DEVICE CONFIG_DIR REL...
tabula_check_prepare() {
  local device=$1 config=$2 root fstype
  shift 2
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
  if [[ ! -f $config/flake.nix ]]; then
    tabula_refuse "$(tabula_q "$config/flake.nix") is missing: convert.configDir must be the folder of the system's flake."
    return 0
  fi
  tabula_check_on_mount / "$@"
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
tabula_apply_flake_patch() {
  local config=$1 patch=$2
  if [[ ! -f $patch ]]; then
    if grep -q impermanence -- "$config/flake.nix" && grep -qF -- './nixos' "$config/flake.nix"; then
      printf '      %s already uses impermanence and ./nixos.\n' "$(tabula_q "$config/flake.nix")"
      return 0
    fi
    tabula_stop "Tabula could not write a patch for $(tabula_q "$config/flake.nix") (its shape is unusual). Make the changes flake-changes.md (next to this script) describes, then run this phase again."
    return 0
  fi
  if patch -R --dry-run -s -f -p1 -d "$config" <"$patch" >/dev/null 2>&1; then
    printf '      %s already has these changes.\n' "$(tabula_q "$config/flake.nix")"
    return 0
  fi
  if ! patch --dry-run -s -f -p1 -d "$config" <"$patch" >/dev/null 2>&1; then
    tabula_stop "flake.patch no longer applies to $(tabula_q "$config/flake.nix") (the file changed since the plan was made). Make the plan again, or apply flake-changes.md by hand."
    return 0
  fi
  # The backup never replaces a file of the user's: flake.nix.orig when that
  # name is free, else the next flake.nix.~N~. The backup style is spelled
  # out so VERSION_CONTROL or SIMPLE_BACKUP_SUFFIX in the environment cannot
  # change it.
  local backup=flake.nix.orig style=(--backup --version-control=simple --suffix=.orig) n=0 old saved
  if tabula_exists "$config/flake.nix.orig"; then
    # patch numbers it one past the highest flake.nix.~N~ there.
    saved=$(shopt -p nullglob || true)
    shopt -s nullglob
    for old in "$config"/flake.nix.~*~; do
      old=${old##*.~}
      old=${old%\~}
      if [[ $old =~ ^[0-9]+$ ]] && ((10#$old > n)); then n=$((10#$old)); fi
    done
    eval "$saved"
    backup=flake.nix.~$((n + 1))~
    style=(--backup --version-control=numbered)
  fi
  cat -- "$patch"
  tabula_consent "Apply the change above to $(tabula_q "$config/flake.nix") (the old file is kept as $backup)?"
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

