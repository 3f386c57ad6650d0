# --- convert: the layout checks prepare and migrate share ----------------------------

# One list of checks on the old root's layout, run by phase prepare on the
# running system (ROOT "", i.e. /) and again by phase migrate on the LiveCD
# (ROOT "$TARGET"), so prepare never leaves a built system that migrate then
# refuses. Read-only; refuses with a sentence naming the path.
#   tabula_check_layout ROOT STORE QUAR LAYOUT KEEP REL...
# STORE is the storage folder relative to the partition ("persistent"; "." when
# the old root itself becomes the storage), QUAR the quarantine, LAYOUT
# "hoist" (nix/ on the root is the store, hoisted to the top) or "own-nix"
# (/nix is a filesystem of its own and stays; the old root becomes the
# storage), KEEP the top-level names the migration leaves in place ("boot",
# joined with "/", or ""), RELs every path that moves or stays (relative to /).
tabula_check_layout() {
  local root=$1 store=$2 quar=$3 layout=$4 keep=$5
  shift 5
  local storetop=${store%%/*} shown=${root:-/} name entry saved other
  tabula_no_links "$root" .tabula "Tabula keeps its journal in .tabula/ and hoists nix/ through it, so it must be a real folder on the partition: put the folder the link points to in its place, then run again."
  if tabula_halted; then return 0; fi
  if ! tabula_exists "$root/etc/NIXOS"; then
    tabula_refuse "$(tabula_q "$shown") does not look like a NixOS root: $(tabula_q "$root/etc/NIXOS") is missing. Check the partition (or --target)."
    return 0
  fi
  if [[ $layout == hoist ]]; then
    tabula_no_links "$root" nix/store "The migration renames nix/ and nix/store to the top of the partition, so they must be real folders on it: put the folder the link points to in its place, then run again."
    if tabula_halted; then return 0; fi
    if [[ ! -d $root/nix/store ]]; then
      tabula_refuse "$(tabula_q "$shown") does not look like a NixOS root: $(tabula_q "$root/nix/store") is missing. Check the partition (or --target)."
      return 0
    fi
    if [[ $(stat -c %d -- "$root/nix") != "$(stat -c %d -- "$root/")" ]]; then
      tabula_refuse "$(tabula_q "$root/nix") is a filesystem or btrfs subvolume of its own, so its contents cannot be renamed to the top of the old root. If the system mounts it at /nix (a subvolume such as @nix), the design must say so in convert.nix: make the design again from Tabula's probe of this system."
      return 0
    fi
    saved=$(shopt -p dotglob nullglob || true)
    shopt -s dotglob nullglob
    for entry in "$root"/nix/*; do
      name=${entry##*/}
      # nix/nix would land on nix/ itself: a finished hoist would then look unfinished.
      if [[ $name == "$storetop" || $name == "$quar" || $name == .tabula || $name == nix || /$keep/ == */"$name"/* ]]; then
        eval "$saved"
        tabula_refuse "$(tabula_q "$entry") would land on $(tabula_q "$root/$name") when nix/ is hoisted, a name the migration uses to know where it stands. Move it out of nix/ first (it is not part of Nix)."
        return 0
      fi
    done
    eval "$saved"
  else
    # /nix is its own filesystem: on the running system it is mounted there;
    # on the LiveCD the old root holds only the empty folder it is mounted on.
    if [[ -n $root ]]; then
      if tabula_exists "$root/nix/store"; then
        tabula_refuse "$(tabula_q "$root/nix/store") exists on the old root, but the design says /nix is a filesystem of its own (convert.nix), so the old root's nix/ should be the empty folder it is mounted on. Check convert.nix and convert.options (the right subvolume?)."
        return 0
      fi
    elif [[ $(stat -c %d -- /nix) == "$(stat -c %d -- /)" ]]; then
      tabula_refuse "/nix is a folder on the root filesystem here, but the design says it is a filesystem of its own (convert.nix): leave convert.nix out, or make the design again from Tabula's probe of this system."
      return 0
    fi
  fi
  # Names the migration creates: only Tabula's own half-done migration may have them.
  for name in "$storetop" "$quar" .tabula/nix-hoisting .tabula/nix-hoisted .tabula/nix-unhoisting; do
    if [[ $name == . ]]; then continue; fi
    if tabula_exists "$root/$name"; then
      other=$(tabula_other_migration)
      if [[ -n $other ]]; then
        tabula_refuse "$(tabula_q "$root/$name") already exists: a migration by another plan ($other) began here and did not finish. Finish it with that plan's steps.sh (the plan folder whose prepare ran is in $(tabula_q "$root/.tabula/plan")); a new plan cannot take over a half-done migration."
      else
        tabula_refuse "$(tabula_q "$root/$name") already exists and the migration would create it. Move it out of the way (it is not Tabula's), then run again."
      fi
      return 0
    fi
  done
  tabula_check_paths "$root" "$store" "$quar" "$layout" "$@"
}

# The per-path half of tabula_check_layout, also run when a migration
# resumes: no folder on the way to a path is a link or a file, and no path
# sits on a subvolume of its own (a rename cannot leave it).
#   tabula_check_paths ROOT STORE QUAR LAYOUT REL...
tabula_check_paths() {
  local root=$1 store=$2 quar=$3 layout=$4
  shift 4
  local rel prefix rest comp
  for rel in "$@"; do
    prefix=''
    rest=$rel
    while [[ $rest == */* ]]; do
      comp=${rest%%/*}
      rest=${rest#*/}
      prefix=${prefix:+$prefix/}$comp
      if [[ -L $root/$prefix ]]; then
        tabula_refuse "$(tabula_q "$root/$prefix") is a symbolic link, so persisting /$rel through it would move something else. Persist the link's target instead, or remove the path from the design."
        return 0
      fi
      if tabula_exists "$root/$prefix" && [[ ! -d $root/$prefix ]]; then
        tabula_refuse "$(tabula_q "$root/$prefix") is not a folder, so /$rel cannot exist below it. Fix the design."
        return 0
      fi
    done
    if tabula_exists "$root/$rel" && [[ $rel == */* ]] && [[ $(stat -c %d -- "$root/${rel%/*}") != "$(stat -c %d -- "$root/")" ]]; then
      if [[ -z $root ]] && [[ $(findmnt -n -o TARGET -T "/${rel%/*}" 2>/dev/null | head -n 1) != / ]]; then
        # On the running system, another mounted filesystem: tabula_check_on_mount says it.
        continue
      fi
      if [[ $layout == hoist ]]; then
        tabula_refuse "$(tabula_q "$root/$rel") is on a btrfs subvolume of its own (or another filesystem), so it cannot be renamed into ${store}/ with the rest. Move it by hand or remove it from the design."
      else
        tabula_refuse "$(tabula_q "$root/$rel") is on a btrfs subvolume of its own (or another filesystem), so what is beside it cannot be renamed into ${quar}/ with the rest. Move it by hand or remove it from the design."
      fi
      return 0
    fi
  done
}

# tabula_check_kinds ROOT WHERE KIND:REL...: each path that exists under ROOT
# is what the design calls it (KIND "directory" or "file"). A file persisted
# as a folder, or a folder as a file, would move without a word and then
# break at every boot: impermanence makes a folder where storage holds a file
# (its activation fails), or mounts a folder where NixOS expects a file.
# Symbolic links are left to the link checks. WHERE names the design's lists
# in the sentence ("persistence", "recover.add").
tabula_check_kinds() {
  local root=$1 where=$2 entry kind rel path
  shift 2
  for entry in "$@"; do
    kind=${entry%%:*}
    rel=${entry#*:}
    path=$root/$rel
    if [[ -L $path ]] || ! tabula_exists "$path"; then continue; fi
    if [[ $kind == directory && ! -d $path ]]; then
      tabula_refuse "$(tabula_q "$path") is a file, but the design persists /$(tabula_q "$rel") as a folder ($where directories): impermanence would then try to make a folder where storage holds this file, and fail at every boot. List it under $where files instead, then make the plan again."
      return 0
    fi
    if [[ $kind == file && -d $path ]]; then
      tabula_refuse "$(tabula_q "$path") is a folder, but the design persists /$(tabula_q "$rel") as a file ($where files): impermanence would mount a folder where a file is expected. List it under $where directories instead, then make the plan again."
      return 0
    fi
  done
}
