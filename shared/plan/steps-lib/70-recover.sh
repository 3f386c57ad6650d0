# --- recover ------------------------------------------------------------------------

# tabula_check_recover_live STORAGE REL...: on the running stateless system.
tabula_check_recover_live() {
  local storage=$1 rel
  shift
  if [[ $(findmnt -n -o FSTYPE --mountpoint / | head -n 1) != tmpfs ]]; then
    tabula_refuse "/ is not a tmpfs: this system is not stateless yet (convert it first)."
    return 0
  fi
  if [[ ! -d $storage ]]; then
    tabula_refuse "$(tabula_q "$storage") (persistent storage) does not exist on this system. Check persistence.storage in the design."
    return 0
  fi
  for rel in "$@"; do
    if mountpoint -q -- "/$rel" 2>/dev/null; then
      tabula_refuse "/$(tabula_q "$rel") is a mount point: it is probably persisted already. Remove it from recover.add."
      return 0
    fi
    if tabula_exists "$storage/$rel" && tabula_exists "/$rel" && ! tabula_same_copy "/$rel" "$storage/$rel"; then
      tabula_refuse "$(tabula_not_a_copy "/$rel" "$storage/$rel")"
      return 0
    fi
  done
}

# What cp -a keeps of a tree, one NUL-terminated record per entry:
# modification time (whole seconds: some filesystems keep no more), type,
# owner, mode, for non-folders size and link target (a folder's size depends
# on the filesystem), and the path. Sorted.
tabula_tree_facts() {
  {
    find "$1" -type d -printf '%T@\t%y\t%U:%G:%m\t%P\0'
    find "$1" ! -type d -printf '%T@\t%y\t%U:%G:%m\t%s\t%l\t%P\0'
  } | sed -z 's/^\([0-9]*\)\.[0-9]*/\1/' | LC_ALL=C sort -z
}

# Is DST an unchanged cp -a copy of SRC? (Stale data left in storage from an
# earlier time has other times; live data changed after our copy too.)
tabula_same_copy() {
  cmp -s <(tabula_tree_facts "$1") <(tabula_tree_facts "$2")
}

# The sentence for a live path whose place in storage holds something else.
tabula_not_a_copy() {
  printf 'both %s (on the tmpfs root, lost at the next reboot) and %s exist, and the one in storage is not a copy of the live one (their files, sizes or times differ). Tabula never overwrites: move the one in storage aside (mv %s %s), since it is left from an earlier time this path was persisted, or it is an earlier copy the live one has changed since; then run again.' \
    "$(tabula_q "$1")" "$(tabula_q "$2")" "$(tabula_q "$2")" "$(tabula_q "$2.old")"
}

# Copies /REL into STORAGE/REL keeping owners, modes, ACLs, xattrs and
# hardlinks (cp -a), through a partial copy renamed into place at the end.
# Something already at STORAGE/REL counts as done only if it is an unchanged
# copy: else the persistence config would mount it over the live data, which
# the reboot then loses.
tabula_copy_live() {
  local storage=$1 rel=$2
  local src=/$rel dst=$storage/$rel partial
  partial=${dst%/*}/.tabula-partial-${dst##*/}
  if tabula_exists "$dst"; then
    if tabula_exists "$src" && ! tabula_same_copy "$src" "$dst"; then
      tabula_stop "$(tabula_not_a_copy "$src" "$dst")"
      return 0
    fi
    printf '      %s is already in storage.\n' "$(tabula_q "$src")"
    return 0
  fi
  if ! tabula_exists "$src"; then
    printf '      %s does not exist: nothing to copy.\n' "$(tabula_q "$src")"
    return 0
  fi
  tabula_make_parents "" "$storage" "$rel"
  if tabula_halted; then return 0; fi
  if tabula_exists "$partial"; then
    # Our own unfinished copy from an interrupted run; the original is untouched.
    tabula_do rm -rf --one-file-system -- "$partial"
  fi
  tabula_do cp -a -T -- "$src" "$partial"
  tabula_do mv -T -- "$partial" "$dst"
}

# Moves BASE/QUAR/REL back into BASE/STORE/REL (from the LiveCD).
tabula_restore() {
  local base=$1 store=$2 quar=$3 rel=$4
  local src=$base/$quar/$rel dst=$base/$store/$rel
  if tabula_exists "$dst"; then
    if tabula_exists "$src"; then
      tabula_stop "both $(tabula_q "$src") and $(tabula_q "$dst") exist. Tabula moves, never merges: if the one in storage is an empty folder impermanence made, remove it (rmdir $(tabula_q "$dst")), else compare them; then run again."
      return 0
    fi
    printf '      /%s is already in %s/.\n' "$(tabula_q "$rel")" "$store"
    return 0
  fi
  if ! tabula_exists "$src"; then
    tabula_stop "$(tabula_q "$src") does not exist: it is neither in the quarantine nor in storage. Check the path in recover.add."
    return 0
  fi
  tabula_make_parents "$base/$quar" "$base/$store" "$rel"
  if tabula_halted; then return 0; fi
  tabula_move "$src" "$dst"
}

# tabula_check_recover_old_root BASE STORE QUAR CONFIG: BASE is the partition
# (TARGET/nix), CONFIG the configuration folder relative to TARGET.
tabula_check_recover_old_root() {
  local base=$1 store=$2 quar=$3 config=${4:-} rel
  for rel in "${base#"$TARGET"/}/$quar" "${base#"$TARGET"/}/$store" ${config:+"$config"}; do
    tabula_no_links "$TARGET" "$rel" "Recover renames and writes there from the LiveCD, where a link leads off the partition (an absolute one into the LiveCD's own files): put the folder the link points to in its place (or set recover.configDir to it), then run again."
    if tabula_halted; then return 0; fi
  done
  if [[ ! -d $base/$quar ]]; then
    tabula_refuse "$(tabula_q "$base/$quar") is missing: this partition has no quarantine from a conversion."
    return 0
  fi
  if [[ ! -d $base/$store ]]; then
    tabula_refuse "$(tabula_q "$base/$store") (persistent storage) is missing. Check persistence.storage in the design."
    return 0
  fi
}
