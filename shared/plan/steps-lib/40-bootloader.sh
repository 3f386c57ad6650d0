# --- convert: bootloader ----------------------------------------------------------

tabula_check_new_layout() {
  local nix=$TARGET/nix
  if tabula_dry_unseen "that $(tabula_q "$nix") has the new layout (store/ at its top, no nix/store) and a NixOS system profile."; then
    return 0
  fi
  if [[ -d $nix/nix/store ]]; then
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
}

