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

# What cp -a -x keeps of a tree, one NUL-terminated record per entry:
# modification time (whole seconds: some filesystems keep no more), type,
# owner, mode, for non-folders size and link target (a folder's size depends
# on the filesystem), and the path. Sorted. One filesystem, as the copy: a
# filesystem mounted inside is seen as its top folder only.
tabula_tree_facts() {
  {
    find "$1" -xdev -type d -printf '%T@\t%y\t%U:%G:%m\t%P\0'
    find "$1" -xdev ! -type d -printf '%T@\t%y\t%U:%G:%m\t%s\t%l\t%P\0'
  } | sed -z 's/^\([0-9]*\)\.[0-9]*/\1/' | LC_ALL=C sort -z
}

# The filesystems mounted inside SRC (not SRC itself), one path per line:
# entries whose device differs from SRC's are the tops of other filesystems
# (find -xdev lists them without entering).
tabula_mounts_inside() {
  local src=$1 dev
  dev=$(stat -c %d -- "$src")
  find "$src" -xdev -mindepth 1 -printf '%D\t%p\0' | while IFS=$'\t' read -r -d '' d p; do
    if [[ $d != "$dev" ]]; then printf '%s\n' "$p"; fi
  done
}

# Says which filesystems inside SRC the copy leaves out (cp -x): another
# partition, a network or FUSE mount, a folder bound from storage. Their
# mount comes back at boot from the configuration or the persistence config.
tabula_say_skipped_mounts() {
  local src=$1 p type
  while IFS= read -r p; do
    type=$(findmnt -n -o FSTYPE --mountpoint "$p" 2>/dev/null | head -n 1) || type=''
    printf '      skipped %s: another filesystem%s is mounted there, so only its empty folder is copied. Persist it on its own if its contents are state.\n' \
      "$(tabula_q "$p")" "${type:+ ($type)}"
  done < <(tabula_mounts_inside "$src")
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
# hardlinks (cp -a), on one filesystem (-x: what is mounted inside is named
# and left out), through a partial copy renamed into place at the end.
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
  if [[ -d $src && ! -L $src ]]; then tabula_say_skipped_mounts "$src"; fi
  tabula_do cp -a -x -T -- "$src" "$partial"
  tabula_do mv -T -- "$partial" "$dst"
}

# --- recover: the services and programs that write the paths ----------------

# Units whose stop can cut what the run needs: the network (the rebuild then
# fetches from it) or the SSH login the script may be running in. Recover
# never stops them; their files are copied while they run.
TABULA_SESSION_UNITS=(
  NetworkManager.service systemd-networkd.service systemd-resolved.service
  wpa_supplicant.service iwd.service dhcpcd.service connman.service
  tailscaled.service zerotierone.service sshd.service
)

tabula_session_unit() {
  local u
  for u in "${TABULA_SESSION_UNITS[@]}"; do
    if [[ $1 == "$u" ]]; then return 0; fi
  done
  [[ $1 == openvpn-*.service || $1 == wg-quick-*.service || $1 == wireguard-*.service ]]
}

# tabula_stop_services UNIT...: stops the running units that write the paths
# (and the socket units that would start them again mid-copy), after asking;
# they stay stopped until the reboot. Units that carry the session are left
# running, with a warning. Run again, units stopped already are passed over.
tabula_stop_services() {
  local unit s stop=() sockets=() kept=() word
  for unit in "$@"; do
    if ! systemctl is-active --quiet -- "$unit" 2>/dev/null; then
      printf '      %s is not running.\n' "$unit"
      continue
    fi
    if tabula_session_unit "$unit"; then
      kept+=("$unit")
      continue
    fi
    stop+=("$unit")
    for s in $(systemctl show -p TriggeredBy --value -- "$unit" 2>/dev/null); do
      if systemctl is-active --quiet -- "$s" 2>/dev/null; then sockets+=("$s"); fi
    done
  done
  for unit in "${kept[@]}"; do
    tabula_warn "$unit keeps running: stopping it would cut the network$([[ -n ${SSH_CONNECTION:-} ]] && printf ' and this SSH session') that the rest of the run needs. Its files are copied as they are while it runs; change none of its settings until the reboot."
  done
  if ((${#stop[@]} == 0)); then return 0; fi
  word=$( ((${#stop[@]} + ${#sockets[@]} == 1)) && printf it || printf them)
  tabula_consent "Stop $(tabula_words "${sockets[@]}" "${stop[@]}") so the copy is consistent? They stay stopped until you reboot (what they wrote after the copy would be lost on the tmpfs); start $word again yourself to cancel."
  # Sockets first: a stopped service whose socket is active starts again at
  # its next connection, in the middle of the copy.
  for s in "${sockets[@]}" "${stop[@]}"; do
    tabula_do systemctl stop -- "$s"
  done
}

# tabula_program_check NAME PATH PROCESS...: PATH is written by the desktop
# program NAME while it runs (a browser profile): say so before it is
# copied, and ask when one of its PROCESSes (names as ps shows them) runs.
tabula_program_check() {
  local name=$1 path=$2 proc
  shift 2
  for proc in "$@"; do
    if pgrep -x -- "$proc" >/dev/null 2>&1; then
      tabula_warn "$name is running, and it writes $(tabula_q "$path") while it runs: a copy taken now can miss or tear what it writes meanwhile (history, open tabs, saved logins). Close $name first."
      tabula_consent "Copy $(tabula_q "$path") while $name runs?"
      return 0
    fi
  done
  printf '      %s is written by %s while it runs; %s is not running now. Keep it closed until the reboot.\n' "$(tabula_q "$path")" "$name" "$name"
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
