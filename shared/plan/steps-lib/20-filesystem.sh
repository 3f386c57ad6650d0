# --- small filesystem facts -------------------------------------------------------

# Is there anything at PATH, even a dangling symlink?
tabula_exists() { [[ -e $1 || -L $1 ]]; }

# The device a mount source names, without a btrfs "[/subvol]" suffix, resolved.
tabula_resolve_device() {
  local source=${1%%\[*}
  readlink -f -- "$source" 2>/dev/null || printf '%s' "$source"
}

# Is MOUNTPOINT mounted, and from WHAT (a device path, or a filesystem type such as tmpfs)?
tabula_is_mounted() {
  local mountpoint=$1 what=$2 source fstype
  source=$(findmnt -n -o SOURCE --mountpoint "$mountpoint" 2>/dev/null | head -n 1) || return 1
  [[ -n $source ]] || return 1
  fstype=$(findmnt -n -o FSTYPE --mountpoint "$mountpoint" | head -n 1)
  if [[ $what == /* ]]; then
    [[ $(tabula_resolve_device "$source") == "$(tabula_resolve_device "$what")" ]] || return 1
  else
    [[ $fstype == "$what" ]] || return 1
  fi
  printf '%s is mounted (%s, %s)' "$(tabula_q "$mountpoint")" "$source" "$fstype"
}

tabula_not_mounted() {
  if mountpoint -q -- "$1" 2>/dev/null; then return 1; fi
  printf '%s is not mounted' "$(tabula_q "$1")"
}

# Guard: was --target given (it is already mounted there; Tabula mounts
# nothing)? WHY, when given, replaces that explanation.
tabula_target_given() {
  ((TABULA_TARGET_GIVEN)) || return 1
  printf -- '--target was given: %s' "${1:-it is already mounted there, so Tabula mounts and unmounts nothing}"
}

# Refuses to mount at MOUNTPOINT when something else is mounted there already.
tabula_check_mount_point() {
  local mountpoint=$1 source
  if [[ -e $mountpoint && ! -d $mountpoint ]]; then
    tabula_refuse "$(tabula_q "$mountpoint") exists and is not a folder: choose another --target."
    return 0
  fi
  if mountpoint -q -- "$mountpoint" 2>/dev/null; then
    source=$(findmnt -n -o SOURCE --mountpoint "$mountpoint" | head -n 1)
    tabula_refuse "$(tabula_q "$mountpoint") is already a mount point (of $source). If a previous run of this plan stopped after mounting it, run phase bootloader (or unmount it first: umount -R $(tabula_q "$mountpoint")); otherwise choose another --target."
    return 0
  fi
}

# Refuses when DEVICE holds the running system's root (a phase meant for the LiveCD).
tabula_check_not_running_root() {
  local device=$1 root
  root=$(findmnt -n -o SOURCE --mountpoint / 2>/dev/null | head -n 1)
  if [[ -n $root && $(tabula_resolve_device "$root") == "$(tabula_resolve_device "$device")" ]]; then
    tabula_refuse "$device is the root filesystem of the system running now. This phase must run from the LiveCD, with that partition unmounted."
    return 0
  fi
}

# Refuses a TARGET that is the running system's own root folder under
# another name (a bind mount of /, or a link to it): --target skips the
# mount step's device check, and moving the running root aside would pull it
# out from under the system.
tabula_check_target_not_root() {
  if [[ -d $TARGET && $(stat -L -c %d:%i -- "$TARGET") == "$(stat -L -c %d:%i -- /)" ]]; then
    tabula_refuse "$(tabula_q "$TARGET") is the root folder of the system running now (the same folder as /). This phase must run from the LiveCD, on the partition mounted elsewhere."
    return 0
  fi
}

# The first mount point below TARGET (empty when there is none): a rename
# across a mount would copy.
tabula_mount_inside() {
  local m first=''
  while IFS= read -r m; do
    m=$(printf '%b' "$m")
    case $m in "$TARGET"/*)
      first=$m
      break
      ;;
    esac
  done < <(findmnt -rn -o TARGET)
  printf '%s' "$first"
}

# Does TARGET/.tabula/migration.json belong to this plan?
tabula_migration_is_ours() {
  local json=$TARGET/.tabula/migration.json
  [[ -f $json ]] && grep -qF -- "\"planId\": \"$TABULA_PLAN_ID\"" "$json"
}

# Both paths' folders on one filesystem (same st_dev: also tells btrfs
# subvolumes apart), so mv renames and never copies.
tabula_same_fs() {
  local from=$1 to=$2 devs
  if [[ ! -d $from || ! -d $to ]]; then
    if ((TABULA_DRY_RUN)); then return 0; fi
    tabula_stop "$(tabula_q "$from") or $(tabula_q "$to") is not a folder."
    return 0
  fi
  devs=$(stat -c %d -- "$from" "$to")
  if [[ ${devs%%$'\n'*} != "${devs##*$'\n'}" ]]; then
    tabula_stop "$(tabula_q "$from") and $(tabula_q "$to") are on different filesystems (or btrfs subvolumes). Tabula only moves by renaming inside one filesystem, so it stops instead of copying."
    return 0
  fi
}

# coreutils 9.3+ (the LiveCD's) can forbid mv's copy-and-delete fallback,
# which would otherwise kick in if rename(2) failed with EXDEV although both
# folders share a st_dev (project quotas, overlayfs). Older mv lacks the flag;
# there tabula_same_fs is the only guard.
TABULA_MV_NO_COPY=()
if mv --help 2>/dev/null | grep -q -e '--no-copy'; then TABULA_MV_NO_COPY=(--no-copy); fi

# Moves SRC to DST with one rename. DST must not exist: nothing is overwritten.
tabula_move() {
  local src=$1 dst=$2
  if ! tabula_exists "$src"; then
    if ((!TABULA_DRY_RUN)); then tabula_stop "$(tabula_q "$src") disappeared before it could be moved."; fi
    return 0
  fi
  if tabula_exists "$dst"; then
    tabula_stop "$(tabula_q "$dst") already exists; Tabula never overwrites. Move one of the two aside, then run again."
    return 0
  fi
  tabula_same_fs "${src%/*}" "${dst%/*}"
  if tabula_halted; then return 0; fi
  tabula_do mv "${TABULA_MV_NO_COPY[@]}" -T -- "$src" "$dst"
}

# Refuses when BASE/REL or any folder on the way to it below BASE is a
# symbolic link: what Tabula renames or writes there must stay on BASE's
# partition, and a link (absolute ones resolve on the LiveCD) leads elsewhere.
#   tabula_no_links BASE REL WHY
tabula_no_links() {
  local base=$1 rel=$2 why=$3 prefix='' rest=$2/ comp
  while [[ -n $rest ]]; do
    comp=${rest%%/*}
    rest=${rest#*/}
    prefix=${prefix:+$prefix/}$comp
    if [[ -L $base/$prefix ]]; then
      tabula_refuse "$(tabula_q "$base/$prefix") is a symbolic link (to $(tabula_q "$(readlink -- "$base/$prefix")")). $why"
      return 0
    fi
  done
}

# Creates, under TO, each parent folder of REL that exists under FROM, with
# FROM's owner and mode (outermost first). Already created ones get their
# owner and mode set again (a crash may have come between mkdir and chmod).
tabula_make_parents() {
  local from=$1 to=$2 rel=$3 prefix='' rest comp have
  rest=$rel
  while [[ $rest == */* ]]; do
    comp=${rest%%/*}
    rest=${rest#*/}
    prefix=${prefix:+$prefix/}$comp
    if [[ ! -d $from/$prefix || -L $from/$prefix ]]; then
      tabula_stop "$(tabula_q "$from/$prefix") is not a folder: cannot copy its owner and mode."
      return 0
    fi
    if ! tabula_exists "$to/$prefix"; then
      tabula_do mkdir -- "$to/$prefix"
      if ((TABULA_DRY_RUN)); then
        tabula_do chown --reference="$from/$prefix" -- "$to/$prefix"
        tabula_do chmod --reference="$from/$prefix" -- "$to/$prefix"
        tabula_copy_folder_extras "$from/$prefix" "$to/$prefix"
        continue
      fi
    elif [[ ! -d $to/$prefix || -L $to/$prefix ]]; then
      tabula_stop "$(tabula_q "$to/$prefix") exists and is not a folder."
      return 0
    fi
    have=$(stat -c '%u:%g:%a' -- "$from/$prefix" "$to/$prefix")
    if [[ ${have%%$'\n'*} != "${have##*$'\n'}" ]]; then
      tabula_do chown --reference="$from/$prefix" -- "$to/$prefix"
      tabula_do chmod --reference="$from/$prefix" -- "$to/$prefix"
    fi
    tabula_copy_folder_extras "$from/$prefix" "$to/$prefix"
  done
}

# Gives folder TO the ACLs (access and default: the default ones are what new
# files inside inherit) and extended attributes of folder FROM, which chown
# and chmod --reference leave behind. Does nothing when FROM has none, or
# when TO has them already (a rerun).
tabula_copy_folder_extras() {
  local from=$1 to=$2 want have line name
  if command -v getfacl >/dev/null && [[ -n $(getfacl -s -p -- "$from" 2>/dev/null) ]]; then
    want=$(getfacl -n -p -c -E -- "$from" | grep -v '^$' | paste -s -d, -)
    have=$(getfacl -n -p -c -E -- "$to" 2>/dev/null | grep -v '^$' | paste -s -d, -) || have=''
    if [[ $want != "$have" ]]; then tabula_do setfacl --set "$want" -- "$to"; fi
  fi
  command -v getfattr >/dev/null || return 0
  while IFS= read -r line; do
    name=${line%%=*}
    # The ACLs themselves are system.posix_acl_*: set above.
    if [[ -z $name || $line != *=* || $name == system.posix_acl_* ]]; then continue; fi
    if [[ $(getfattr -n "$name" -e hex --absolute-names -- "$to" 2>/dev/null | grep -v -e '^#' -e '^$') == "$line" ]]; then continue; fi
    tabula_do setfattr -n "$name" -v "${line#*=}" -- "$to"
  done < <(getfattr -d -m - -e hex --absolute-names -- "$from" 2>/dev/null | grep -v '^#')
}

# Creates the storage folder STORE (relative, e.g. "persistent") under BASE,
# root-owned, mode 0755, if missing.
tabula_make_storage() {
  local base=$1 store=$2 prefix='' rest comp
  rest=$store/
  while [[ $rest == */* && -n $rest ]]; do
    comp=${rest%%/*}
    rest=${rest#*/}
    prefix=${prefix:+$prefix/}$comp
    if ! tabula_exists "$base/$prefix"; then
      tabula_do mkdir -m 0755 -- "$base/$prefix"
    elif [[ ! -d $base/$prefix || -L $base/$prefix ]]; then
      tabula_stop "$(tabula_q "$base/$prefix") exists and is not a folder."
      return 0
    fi
  done
}

