# --- convert: revert (undo a finished or half-done migration; LiveCD) ---------------
#
# The partition is mounted at TARGET as the old root it was. Revert undoes
# phase migrate by renames only, in the reverse order: nix's entries back
# under nix/ (the very folder the hoist emptied, kept as .tabula/nix-hoisted),
# the quarantine back to the top, the storage back to where each path was;
# the folders the migration made are removed once empty. Which of these is
# left is read from the filesystem, so a run killed at any instant goes on
# where it stopped when run again.

# Where a revert stands:
#   hoisted        no nix/: the hoist began or finished, nix's entries are at the top
#   unhoisting     .tabula/nix-unhoisting exists: they are moving back into it
#   unquarantining nix/ is back (or never left) and QUAR exists
#   unpersisting   no QUAR, but the storage folder is there
#   reverted       nothing of the migration is left
# With LAYOUT own-nix the old root is the storage, so only unquarantining and
# reverted exist.
#   tabula_revert_stage STORE QUAR LAYOUT
tabula_revert_stage() {
  local store=$1 quar=$2 layout=$3
  if [[ $layout != own-nix ]]; then
    if tabula_exists "$TARGET/.tabula/nix-unhoisting"; then
      printf unhoisting
      return 0
    fi
    if ! tabula_exists "$TARGET/nix"; then
      printf hoisted
      return 0
    fi
  fi
  if tabula_exists "$TARGET/$quar"; then
    printf unquarantining
  elif [[ $store != . ]] && tabula_exists "$TARGET/$store"; then
    printf unpersisting
  else
    printf reverted
  fi
}

# Checks that TARGET holds this plan's migration before anything moves back:
#   tabula_check_revert STORE QUAR LAYOUT KEEP
tabula_check_revert() {
  local store=$1 quar=$2 layout=$3 keep=$4
  local json=$TARGET/.tabula/migration.json journal=$TARGET/.tabula/journal stage mounted tab=$'\t'
  if tabula_dry_unseen "that it holds this plan's migration (.tabula/migration.json and the journal) and has nothing mounted inside."; then
    return 0
  fi
  if [[ ! -d $TARGET ]]; then
    tabula_refuse "$(tabula_q "$TARGET") is not a folder: mount the partition there, or give --target the folder where it is mounted."
    return 0
  fi
  tabula_check_target_not_root
  if tabula_halted; then return 0; fi
  tabula_no_links "$TARGET" .tabula "Tabula keeps its journal in .tabula/ and moves nix/ back through it, so it must be a real folder on the partition: put the folder the link points to in its place, then run again."
  if tabula_halted; then return 0; fi
  stage=$(tabula_revert_stage "$store" "$quar" "$layout")
  # Once everything is back, the boot filesystem (and a /nix of its own)
  # are mounted inside for the bootloader; before, a mount would make a
  # rename copy.
  mounted=$(tabula_mount_inside)
  if [[ -n $mounted && $stage != reverted ]]; then
    tabula_refuse "something is mounted inside $(tabula_q "$TARGET") ($mounted). Moving across mounts would copy: unmount everything below it first."
    return 0
  fi
  if tabula_migration_is_ours; then
    printf '      %s belongs to this plan (%s).\n' "$(tabula_q "$json")" "$TABULA_PLAN_ID"
  elif ((TABULA_FORCE)); then
    tabula_warn "$(tabula_q "$json") is missing or belongs to another plan; going on because of --force."
  else
    tabula_refuse "$(tabula_q "$json") is missing or belongs to another plan, not to $TABULA_PLAN_ID: revert only undoes the migration of the plan that made it. Run the steps.sh of that plan (a copy is in $(tabula_q "$TARGET/.tabula/plan")), or pass --force if you are sure."
    return 0
  fi
  if [[ $stage != reverted ]] && ! { [[ -f $journal ]] && grep -qF -- "${tab}migrate${tab}check-old-root${tab}begun${tab}$TABULA_PLAN_ID" "$journal"; } && ((!TABULA_FORCE)); then
    tabula_refuse "the journal $(tabula_q "$journal") does not record that this plan's migration began, yet the partition is not in its old layout (stage: $stage). Tabula moves nothing back that it did not move: look at the partition, or pass --force if you are sure."
    return 0
  fi
  if [[ $layout != own-nix && $stage != reverted && $stage != unquarantining && $stage != unpersisting ]]; then
    # nix's entries are at the top: anything there but Tabula's names goes back under nix/.
    if [[ ! -d $TARGET/store ]] && ! tabula_exists "$TARGET/.tabula/nix-hoisting" && ! tabula_exists "$TARGET/.tabula/nix-unhoisting"; then
      tabula_refuse "$(tabula_q "$TARGET") has no nix/, no store/ and no .tabula/nix-hoisting: this is not a layout Tabula's migration leaves. Look at the partition before going on."
      return 0
    fi
  fi
  printf '      Stage: %s.\n' "$stage"
}

# Puts nix's entries back under nix/: the folder the hoist emptied
# (.tabula/nix-hoisted, or .tabula/nix-hoisting when the hoist stopped half
# way) is renamed to .tabula/nix-unhoisting, every top-level entry but
# Tabula's own names and KEEPs moves into it, and it is renamed to nix/.
#   tabula_unhoist STORE QUAR KEEP
tabula_unhoist() {
  local store=$1 quar=$2 keep=$3
  local storetop=${store%%/*} hold=$TARGET/.tabula/nix-unhoisting entry name saved
  if tabula_dry_unseen "what is at the top of the partition; every entry but .tabula/, ${storetop}/, ${quar}/ moves back under nix/:"; then
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/.tabula/nix-hoisted" "$hold")"
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/NAME" "$hold/NAME")"
    printf '      + %s\n' "$(tabula_words mv -T -- "$hold" "$TARGET/nix")"
    return 0
  fi
  if tabula_exists "$TARGET/nix"; then
    if tabula_exists "$hold"; then
      tabula_stop "both $(tabula_q "$TARGET/nix") and $(tabula_q "$hold") exist; this is not a state Tabula leaves. Look at both before going on."
      return 0
    fi
    printf '      nix/ is in place.\n'
    return 0
  fi
  if ! tabula_exists "$hold"; then
    if tabula_exists "$TARGET/.tabula/nix-hoisting"; then
      tabula_move "$TARGET/.tabula/nix-hoisting" "$hold"
    elif tabula_exists "$TARGET/.tabula/nix-hoisted"; then
      tabula_move "$TARGET/.tabula/nix-hoisted" "$hold"
    else
      tabula_warn "the folder nix/ was hoisted out of is gone (a migration by an older Tabula removed it): nix/ is made again, owned by root with mode 0755, as NixOS makes it."
      tabula_do mkdir -m 0755 -- "$hold"
    fi
    if tabula_halted; then return 0; fi
  fi
  saved=$(shopt -p dotglob nullglob || true)
  shopt -s dotglob nullglob
  local entries=("$TARGET"/*)
  eval "$saved"
  for entry in "${entries[@]}"; do
    name=${entry##*/}
    case $name in
      .tabula | "$storetop" | "$quar") continue ;;
    esac
    if [[ /$keep/ == */"$name"/* ]]; then continue; fi
    tabula_move "$entry" "$hold/$name"
    if tabula_halted; then return 0; fi
  done
  tabula_move "$hold" "$TARGET/nix"
}

# Moves everything in folder FROM back into folder TO, by renames: an entry
# TO lacks is renamed into it whole; a folder TO also has is gone through
# the same way and removed once empty (it was made by the migration, or is
# merged into the one that came back); anything else in both places stops
# the run, since Tabula never overwrites.
#   tabula_merge_back FROM TO
tabula_merge_back() {
  local from=$1 to=$2 saved entry name
  saved=$(shopt -p dotglob nullglob || true)
  shopt -s dotglob nullglob
  local entries=("$from"/*)
  eval "$saved"
  for entry in "${entries[@]}"; do
    name=${entry##*/}
    if ! tabula_exists "$to/$name"; then
      tabula_move "$entry" "$to/$name"
    elif [[ -d $entry && ! -L $entry && -d $to/$name && ! -L $to/$name ]]; then
      tabula_merge_back "$entry" "$to/$name"
      if tabula_halted; then return 0; fi
      tabula_do rmdir -- "$entry"
    else
      tabula_stop "both $(tabula_q "$entry") and $(tabula_q "$to/$name") exist, so the first cannot move back. Tabula never overwrites: compare them, move one aside, then run again."
      return 0
    fi
    if tabula_halted; then return 0; fi
  done
}

# Moves the quarantine back to the top of the old root and removes its
# folder (made by the migration) once empty.
#   tabula_unquarantine QUAR LAYOUT
tabula_unquarantine() {
  local quar=$1 layout=${2:-hoist}
  if tabula_dry_unseen "what ${quar}/ holds; every entry moves back to where it was on the old root:"; then
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/$quar/NAME" "$TARGET/NAME")"
    printf '      + %s\n' "$(tabula_words rmdir -- "$TARGET/$quar")"
    return 0
  fi
  if ! tabula_exists "$TARGET/$quar"; then
    printf '      %s/ is gone: the quarantine is back in place.\n' "$quar"
    return 0
  fi
  if [[ $layout != own-nix ]] && ! tabula_exists "$TARGET/nix" && ((!TABULA_DRY_RUN)); then
    tabula_stop "$(tabula_q "$TARGET/nix") is not back yet: nix's entries must move back under nix/ before the quarantine returns (their names, such as var/, are the old root's too). Run the phase again."
    return 0
  fi
  tabula_merge_back "$TARGET/$quar" "$TARGET"
  if tabula_halted; then return 0; fi
  tabula_do rmdir -- "$TARGET/$quar"
}

# Moves every persisted path back from STORE to where it was on the old root
# (the storage may hold more by now: whatever it holds goes back the same
# way), then removes the storage folder, made by the migration, once empty.
#   tabula_unpersist STORE QUAR
tabula_unpersist() {
  local store=$1 quar=$2 dir
  if tabula_dry_unseen "what ${store}/ holds; every path moves back to where it was on the old root:"; then
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/$store/PATH" "$TARGET/PATH")"
    printf '      + %s\n' "$(tabula_words rmdir -- "$TARGET/$store")"
    return 0
  fi
  if ! tabula_exists "$TARGET/$store"; then
    printf '      %s/ is gone: every persisted path is back.\n' "$store"
    return 0
  fi
  if tabula_exists "$TARGET/$quar" && ((!TABULA_DRY_RUN)); then
    tabula_stop "$(tabula_q "$TARGET/$quar") is still there: the quarantine must return first, so that each persisted path finds its folders again. Run the phase again."
    return 0
  fi
  tabula_merge_back "$TARGET/$store" "$TARGET"
  if tabula_halted; then return 0; fi
  dir=$store
  while :; do
    tabula_do rmdir -- "$TARGET/$dir"
    [[ $dir == */* ]] || break
    dir=${dir%/*}
    if [[ -n $(find "$TARGET/$dir" -mindepth 1 -maxdepth 1 -print -quit 2>/dev/null) ]]; then break; fi
  done
}

# Takes Tabula's changes out of the configuration at TARGET/CONFIG (the old
# root's own folder again): PATCH (flake.patch or configuration.patch of this
# plan) applied in reverse, after showing it and with consent; the patched
# file is kept as FILE.~N~. The generated nixos/ folder stays (nothing
# imports it any more).
#   tabula_revert_config CONFIG FILE PATCH
tabula_revert_config() {
  local config=$TARGET/$1 file=$2 patch=$3
  if [[ ! -f $patch ]]; then
    printf '      This plan changed no file of yours (no %s): nothing to take out.\n' "${patch##*/}"
    return 0
  fi
  if [[ ! -f $config/$file ]]; then
    tabula_warn "$(tabula_q "$config/$file") is not there (yet): Tabula's changes to it are not taken out. Do it by hand with the reverse of $(tabula_q "$patch")."
    return 0
  fi
  if patch --dry-run -s -f -p1 -d "$config" <"$patch" >/dev/null 2>&1; then
    printf '      %s does not hold Tabula'\''s changes (any more).\n' "$(tabula_q "$config/$file")"
    return 0
  fi
  if ! patch -R --dry-run -s -f -p1 -d "$config" <"$patch" >/dev/null 2>&1; then
    tabula_warn "$(tabula_q "$config/$file") changed since Tabula's patch, so the reverse patch does not apply: take out the impermanence input and ./nixos by hand (see $(tabula_q "$patch")) before the next nixos-rebuild, or it builds the stateless system again."
    return 0
  fi
  printf '    The reverse of:\n'
  cat -- "$patch"
  tabula_consent "Take these changes out of $(tabula_q "$config/$file") (the patched file is kept as $file.~N~)? Without that, the next nixos-rebuild builds the stateless system again."
  printf '      + patch -R --backup --version-control=numbered -p1 -d %s < %s\n' "$(tabula_q "$config")" "$(tabula_q "$patch")"
  ((TABULA_DRY_RUN)) || patch -R --backup --version-control=numbered -p1 -d "$config" <"$patch"
}

# The system that booted before phase prepare pointed the profile at the
# stateless one (TABULA_DIR/previous-system), as TARGET's system sees it.
tabula_previous_system() {
  local file=$TARGET/$1/previous-system system
  [[ -f $file ]] || return 0
  IFS= read -r system <"$file" || true
  if [[ $system == /nix/store/* ]] && tabula_exists "$TARGET$system"; then printf '%s' "$system"; fi
}

# Checks there is an old system to make the default again.
tabula_check_previous_system() {
  local dir=$1 system
  if tabula_dry_unseen "that $(tabula_q "$TARGET/$dir/previous-system") names the system that booted before the conversion."; then
    return 0
  fi
  system=$(tabula_previous_system "$dir")
  if [[ -z $system || ! -x $TARGET$system/bin/switch-to-configuration ]]; then
    tabula_refuse "$(tabula_q "$TARGET/$dir/previous-system") does not name a NixOS system in this store (phase prepare writes it before it points the system profile at the stateless system). Choose the generation to boot by hand: nixos-enter --root $(tabula_q "$TARGET") -- nix-env -p /nix/var/nix/profiles/system --list-generations, then --switch-generation N and /nix/var/nix/profiles/system/bin/switch-to-configuration boot with NIXOS_INSTALL_BOOTLOADER=1."
    return 0
  fi
  printf '      The system to boot again: %s\n' "$(tabula_q "$system")"
}

# Points the system profile back at the system that booted before the
# conversion (TABULA_DIR/previous-system).
tabula_restore_profile() {
  local system
  system=$(tabula_previous_system "$1")
  if [[ -z $system ]]; then
    if ((TABULA_DRY_RUN)); then
      printf '      (dry run) the system profile is pointed back at the system in %s.\n' "$(tabula_q "$TARGET/$1/previous-system")"
      return 0
    fi
    tabula_stop "$(tabula_q "$TARGET/$1/previous-system") names no system in this store."
    return 0
  fi
  tabula_point_profile "$system"
}

# Guard: is the revert past step STEP (unhoist, unquarantine or unpersist)?
#   tabula_revert_past STEP STORE QUAR LAYOUT
tabula_revert_past() {
  local step=$1 stage
  stage=$(tabula_revert_stage "$2" "$3" "$4")
  case $step:$stage in
    unhoist:unquarantining | unhoist:unpersisting | unhoist:reverted)
      printf 'nix/ is back in its place' ;;
    unquarantine:unpersisting | unquarantine:reverted)
      printf 'the quarantine is back in its place' ;;
    unpersist:reverted)
      printf 'every persisted path is back in its place' ;;
    *) return 1 ;;
  esac
}
