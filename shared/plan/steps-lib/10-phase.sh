# --- the phase and its steps --------------------------------------------------

tabula_usage() {
  cat <<EOF
Usage: bash steps.sh PHASE [--yes] [--dry-run] [--target DIR] [--force] [--mountpoint DIR]

Runs one phase of Tabula plan $TABULA_PLAN_ID (host "$TABULA_HOSTNAME").
Phases in this plan: ${TABULA_PHASES[*]}

  --yes         do not ask before destructive steps (you confirm by passing it)
  --dry-run     print every command and change nothing
  --target DIR  it is already mounted at DIR (or DIR is a plain folder): mount and
                unmount nothing; migrate then only moves files and leaves phase
                bootloader to you. For install, the same as --mountpoint.
  --force       go on without a matching .tabula/migration.json (migrate) or
                without UEFI firmware (install), with a warning
  --mountpoint DIR  where the phase mounts what it mounts, instead of /mnt
Run it again after any stop, crash or power loss: finished steps are skipped.
EOF
}

tabula_main() {
  local phase='' arg
  while (($#)); do
    arg=$1
    case $arg in
      --yes | -y) TABULA_YES=1 ;;
      --dry-run | -n) TABULA_DRY_RUN=1 ;;
      --force) TABULA_FORCE=1 ;;
      --target)
        if (($# < 2)); then
          tabula_usage >&2
          tabula_refuse_now '--target needs a folder, e.g. --target /mnt.'
        fi
        TARGET=$2
        TABULA_TARGET_GIVEN=1
        shift
        ;;
      --target=*)
        TARGET=${arg#--target=}
        TABULA_TARGET_GIVEN=1
        ;;
      --mountpoint)
        if (($# < 2)) || [[ -z $2 ]]; then
          tabula_refuse_now '--mountpoint needs a folder, e.g. --mountpoint /mnt.'
        fi
        TABULA_MOUNTPOINT=$2
        shift
        ;;
      -h | --help)
        tabula_usage
        exit 0
        ;;
      -*)
        tabula_usage >&2
        tabula_refuse_now 'unknown option %s.' "$(tabula_q "$arg")"
        ;;
      *)
        if [[ -n $phase ]]; then
          tabula_refuse_now 'one phase at a time (got %s and %s).' "$(tabula_q "$phase")" "$(tabula_q "$arg")"
        fi
        phase=$arg
        ;;
    esac
    shift
  done
  if [[ -z $phase ]]; then
    tabula_usage >&2
    tabula_refuse_now 'name the phase to run (%s).' "${TABULA_PHASES[*]}"
  fi
  local known=0 p
  for p in "${TABULA_PHASES[@]}"; do
    if [[ $p == "$phase" ]]; then known=1; fi
  done
  if ((!known)); then
    tabula_refuse_now 'this plan has no phase %s; its phases are: %s.' "$(tabula_q "$phase")" "${TABULA_PHASES[*]}"
  fi
  if ((TABULA_TARGET_GIVEN)) && [[ -z $TARGET ]]; then
    tabula_refuse_now '--target is empty; give the folder, e.g. --target /mnt.'
  fi
  if ((!TABULA_DRY_RUN)) && ((EUID != 0)); then
    local user_phase=0
    for p in "${TABULA_USER_PHASES[@]}"; do
      if [[ $p == "$phase" ]]; then user_phase=1; fi
    done
    if ((user_phase && TABULA_TARGET_GIVEN)); then
      # Only renames inside a folder the user owns (checked once TARGET is
      # settled); the kernel checks every rename.
      TABULA_AS_USER=1
    elif ((user_phase)); then
      tabula_refuse_now 'phase %s mounts the partition and must run as root: sudo bash %s %s (or add --dry-run to only see the commands; without root it can only rearrange a folder you own, named with --target DIR).' "$phase" "$(tabula_q "$0")" "$phase"
    else
      tabula_refuse_now 'phase %s changes disks and system files and must run as root: sudo bash %s %s (or add --dry-run to only see the commands).' "$phase" "$(tabula_q "$0")" "$phase"
    fi
  fi
  # The script's folder, also when run as `bash steps.sh` from inside it.
  local self=${BASH_SOURCE[0]}
  if [[ $self != */* ]]; then self=./$self; fi
  PLAN_DIR=$(cd -- "${self%/*}" && pwd -P && printf x)
  PLAN_DIR=${PLAN_DIR%x}
  PLAN_DIR=${PLAN_DIR%$'\n'}
  "tabula_phase_$phase"
}

# Sets TARGET, prints the header and the phase marker, warns about tools this
# machine lacks, and installs the handlers that report a failed or cancelled run.
tabula_phase_begin() {
  if ((TABULA_TARGET_GIVEN)) && [[ -z $TABULA_TARGET_DEFAULT ]]; then
    tabula_refuse_now 'phase %s takes no --target: it works on the running system.' "$TABULA_PHASE"
  fi
  if [[ -n $TABULA_MOUNTPOINT ]]; then
    if [[ -z $TABULA_TARGET_DEFAULT ]]; then
      tabula_refuse_now 'phase %s mounts nothing, so it takes no --mountpoint.' "$TABULA_PHASE"
    fi
    if ((TABULA_TARGET_GIVEN)); then
      tabula_refuse_now 'give --target (already mounted there) or --mountpoint (mount there), not both.'
    fi
  fi
  if ((!TABULA_TARGET_GIVEN)); then TARGET=${TABULA_MOUNTPOINT:-$TABULA_TARGET_DEFAULT}; fi
  if [[ -n $TARGET ]]; then
    if [[ $TARGET != /* ]]; then TARGET=$PWD/$TARGET; fi
    # Normalized (symlinks resolved, so the lock and the checks see the real
    # folder). Through $(...) with a guard character: a name ending in a
    # newline must keep it, or another folder would be used.
    TARGET=$(realpath -m -- "$TARGET" && printf x)
    TARGET=${TARGET%x}
    TARGET=${TARGET%$'\n'}
    if [[ $TARGET == / ]]; then
      tabula_refuse_now '--target is "/", the running system itself; give the folder where the partition is (or will be) mounted, e.g. /mnt.'
    fi
  fi
  if ((TABULA_AS_USER)) && [[ ! -d $TARGET || ! -O $TARGET ]]; then
    local why='is not a folder'
    if [[ -d $TARGET ]]; then
      why="is owned by $(stat -c %U -- "$TARGET"), not by $(id -un)"
    fi
    tabula_refuse_now 'without root, phase %s only rearranges a folder you own, and %s %s. On a real partition run it as root: sudo bash %s %s --target %s' \
      "$TABULA_PHASE" "$(tabula_q "$TARGET")" "$why" "$(tabula_q "$0")" "$TABULA_PHASE" "$(tabula_q "$TARGET")"
  fi
  if ((!TABULA_DRY_RUN)); then tabula_lock; fi
  trap tabula_on_exit EXIT
  trap 'tabula_on_signal INT' INT
  trap 'tabula_on_signal TERM' TERM
  trap 'tabula_on_signal HUP' HUP
  tabula_emit "$TABULA_MARK_PHASE_START"
  printf 'Tabula, phase %s: %s\n' "$TABULA_PHASE" "$TABULA_PHASE_TITLE"
  printf 'Plan %s for host %s, %d steps.\n' "$TABULA_PLAN_ID" "$TABULA_HOSTNAME" "$TABULA_STEP_COUNT"
  if [[ -n $TARGET ]]; then
    printf 'TARGET=%s  (%s)\n' "$(tabula_q "$TARGET")" "$TABULA_TARGET_MEANING"
  fi
  if ((TABULA_DRY_RUN)); then printf 'Dry run: every command is printed, nothing is changed.\n'; fi
  if ((TABULA_AS_USER)); then
    printf 'Running as %s, not root: only what %s may rename moves (the kernel checks each rename), and folders owned by someone else cannot be made.\n' "$(id -un)" "$(id -un)"
  fi
  local entry tool index title
  for entry in "${TABULA_PREFLIGHT[@]}"; do
    IFS=$'\t' read -r tool index title <<<"$entry"
    if ! command -v -- "$tool" >/dev/null 2>&1; then
      printf 'Note: this machine has no %s, which step %s (%s) needs: the phase will stop there.\n' "$tool" "$index" "$title"
    fi
  done
}

# One run at a time per target: two runs moving the same files at once could
# race between a check and its rename. The lock (flock on a file named after
# the target, in /run/lock) goes away with the process, even after kill -9.
tabula_lock() {
  local dir=/run/lock key file
  [[ -d $dir && -w $dir ]] || dir=${TMPDIR:-/tmp}
  key=$(printf '%s' "${TARGET:-/}" | sha256sum)
  file=$dir/tabula-steps-${key:0:16}.lock
  # flock needs no write access: open an existing lock read-only, so one
  # another user's run left (root's, or a user's in a sticky /run/lock) opens.
  if ! { exec {TABULA_LOCK_FD}<"$file"; } 2>/dev/null && ! { exec {TABULA_LOCK_FD}>>"$file"; } 2>/dev/null && ! { exec {TABULA_LOCK_FD}<"$file"; } 2>/dev/null; then
    tabula_refuse_now 'cannot open the lock file %s, which keeps two runs off the same target. Remove it if no Tabula step script is running, then run this again.' "$(tabula_q "$file")"
  fi
  if ! flock -n "$TABULA_LOCK_FD"; then
    tabula_refuse_now 'another run of a Tabula step script is working on %s right now. Let it finish (or stop it), then run this again.' "$(tabula_q "${TARGET:-/}")"
  fi
}

tabula_phase_end() {
  TABULA_CURRENT_STEP=''
  tabula_journal phase finished "$TABULA_PLAN_ID"
  tabula_emit "$TABULA_MARK_PHASE_OK"
  printf '\n'
  if ((TABULA_DRY_RUN)); then
    if ((${#TABULA_DRY_PROBLEMS[@]})); then
      printf 'Dry run finished; nothing was changed. The real run would stop:\n'
      printf '  - %s\n' "${TABULA_DRY_PROBLEMS[@]}"
    else
      printf 'Dry run finished; nothing was changed.\n'
    fi
  else
    printf 'Phase %s finished.\n' "$TABULA_PHASE"
    local line
    for line in "${TABULA_SUMMARY[@]}"; do printf '%s\n' "$line"; done
  fi
  trap - EXIT INT TERM HUP
  exit 0
}

tabula_on_signal() {
  TABULA_STOP_REASON=cancelled
  printf '\nInterrupted (%s).\n' "$1" >&2
  exit "$TABULA_EXIT_INTERRUPTED"
}

tabula_on_exit() {
  local status=$?
  trap - EXIT
  if ((status == 0)); then return 0; fi
  local cancelled=0
  if [[ $TABULA_STOP_REASON == cancelled || $TABULA_STOP_REASON == not-confirmed ]]; then cancelled=1; fi
  if [[ -n $TABULA_CURRENT_STEP ]]; then
    if [[ -z $TABULA_STOP_REASON ]]; then
      printf '\nStep %d "%s" failed: this command exited with status %d:\n    $ %s\n' \
        "$TABULA_STEP_INDEX" "$TABULA_STEP_TITLE" "$status" "$TABULA_CURRENT_COMMAND" >&2
      if [[ -n $TABULA_CURRENT_COMMAND ]]; then
        tabula_why failed "this command exited with status $status: $TABULA_CURRENT_COMMAND"
      else
        tabula_why failed "the step stopped with status $status before its first command."
      fi
    fi
    tabula_emit "$TABULA_MARK_STEP_FAILED"
    tabula_journal "$TABULA_CURRENT_STEP" failed "status $status${TABULA_STOP_REASON:+ ($TABULA_STOP_REASON)}"
  fi
  if ((cancelled)); then
    tabula_emit "$TABULA_MARK_PHASE_CANCELLED"
  else
    tabula_emit "$TABULA_MARK_PHASE_FAILED"
  fi
  case $TABULA_STOP_REASON in
    refused) printf 'Nothing was changed by the refused step. Fix what the message says, then run the same command again.\n' >&2 ;;
    missing-tool) printf 'Run this phase where that tool exists (the Tabula LiveCD, or the NixOS system itself), with the same command: finished steps are skipped.\n' >&2 ;;
    not-confirmed) printf 'Nothing in that step ran. Run the same command again when you are ready.\n' >&2 ;;
    *) printf 'Later steps did not run; finished steps stay done. Fix the cause, then run the same command again: finished steps are skipped.\n' >&2 ;;
  esac
  exit "$status"
}

# Runs the step described by the TABULA_STEP_* variables: marker, title,
# guard (skip when done), tools, confirmation, then each command printed and
# run, then a sync and the journal record.
tabula_run_step() {
  TABULA_CURRENT_STEP=$TABULA_STEP_ID
  TABULA_CURRENT_COMMAND=''
  tabula_emit "$TABULA_MARK_STEP_START"
  printf '\n==> [%d/%d] %s\n' "$TABULA_STEP_INDEX" "$TABULA_STEP_COUNT" "$TABULA_STEP_TITLE"
  if [[ -n $TABULA_STEP_EXPLAIN ]]; then printf '    %s\n' "$TABULA_STEP_EXPLAIN"; fi
  tabula_journal "$TABULA_STEP_ID" started
  local cmd
  if [[ -n $TABULA_STEP_GUARD ]]; then
    local reason
    if reason=$(eval "$TABULA_STEP_GUARD" 2>/dev/null); then
      if ((TABULA_DRY_RUN)); then
        # Every command is printed, also those of a step the real run would skip.
        for cmd in "${TABULA_STEP_COMMANDS[@]}"; do printf '    $ %s\n' "$cmd"; done
      fi
      printf '    Skipped: %s.\n' "${reason:-$TABULA_STEP_DONE}"
      tabula_journal "$TABULA_STEP_ID" skipped "${reason:-$TABULA_STEP_DONE}"
      tabula_emit "$TABULA_MARK_STEP_SKIPPED"
      TABULA_CURRENT_STEP=''
      return 0
    fi
  fi
  local tool missing=()
  for tool in "${TABULA_STEP_REQUIRES[@]}"; do
    command -v -- "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    local message
    message="Step $TABULA_STEP_INDEX \"$TABULA_STEP_TITLE\" needs ${missing[*]}, which this machine does not have"
    if ((TABULA_DRY_RUN)); then
      printf '    (dry run) %s: the real run would stop here.\n' "$message"
      tabula_dry_stop
      TABULA_DRY_PROBLEMS+=("$message")
    else
      printf '\nMissing tool: %s. Tabula never imitates it.\n' "$message" >&2
      TABULA_STOP_REASON=missing-tool
      tabula_why missing-tool "$message."
      exit "$TABULA_EXIT_MISSING_TOOL"
    fi
  fi
  if ((TABULA_STEP_DESTRUCTIVE)) && ((!TABULA_DRY_RUN)) && ((!TABULA_YES)); then
    printf '    This step changes %s. It will run:\n' "$TABULA_STEP_CONFIRM"
    for cmd in "${TABULA_STEP_COMMANDS[@]}"; do printf '      %s\n' "$cmd"; done
    if [[ -z ${TABULA_CONFIRMED[$TABULA_STEP_CONFIRM]+set} ]] && ((${#TABULA_STEP_LATER[@]})); then
      printf '    The same answer also runs these later steps on it:\n'
      for cmd in "${TABULA_STEP_LATER[@]}"; do printf '      %s\n' "$cmd"; done
    fi
    tabula_confirm "$TABULA_STEP_CONFIRM"
  fi
  for cmd in "${TABULA_STEP_COMMANDS[@]}"; do
    printf '    $ %s\n' "$cmd"
    TABULA_CURRENT_COMMAND=$cmd
    TABULA_HALT=0
    if ((TABULA_DRY_RUN)); then
      # Tabula's own helpers honour the dry run and show what they would do;
      # anything else is only printed.
      if [[ $cmd =~ ^tabula_[a-z_]+( |$) ]]; then eval "$cmd"; fi
      if [[ $cmd == "mount "* ]]; then TABULA_DRY_MOUNTS+=("$cmd"); fi
      continue
    fi
    eval "$cmd"
  done
  tabula_sync
  TABULA_JOURNAL_LIVE=1
  tabula_journal "$TABULA_STEP_ID" done
  tabula_emit "$TABULA_MARK_STEP_DONE"
  TABULA_CURRENT_STEP=''
}

# Asks the user to type WANT (a device name) before a destructive step; once
# typed, later destructive steps on the same device in this run do not ask
# again (their commands were shown with the question: TABULA_STEP_LATER).
tabula_confirm() {
  local want=$1 answer='' short=''
  if [[ -n ${TABULA_CONFIRMED[$want]+set} ]]; then return 0; fi
  local also=''
  if ((${#TABULA_STEP_LATER[@]})); then also=' (and the later steps listed above)'; fi
  # A udev link (/dev/disk/by-uuid/..., 50 characters of hex) is hard to
  # type: the kernel name it points to now (/dev/nvme0n1p2) names the same
  # device, so it is accepted too, and said in the question.
  if [[ -L $want ]]; then
    short=$(readlink -f -- "$want" 2>/dev/null) || short=''
    if [[ $short != /dev/* || $short == "$want" || -L $short ]]; then short=''; fi
  fi
  printf '    Type %s%s to go ahead%s,\n    or anything else to stop: ' "$want" "${short:+ (or $short)}" "$also"
  if ! IFS= read -r answer; then
    printf '\n    No answer (input closed): pass --yes to confirm without a terminal.\n' >&2
    answer=''
  fi
  if [[ $answer != "$want" && (-z $short || $answer != "$short") ]]; then
    printf '\nNot confirmed: stopping before step %d "%s".\n' "$TABULA_STEP_INDEX" "$TABULA_STEP_TITLE" >&2
    TABULA_STOP_REASON=not-confirmed
    exit "$TABULA_EXIT_NOT_CONFIRMED"
  fi
  TABULA_CONFIRMED[$want]=1
}

# Asks a yes/no question (changing a file of the user's); --yes answers yes.
tabula_consent() {
  local question=$1 answer=''
  if ((TABULA_YES)); then return 0; fi
  if ((TABULA_DRY_RUN)); then
    printf '    (dry run) the real run asks: %s\n' "$question"
    return 0
  fi
  printf '    %s Type yes to go ahead: ' "$question"
  IFS= read -r answer || answer=''
  if [[ $answer != yes ]]; then
    printf '\nNot confirmed: stopping before step %d "%s" changes anything more.\n' "$TABULA_STEP_INDEX" "$TABULA_STEP_TITLE" >&2
    TABULA_STOP_REASON=not-confirmed
    exit "$TABULA_EXIT_NOT_CONFIRMED"
  fi
}

