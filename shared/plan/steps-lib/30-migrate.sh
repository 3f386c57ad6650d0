# --- convert: migrate (the old root is at TARGET) ------------------------------------

# Where the migration stands, read from the filesystem alone:
#   fresh        nothing moved yet, or only persisted paths
#   quarantining QUAR exists (created after every persisted path moved)
#   hoisting     nix/ was renamed to .tabula/nix-hoisting (the quarantine is complete)
#   hoisted      nix/ and .tabula/nix-hoisting are gone and store/ is at the top
#                (the emptied folder is kept as .tabula/nix-hoisted, for revert)
# With LAYOUT "own-nix" (/nix is its own filesystem; nothing is hoisted) only
# fresh and quarantining exist.
#   tabula_migrate_stage QUAR [LAYOUT]
tabula_migrate_stage() {
  local quar=$1 layout=${2:-hoist}
  if [[ $layout == own-nix ]]; then
    if [[ -d $TARGET/$quar ]]; then printf quarantining; else printf fresh; fi
    return 0
  fi
  if [[ ! -e $TARGET/nix && ! -L $TARGET/nix ]]; then
    if tabula_exists "$TARGET/.tabula/nix-hoisting"; then
      printf hoisting
    elif [[ -d $TARGET/store ]]; then
      printf hoisted
    else
      printf unknown
    fi
  elif [[ -d $TARGET/$quar ]]; then
    printf quarantining
  else
    printf fresh
  fi
}

# Guard: is the migration past step STEP (persist, quarantine or hoist)?
tabula_migrate_past() {
  local step=$1 quar=$2 stage
  stage=$(tabula_migrate_stage "$quar")
  case $step:$stage in
    persist:quarantining | persist:hoisting | persist:hoisted)
      printf 'the quarantine has begun, so every persisted path has already moved' ;;
    quarantine:hoisting | quarantine:hoisted)
      printf 'the hoist of nix/ has begun, so the old root is already in %s/' "$quar" ;;
    hoist:hoisted)
      printf 'nix/ is already hoisted: store/ is at the top of the partition' ;;
    *) return 1 ;;
  esac
}

# Checks that TARGET is this system's old root before anything moves:
#   tabula_check_old_root STORE QUAR LAYOUT KEEP REL...
# STORE is the storage folder relative to the partition ("persistent"; "."
# when the old root becomes the storage), QUAR the quarantine ("old-root"),
# LAYOUT and KEEP as tabula_check_layout takes them, RELs the paths that move
# (or stay) relative to "/".
tabula_check_old_root() {
  local store=$1 quar=$2 layout=$3 keep=$4
  shift 4
  local storetop=${store%%/*} json=$TARGET/.tabula/migration.json stage
  if tabula_dry_unseen "that it is this system's old root, holds this plan's .tabula/migration.json, has nothing mounted inside, and holds none of ${storetop}/, ${quar}/."; then
    return 0
  fi
  if [[ ! -d $TARGET ]]; then
    tabula_refuse "$(tabula_q "$TARGET") is not a folder: mount the old root partition there, or give --target the folder where it is mounted."
    return 0
  fi
  tabula_check_target_not_root
  if tabula_halted; then return 0; fi
  tabula_no_links "$TARGET" .tabula "Tabula keeps its journal in .tabula/ and hoists nix/ through it, so it must be a real folder on the partition: put the folder the link points to in its place, then run again."
  if tabula_halted; then return 0; fi
  if [[ $layout == hoist ]]; then
    tabula_no_links "$TARGET" nix/store "The migration renames nix/ and nix/store to the top of the partition, so they must be real folders on it: put the folder the link points to in its place, then run again."
    if tabula_halted; then return 0; fi
  fi
  local mounted
  mounted=$(tabula_mount_inside)
  if [[ -n $mounted ]]; then
    tabula_refuse "something is mounted inside $(tabula_q "$TARGET") ($mounted). Moving across mounts would copy: unmount everything below it first."
    return 0
  fi
  if tabula_migration_is_ours; then
    printf '      %s belongs to this plan (%s).\n' "$(tabula_q "$json")" "$TABULA_PLAN_ID"
  elif ((TABULA_FORCE)); then
    if [[ -f $json ]]; then
      tabula_warn "$(tabula_q "$json") belongs to another plan; going on because of --force."
    else
      tabula_warn "$(tabula_q "$json") is missing (phase prepare did not finish on this partition); going on because of --force."
    fi
  elif [[ -f $json ]]; then
    tabula_refuse "$(tabula_q "$json") belongs to another plan, not to $TABULA_PLAN_ID. Run this phase with the plan whose phase prepare ran (it is copied to .tabula/plan on the partition), or pass --force if you are sure."
    return 0
  else
    tabula_refuse "$(tabula_q "$json") is missing: phase prepare of this plan has not finished on this partition (it writes the file once nixos-rebuild boot succeeded). Run phase prepare on the running system first, or pass --force if you are sure this is the right partition."
    return 0
  fi
  stage=$(tabula_migrate_stage "$quar" "$layout")
  if tabula_journal_has check-old-root begun "$TABULA_PLAN_ID"; then
    # The stage is read from the filesystem; once the hoist finished it must
    # read "hoisted", or the quarantine would take the hoisted store for the
    # old root's.
    if tabula_journal_has hoist done '' && [[ $stage != hoisted ]]; then
      if tabula_exists "$TARGET/nix"; then
        tabula_refuse "this plan's migration already hoisted nix/ to the top of $(tabula_q "$TARGET") (its journal says so), but $(tabula_q "$TARGET/nix") exists again. Tabula moves nothing more: the Nix store is $(tabula_q "$TARGET/store"); move the new nix/ out of the way if it is not yours to keep, and do not run migrate on this partition again."
      else
        tabula_refuse "this plan's migration already hoisted nix/ to the top of $(tabula_q "$TARGET") (its journal says so), but $(tabula_q "$TARGET/store") is missing now. Tabula moves nothing more: look at the partition before going on."
      fi
      return 0
    fi
    if [[ $stage == unknown ]]; then
      tabula_refuse "$(tabula_q "$TARGET") holds neither nix/ nor store/ nor .tabula/nix-hoisting, so Tabula cannot tell how far this plan's migration got. It moves nothing: look at the partition (or --target) before going on."
      return 0
    fi
    printf '      Resuming the migration this plan began earlier (stage: %s).\n' "$stage"
    tabula_check_paths "$TARGET" "$store" "$quar" "$layout" "$@"
    if tabula_halted; then return 0; fi
  else
    if [[ $layout == hoist && ! -d $TARGET/nix/store && $stage == hoisted ]]; then
      tabula_refuse "$(tabula_q "$TARGET") is converted already: store/ is at its top and there is no nix/. There is nothing to migrate; to reinstall the bootloader, run phase bootloader (with the partition mounted at the target's /nix)."
      return 0
    fi
    tabula_check_layout "$TARGET" "$store" "$quar" "$layout" "$keep" "$@"
    if tabula_halted; then return 0; fi
  fi
  local rel
  if [[ $stage == fresh ]]; then
    for rel in "$@"; do
      if [[ -L $TARGET/$rel ]]; then tabula_warn_persisted_link "$store" "$quar" "$rel" "$@"; fi
    done
  fi
  if ((!TABULA_DRY_RUN)) && ! tabula_journal_has check-old-root begun "$TABULA_PLAN_ID"; then
    if [[ ! -d $TARGET/.tabula ]]; then tabula_do mkdir -m 0700 -- "$TARGET/.tabula"; fi
    tabula_journal check-old-root begun "$TABULA_PLAN_ID"
  fi
}

# Warns when persisted path REL is, on the old root, a symbolic link to
# something neither persisted nor under /nix: the link moves into storage
# and its target into the quarantine, so after the reboot it leads nowhere
# (e.g. /etc/nixos linked to a flake in a home that is not persisted).
#   tabula_warn_persisted_link STORE QUAR REL PERSISTED...
tabula_warn_persisted_link() {
  local store=$1 quar=$2 rel=$3 link to p
  shift 3
  link=$(readlink -- "$TARGET/$rel" && printf x)
  link=${link%x}
  link=${link%$'\n'}
  if [[ $link != /* ]]; then
    if [[ $rel == */* ]]; then link=/${rel%/*}/$link; else link=/$link; fi
  fi
  to=$(realpath -m -s -- "$link" && printf x)
  to=${to%x}
  to=${to%$'\n'}
  if [[ $to == /nix || $to == /nix/* ]]; then return 0; fi
  for p in "$@"; do
    if [[ $to == "/$p" || $to == "/$p"/* ]]; then return 0; fi
  done
  tabula_warn "/$(tabula_q "$rel") on the old root is a symbolic link to $(tabula_q "$to"), which is not persisted: the link moves to $store/ and what it points to goes to $quar/ with the rest, so after the reboot the link leads nowhere (unless NixOS makes that path itself). Nothing is lost; to keep using it, persist $(tabula_q "$to") too (or put the folder itself in place of the link) and make the plan again."
}

# The plan id of the last migration the journal records as begun by another
# plan (empty if none).
tabula_other_migration() {
  local file line id='' tab=$'\t'
  file=$(tabula_journal_file)
  [[ -n $file && -f $file ]] || return 0
  while IFS= read -r line; do
    if [[ $line == *"${tab}migrate${tab}check-old-root${tab}begun${tab}"* ]]; then
      id=${line##*"$tab"}
    fi
  done <"$file"
  if [[ -n $id && $id != "$TABULA_PLAN_ID" ]]; then printf '%s' "$id"; fi
}

# Moves one persisted path REL from TARGET/REL to TARGET/STORE/REL.
tabula_persist() {
  local store=$1 rel=$2
  local src=$TARGET/$rel dst=$TARGET/$store/$rel
  if tabula_dry_unseen "which persisted paths the old root holds; each one it holds is renamed:"; then
    printf '      + %s\n' "$(tabula_words mv -T -- "$src" "$dst")"
    return 0
  fi
  if tabula_exists "$dst"; then
    if tabula_exists "$src"; then
      tabula_stop "both $(tabula_q "$src") and $(tabula_q "$dst") exist. Tabula moves, never merges: compare them, move one aside, then run again."
      return 0
    fi
    printf '      /%s is already in %s/.\n' "$(tabula_q "$rel")" "$store"
    return 0
  fi
  if ! tabula_exists "$src"; then
    printf '      /%s is not on the old root: nothing to move (impermanence creates it at boot).\n' "$(tabula_q "$rel")"
    return 0
  fi
  tabula_make_parents "$TARGET" "$TARGET/$store" "$rel"
  if tabula_halted; then return 0; fi
  tabula_move "$src" "$dst"
}

# Moves every top-level entry of TARGET except nix/, the storage folder,
# .tabula/, the quarantine and the KEEP names (joined with "/": "boot" when
# GRUB's files stay on the partition) into TARGET/QUAR. RELs (the persisted
# paths) must all be gone from TARGET already: none may end up in the quarantine.
#   tabula_quarantine STORE QUAR KEEP REL...
tabula_quarantine() {
  local store=$1 quar=$2 keep=$3
  shift 3
  local storetop=${store%%/*} rel entry name saved
  if tabula_dry_unseen "which top-level entries the old root holds; each one but nix/, ${storetop}/ and .tabula/ is renamed into ${quar}/:"; then
    printf '      + %s\n' "$(tabula_words mkdir -m 0700 -- "$TARGET/$quar")"
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/NAME" "$TARGET/$quar/NAME")"
    return 0
  fi
  if [[ $(tabula_migrate_stage "$quar") == hois* ]]; then
    printf '      The old root is already in %s/.\n' "$quar"
    return 0
  fi
  for rel in "$@"; do
    if tabula_exists "$TARGET/$rel" && ((!TABULA_DRY_RUN)); then
      tabula_stop "/$(tabula_q "$rel") is persisted but still at $(tabula_q "$TARGET/$rel"); it must move to $store/ first. Run the phase again."
      return 0
    fi
  done
  if ! tabula_exists "$TARGET/$quar"; then
    tabula_do mkdir -m 0700 -- "$TARGET/$quar"
  fi
  saved=$(shopt -p dotglob nullglob || true)
  shopt -s dotglob nullglob
  local entries=("$TARGET"/*)
  eval "$saved"
  for entry in "${entries[@]}"; do
    name=${entry##*/}
    case $name in
      nix | .tabula | "$storetop" | "$quar") continue ;;
    esac
    if [[ /$keep/ == */"$name"/* ]]; then continue; fi
    if ((TABULA_DRY_RUN)); then
      # The real run has moved the persisted top-level paths away by now.
      local persisted=0
      for rel in "$@"; do
        if [[ $rel == "$name" ]]; then persisted=1; fi
      done
      if ((persisted)); then continue; fi
    fi
    tabula_move "$entry" "$TARGET/$quar/$name"
  done
}

# Hoists nix/* to the top of TARGET: first nix/ is renamed to
# .tabula/nix-hoisting (so the filesystem itself records that the hoist
# began), then each entry moves up, then the emptied folder is renamed to
# .tabula/nix-hoisted: phase revert puts it back as nix/, the same folder
# with its owner and mode. KEEP as tabula_quarantine takes it.
#   tabula_hoist STORE QUAR KEEP
tabula_hoist() {
  local store=$1 quar=$2 keep=${3:-}
  local storetop=${store%%/*} hold=$TARGET/.tabula/nix-hoisting done=$TARGET/.tabula/nix-hoisted entry name saved
  if tabula_dry_unseen "what nix/ holds (store/, var/, ...); each entry moves up:"; then
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/nix" "$hold")"
    printf '      + %s\n' "$(tabula_words mv -T -- "$hold/NAME" "$TARGET/NAME")"
    printf '      + %s\n' "$(tabula_words mv -T -- "$hold" "$done")"
    return 0
  fi
  saved=$(shopt -p dotglob nullglob || true)
  if tabula_exists "$TARGET/nix"; then
    if tabula_exists "$hold"; then
      tabula_stop "both $(tabula_q "$TARGET/nix") and $(tabula_q "$hold") exist; this is not a state Tabula leaves. Look at both before going on."
      return 0
    fi
    shopt -s dotglob nullglob
    local top=("$TARGET"/*)
    eval "$saved"
    for entry in "${top[@]}"; do
      name=${entry##*/}
      if [[ /$keep/ == */"$name"/* ]]; then continue; fi
      case $name in
        nix | .tabula | "$storetop" | "$quar") ;;
        *)
          if ((TABULA_DRY_RUN)); then continue; fi
          tabula_stop "$(tabula_q "$entry") is still at the top; the quarantine must finish before nix/ is hoisted. Run the phase again."
          return 0
          ;;
      esac
    done
    tabula_move "$TARGET/nix" "$hold"
  fi
  local from=$hold
  if ((TABULA_DRY_RUN)) && ! tabula_exists "$hold"; then from=$TARGET/nix; fi
  if ! tabula_exists "$from"; then
    printf '      nix/ is already hoisted.\n'
    return 0
  fi
  shopt -s dotglob nullglob
  local inner=("$from"/*)
  eval "$saved"
  for entry in "${inner[@]}"; do
    name=${entry##*/}
    # (In a dry run the quarantine has not really happened: no conflict to see.)
    if tabula_exists "$TARGET/$name" && ((!TABULA_DRY_RUN)); then
      tabula_stop "$(tabula_q "$TARGET/$name") already exists, so $(tabula_q "$entry") cannot move up. Look at both before going on."
      return 0
    fi
    if ((TABULA_DRY_RUN)); then
      tabula_do mv -T -- "$entry" "$TARGET/$name"
    else
      tabula_move "$entry" "$TARGET/$name"
    fi
  done
  if ((TABULA_DRY_RUN)) && [[ $from != "$hold" ]]; then
    printf '      + %s\n' "$(tabula_words mv -T -- "$hold" "$done")"
  else
    tabula_move "$from" "$done"
  fi
}

# Phase migrate when /nix is a filesystem of its own (LAYOUT own-nix): the old
# root stays where it is and becomes the storage, so the persisted paths
# (and KEEPs) do not move at all; everything else moves into QUAR at the same
# relative path, its folders made with the original owner and mode. Folders
# on the way to a kept path stay, and only what is beside it moves. Each
# entry moves once, so running it again after a crash goes on where it was.
#   tabula_quarantine_around QUAR KEEP...
tabula_quarantine_around() {
  local quar=$1
  shift
  if tabula_dry_unseen "which entries the old root holds; each one that is neither kept nor on the way to a kept path is renamed into ${quar}/ at the same place:"; then
    printf '      + %s\n' "$(tabula_words mkdir -m 0700 -- "$TARGET/$quar")"
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/PATH" "$TARGET/$quar/PATH")"
    return 0
  fi
  if ! tabula_exists "$TARGET/$quar"; then
    tabula_do mkdir -m 0700 -- "$TARGET/$quar"
  fi
  tabula_quarantine_beside "" "$quar" "$@"
}

# The entries of folder DIR (relative to TARGET, "" for the top) for
# tabula_quarantine_around.
tabula_quarantine_beside() {
  local dir=$1 quar=$2
  shift 2
  local saved entry name rel k keep way
  saved=$(shopt -p dotglob nullglob || true)
  shopt -s dotglob nullglob
  local entries=("$TARGET${dir:+/$dir}"/*)
  eval "$saved"
  for entry in "${entries[@]}"; do
    name=${entry##*/}
    rel=${dir:+$dir/}$name
    if [[ -z $dir && ($name == .tabula || $name == "$quar") ]]; then continue; fi
    keep=0
    way=0
    for k in "$@"; do
      if [[ $rel == "$k" ]]; then keep=1; fi
      if [[ $k == "$rel"/* ]]; then way=1; fi
    done
    if ((keep)); then continue; fi
    if ((way)); then
      if [[ -L $entry || ! -d $entry ]]; then
        tabula_stop "$(tabula_q "$entry") is on the way to a persisted path but is not a folder. Fix the design, then run again."
        return 0
      fi
      tabula_quarantine_beside "$rel" "$quar" "$@"
      if tabula_halted; then return 0; fi
      continue
    fi
    tabula_make_parents "$TARGET" "$TARGET/$quar" "$rel"
    if tabula_halted; then return 0; fi
    tabula_move "$entry" "$TARGET/$quar/$rel"
  done
}

