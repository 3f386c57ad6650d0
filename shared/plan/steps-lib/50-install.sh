# --- install --------------------------------------------------------------------

# The whole disk that DEVICE (a partition, LUKS mapping or disk) lives on.
tabula_disk_of() {
  local dev parent
  dev=$(tabula_resolve_device "$1")
  while parent=$(lsblk -ndo PKNAME -- "$dev" 2>/dev/null) && [[ -n $parent ]]; do
    dev=/dev/$parent
  done
  printf '%s' "$dev"
}

# One lsblk column of DISK, without the padding lsblk may add.
tabula_disk_fact() {
  local value
  value=$(lsblk -ndo "$2" -- "$1" 2>/dev/null | head -n 1) || value=''
  value=${value#"${value%%[![:space:]]*}"}
  printf '%s' "${value%"${value##*[![:space:]]}"}"
}

# "9216 MiB (Samsung SSD 980, serial S5GX...)": how a disk is told apart.
#   tabula_disk_words SIZE MODEL SERIAL SHOW_MODEL SHOW_SERIAL (SIZE may be empty)
tabula_disk_words() {
  local size=$1 model=$2 serial=$3 extra=() joined
  if [[ -n $4 ]]; then extra+=("${model:-no model}"); fi
  if [[ -n $5 ]]; then
    if [[ -n $serial ]]; then extra+=("serial $serial"); else extra+=("no serial"); fi
  fi
  if [[ -n $size ]]; then printf '%d MiB' "$((size / 1048576))"; else printf 'a disk'; fi
  if ((${#extra[@]})); then
    printf -v joined '%s, ' "${extra[@]}"
    printf ' (%s)' "${joined%, }"
  fi
}

# Checks the install disk:
#   tabula_check_install_disk DEVICE MIN_BYTES BOOTLOADER MIN_NIX_BYTES [SIZE MODEL SERIAL]
# SIZE, MODEL and SERIAL are what was probed when the design was made (empty:
# not known); the disk at DEVICE must still be that disk, since names such as
# /dev/sda can point at another one after a reboot.
tabula_check_install_disk() {
  local device=$1 min=$2 bootloader=$3 min_nix=$4 want_size=${5:-} want_model=${6:-} want_serial=${7:-}
  local size type disk m source mounted name model serial
  if [[ ! -b $device ]]; then
    tabula_refuse "$device does not exist or is not a block device. Check disk.device in the design (lsblk lists the disks)."
    return 0
  fi
  disk=$(tabula_resolve_device "$device")
  type=$(lsblk -ndo TYPE -- "$disk" 2>/dev/null || true)
  if [[ $type == part ]]; then
    tabula_refuse "$device is a partition; Tabula installs on a whole disk. Set disk.device to the disk (lsblk shows it above the partition)."
    return 0
  fi
  if [[ $(blockdev --getro "$disk") != 0 ]]; then
    tabula_refuse "$device is read-only."
    return 0
  fi
  for m in /iso /run/rootfsbase /nix/.ro-store; do
    source=$(findmnt -n -o SOURCE --mountpoint "$m" 2>/dev/null | head -n 1) || true
    if [[ $source == /dev/* && $(tabula_disk_of "$source") == "$disk" ]]; then
      tabula_refuse "$device holds the LiveCD you booted from (mounted at $m). Choose another disk."
      return 0
    fi
  done
  size=$(blockdev --getsize64 "$disk")
  if [[ -n $want_size$want_model$want_serial ]]; then
    model=$(tabula_disk_fact "$disk" MODEL)
    serial=$(tabula_disk_fact "$disk" SERIAL)
    if [[ (-n $want_size && $size != "$want_size") || (-n $want_model && $model != "$want_model") || (-n $want_serial && $serial != "$want_serial") ]]; then
      tabula_refuse "$device is not the disk this design was made for: the design expects $(tabula_disk_words "$want_size" "$want_model" "$want_serial" "$want_model" "$want_serial"), but $device is $(tabula_disk_words "$size" "$model" "$serial" "$want_model" "$want_serial"). Disk names can change between boots: find the disk with lsblk -o NAME,SIZE,MODEL,SERIAL and set disk.device to it (or make the design again on this machine)."
      return 0
    fi
  fi
  if ((size < min)); then
    tabula_refuse "$device holds $((size / 1048576)) MiB, but this design needs at least $((min / 1048576)) MiB (the partitions it sizes, and at least $((min_nix / 1048576)) MiB for /nix). Choose a bigger disk or smaller sizes."
    return 0
  fi
  # Mounted anywhere but where an earlier run of this plan mounted it?
  while IFS= read -r name; do
    [[ -n $name ]] || continue
    mounted=$(findmnt -rn -o TARGET --source "$name" 2>/dev/null || true)
    while IFS= read -r m; do
      [[ -n $m ]] || continue
      m=$(printf '%b' "$m")
      if [[ $m == "$TARGET" || $m == "$TARGET"/* ]]; then continue; fi
      tabula_refuse "$name (on $device) is mounted at $(tabula_q "$m"). Unmount it (umount $(tabula_q "$m")) or choose another disk."
      return 0
    done <<<"$mounted"
    if grep -qF -- "$(tabula_resolve_device "$name") " /proc/swaps 2>/dev/null || grep -qF -- "$name " /proc/swaps 2>/dev/null; then
      tabula_refuse "$name (on $device) is in use as swap. Turn it off (swapoff $name) or choose another disk."
      return 0
    fi
  done < <(lsblk -nrpo NAME -- "$disk" 2>/dev/null)
  if [[ $bootloader == systemd-boot && ! -d /sys/firmware/efi ]]; then
    if ((TABULA_FORCE)); then
      tabula_warn "this machine did not boot in UEFI mode (/sys/firmware/efi is missing) but the design uses systemd-boot; going on because of --force (the disk is meant for a UEFI machine)."
    else
      tabula_refuse "this machine did not boot in UEFI mode (/sys/firmware/efi is missing) and the design uses systemd-boot. Boot the LiveCD in UEFI mode, choose grub in the design, or pass --force to prepare the disk for another, UEFI, machine."
      return 0
    fi
  fi
  model=$(tabula_disk_fact "$disk" MODEL)
  serial=$(tabula_disk_fact "$disk" SERIAL)
  printf '      %s: %d MiB%s%s, not in use, big enough.\n' "$device" "$((size / 1048576))" "${model:+, $model}" "${serial:+, serial $serial}"
}

# Guard: DEVICE carries this plan's GPT (disk GUID) with the named partitions:
#   tabula_disk_is_partitioned DEVICE GUID PART NAME [PART NAME]...
tabula_disk_is_partitioned() {
  local device=$1 guid=$2 part name have
  shift 2
  have=$(sgdisk -p "$device" 2>/dev/null | sed -n 's/^Disk identifier (GUID): //p')
  [[ ${have^^} == "${guid^^}" ]] || return 1
  # Lets the kernel see partitions an interrupted run wrote; a dry run
  # changes nothing, not even that.
  if ((!TABULA_DRY_RUN)); then partx -u "$device" >/dev/null 2>&1 || true; fi
  while (($#)); do
    part=$1 name=$2
    shift 2
    [[ -b $part ]] || return 1
    [[ $(blkid -p -o value -s PART_ENTRY_NAME -- "$part" 2>/dev/null) == "$name" ]] || return 1
  done
  printf '%s already has the partitions of this plan' "$device"
}

# Makes the kernel see the new partitions and waits for their device nodes.
tabula_wait_partitions() {
  local device=$1 part tries
  shift
  if ((TABULA_DRY_RUN)); then return 0; fi
  partx -u "$device" >/dev/null 2>&1 || true
  if command -v udevadm >/dev/null 2>&1; then udevadm settle >/dev/null 2>&1 || true; fi
  for part in "$@"; do
    tries=0
    until [[ -b $part ]]; do
      ((tries++ < 50)) || tabula_stop "$part did not appear after partitioning $device."
      sleep 0.2
    done
  done
}

# Guard: DEVICE holds a filesystem of TYPE labelled LABEL.
tabula_has_fs() {
  local device=$1 type=$2 label=$3
  [[ -b $device ]] || return 1
  [[ $(blkid -p -o value -s TYPE -- "$device" 2>/dev/null) == "$type" ]] || return 1
  [[ $(blkid -p -o value -s LABEL -- "$device" 2>/dev/null) == "$label" ]] || return 1
  printf '%s already holds %s labelled %s' "$device" "$type" "$label"
}

# Writes a user's password hash file under persistent storage, asking for the
# password twice in the terminal (mkpasswd hashes it with yescrypt).
tabula_seed_password_file() {
  local user=$1 file=$2 first second
  if [[ -s $file ]]; then
    printf '      %s already exists.\n' "$(tabula_q "$file")"
    return 0
  fi
  if ((TABULA_DRY_RUN)); then
    printf '      (dry run) would ask for the password of %s and write its hash to %s\n' "$user" "$(tabula_q "$file")"
    return 0
  fi
  while :; do
    IFS= read -rs -p "    New password for $user: " first || tabula_stop "no password given for $user."
    printf '\n'
    IFS= read -rs -p "    Same password again: " second || tabula_stop "no password given for $user."
    printf '\n'
    if [[ $first == "$second" && -n $first ]]; then break; fi
    printf '    The two passwords differ (or are empty); again.\n'
  done
  tabula_do mkdir -p -m 0700 -- "${file%/*}"
  printf '      + mkpasswd -m yescrypt --stdin > %s\n' "$(tabula_q "$file.tmp")"
  (umask 077 && mkpasswd -m yescrypt --stdin <<<"$first" >"$file.tmp")
  tabula_do mv -T -- "$file.tmp" "$file"
}

# nixos-install refuses a mount point with a folder on the way that others
# may not enter and read ("path P should have permissions 755"): checked
# first, before the disk is erased, instead of at the very end.
#   tabula_check_install_target TARGET
tabula_check_install_target() {
  local path mode
  path=$(realpath -m -- "$1" && printf x)
  path=${path%x}
  path=${path%$'\n'}
  while [[ $path != / && -n $path ]]; do
    if [[ -e $path ]]; then
      mode=$(stat -L -c %a -- "$path")
      if ((${mode: -1} < 5)); then
        tabula_refuse "$(tabula_q "$path") has mode $mode, but nixos-install, at the end of this phase, needs every folder on the way to the target to be readable and enterable by all (o+rx): chmod o+rx $(tabula_q "$path"), or choose another --mountpoint. Nothing was changed."
        return 0
      fi
    fi
    path=${path%/*}
    [[ -n $path ]] || path=/
  done
}
