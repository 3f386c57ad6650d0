# ---------------------------------------------------------------------------
# Tabula step-script library. Every steps.sh carries this block unchanged;
# the phase and step functions after it are generated from the plan.
# Source of truth: shared/plan/steps-lib.sh (docs/step-script.md explains it).
#
# Rules every function here keeps:
#  - paths are always quoted and passed after `--`; names may hold spaces,
#    quotes, `$`, newlines, unicode or start with a dash;
#  - a path is never taken from $(...) as is (it would lose trailing
#    newlines): the command prints a guard character after it;
#  - nothing changes in a dry run (TABULA_DRY_RUN=1): helpers print the
#    commands they would run and stop there;
#  - data is moved with one rename(2) inside one filesystem (mv -T after
#    checking both sides are on the same filesystem), never copied then
#    deleted, never deleted;
#  - each helper decides what is left to do from the filesystem, so it can be
#    run again after a crash at any instant.
# ---------------------------------------------------------------------------

# Exit statuses (docs/step-script.md, "Exit status").
TABULA_EXIT_FAILED=1
TABULA_EXIT_REFUSED=2
TABULA_EXIT_MISSING_TOOL=3
TABULA_EXIT_NOT_CONFIRMED=4
TABULA_EXIT_INTERRUPTED=130

TABULA_YES=0
TABULA_DRY_RUN=0
TABULA_FORCE=0
TABULA_TARGET_GIVEN=0
TABULA_AS_USER=0
TABULA_MOUNTPOINT=''
TARGET=''
PLAN_DIR=''
TABULA_PHASE=''
TABULA_CURRENT_STEP=''
TABULA_STEP_INDEX=0
TABULA_STEP_TITLE=''
TABULA_CURRENT_COMMAND=''
TABULA_STOP_REASON=''
TABULA_JOURNALS=()
TABULA_JOURNAL_PENDING=()
TABULA_DRY_PROBLEMS=()
# Mount commands a dry run only printed: what the target holds after them is
# unknown, so a helper's finding about the target is not a real-run problem.
TABULA_DRY_MOUNTS=()
# Set in a dry run when a check or helper would have stopped the real run:
# the helper returns (status 0) and its callers check tabula_halted. Never
# call a helper that changes things in an `if`, `||` or `&&` context: bash
# turns `set -e` off inside it.
TABULA_HALT=0
declare -A TABULA_CONFIRMED=()

# --- output -----------------------------------------------------------------

tabula_say() { printf '%s\n' "$*"; }

# One shell word per argument, quoted the way bash reads it back (control
# characters as $'...'), so a hostile name cannot move the cursor or hide.
tabula_words() {
  local out='' word quoted
  for word in "$@"; do
    printf -v quoted '%q' "$word"
    out+="${out:+ }$quoted"
  done
  printf '%s' "$out"
}

tabula_q() { tabula_words "$1"; }

# Markers for the runner (OSC 9;4 progress and OSC 7707 step events); they are
# generated with shared/plan/markers.ts and only printed here.
tabula_emit() { printf '%s' "$1"; }

# Tells the runner why the run stops (REASON: refused, stopped, failed or
# missing-tool) in the sentence the terminal shows, so the summary can say it
# too. The text travels as hex, cut at TABULA_WHY_MAX_BYTES bytes; the
# marker's two ends come from markers.ts (TABULA_MARK_WHY_OPEN and _CLOSE).
tabula_why() {
  [[ -n ${TABULA_MARK_WHY_OPEN:-} ]] || return 0
  local hex=''
  # head may close the pipe before printf is done: the status is not the point.
  hex=$(printf '%s' "$2" | head -c "${TABULA_WHY_MAX_BYTES:-1800}" | od -An -v -tx1 | tr -d ' \n') || true
  tabula_emit "$TABULA_MARK_WHY_OPEN$1;$hex$TABULA_MARK_WHY_CLOSE"
}

# Runs one command that changes something, printing it first; a dry run only
# prints it.
tabula_do() {
  printf '      + %s\n' "$(tabula_words "$@")"
  if ((TABULA_DRY_RUN)); then return 0; fi
  "$@"
}

# --- stopping ---------------------------------------------------------------

# Refuses bad input before anything changed; exits with status 2. In a dry run
# the problem is remembered, TABULA_HALT is set, and the caller returns
# (`tabula_refuse "..."; return 0`).
tabula_refuse() {
  if tabula_dry_unchecked "$1"; then return 0; fi
  printf '\nRefused: %s\n' "$1" >&2
  if ((TABULA_DRY_RUN)); then
    tabula_dry_stop
    TABULA_DRY_PROBLEMS+=("step ${TABULA_CURRENT_STEP:-?}: $1")
    TABULA_HALT=1
    printf '(dry run: the real run would stop here; going on to show the rest)\n' >&2
    return 0
  fi
  TABULA_STOP_REASON=refused
  tabula_why refused "$1"
  exit "$TABULA_EXIT_REFUSED"
}

# Refuses the command line or the machine before the phase has begun (no
# dry-run leniency: a dry run with a wrong option is wrong too). FORMAT and
# ARGS as printf takes them.
tabula_refuse_now() {
  local text
  # The format is the caller's own sentence, never a path or a name.
  printf -v text -- "$@"
  printf '\nRefused: %s\n' "$text" >&2
  TABULA_STOP_REASON=refused
  tabula_why refused "$text"
  exit "$TABULA_EXIT_REFUSED"
}

# Stops in the middle of a step because the filesystem is not what the step
# expects (status 1). What was done before stays done; nothing is undone.
tabula_stop() {
  if tabula_dry_unchecked "$1"; then return 0; fi
  printf '\nStopped: %s\n' "$1" >&2
  if ((TABULA_DRY_RUN)); then
    tabula_dry_stop
    TABULA_DRY_PROBLEMS+=("step ${TABULA_CURRENT_STEP:-?}: $1")
    TABULA_HALT=1
    return 0
  fi
  TABULA_STOP_REASON=stopped
  tabula_why stopped "$1"
  exit "$TABULA_EXIT_FAILED"
}

# Did a dry-run stop happen in the helper just called?
tabula_halted() { ((TABULA_HALT)); }

# In a dry run, after a mount that was only printed, a helper looking at the
# target sees the empty folder, not the filesystem the real run mounts there:
# what it finds is said as unchecked, never as a reason the real run stops.
tabula_dry_unchecked() {
  ((TABULA_DRY_RUN)) || return 1
  ((${#TABULA_DRY_MOUNTS[@]})) || return 1
  [[ $TABULA_CURRENT_COMMAND == *'"$TARGET"'* ]] || return 1
  printf '      (dry run) not checked yet, since only the real run mounts the filesystems at %s: %s\n' \
    "$(tabula_q "$TARGET")" "$1"
  TABULA_HALT=1
}

# In a dry run whose mount of the target was only printed, the folder at
# TARGET is not the partition the real run works on (on a LiveCD it is
# usually an empty /mnt, on another machine anything at all). The migrate
# and bootloader helpers, which look only at what is under TARGET, then say
# what they would do without looking: WHAT is that sentence, said once per
# step.
TABULA_UNSEEN_SAID=''
tabula_dry_unseen() {
  ((TABULA_DRY_RUN)) || return 1
  ((${#TABULA_DRY_MOUNTS[@]})) || return 1
  if [[ $TABULA_UNSEEN_SAID != "$TABULA_CURRENT_STEP" ]]; then
    printf '      (dry run) not checked yet, since only the real run mounts the partition at %s: %s\n' \
      "$(tabula_q "$TARGET")" "$1"
    TABULA_UNSEEN_SAID=$TABULA_CURRENT_STEP
  fi
}

tabula_warn() { printf 'Warning: %s\n' "$1" >&2; }

# Tells the runner that the real run would stop in the current step.
tabula_dry_stop() {
  if [[ -n $TABULA_CURRENT_STEP && -n ${TABULA_MARK_DRY_STOP:-} ]]; then
    tabula_emit "$TABULA_MARK_DRY_STOP"
  fi
}

# --- journal ----------------------------------------------------------------

# Appends one record (time, phase, step, event, detail; tab-separated) to the
# phase's journal, the first of TABULA_JOURNALS whose folder exists. Records
# wait in memory until the first step has finished (so a refused run leaves
# no file behind) and until that folder exists. Each write is fsynced.
TABULA_JOURNAL_LIVE=0
tabula_journal() {
  local detail=${3:-}
  detail=${detail//$'\t'/ }
  detail=${detail//$'\n'/ }
  TABULA_JOURNAL_PENDING+=("$(date -u +%Y-%m-%dT%H:%M:%SZ)"$'\t'"$TABULA_PHASE"$'\t'"$1"$'\t'"$2"$'\t'"$detail")
  tabula_journal_flush
}

tabula_journal_flush() {
  if ((TABULA_DRY_RUN)) || ((!TABULA_JOURNAL_LIVE)) || ((${#TABULA_JOURNAL_PENDING[@]} == 0)); then return 0; fi
  local file
  for file in "${TABULA_JOURNALS[@]}"; do
    if [[ -d ${file%/*} ]]; then
      printf '%s\n' "${TABULA_JOURNAL_PENDING[@]}" >>"$file"
      sync -- "$file" 2>/dev/null || true
      TABULA_JOURNAL_PENDING=()
      return 0
    fi
  done
}

# The journal file in use now (empty if none of the candidates exists yet).
tabula_journal_file() {
  local file
  for file in "${TABULA_JOURNALS[@]}"; do
    if [[ -d ${file%/*} ]]; then
      printf '%s' "$file"
      return 0
    fi
  done
}

# Does the journal hold a record STEP EVENT DETAIL of this phase?
tabula_journal_has() {
  local file
  file=$(tabula_journal_file)
  [[ -n $file && -f $file ]] || return 1
  grep -qF -- $'\t'"$TABULA_PHASE"$'\t'"$1"$'\t'"$2"$'\t'"$3" "$file"
}

# Makes what the last step did durable before the next one starts (power loss).
tabula_sync() {
  if ((TABULA_DRY_RUN)); then return 0; fi
  local file
  file=$(tabula_journal_file)
  if [[ -n $file ]]; then sync -f -- "${file%/*}" 2>/dev/null || true; fi
  if [[ -d $TARGET ]]; then sync -f -- "$TARGET" 2>/dev/null || true; fi
}

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
  done
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

# --- convert: migrate (the old root is at TARGET) ------------------------------------

# Where the migration stands, read from the filesystem alone:
#   fresh        nothing moved yet, or only persisted paths
#   quarantining QUAR exists (created after every persisted path moved)
#   hoisting     nix/ was renamed to .tabula/nix-hoisting (the quarantine is complete)
#   hoisted      nix/ and .tabula/nix-hoisting are gone and store/ is at the top
tabula_migrate_stage() {
  local quar=$1
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
#   tabula_check_old_root STORE QUAR REL...
# STORE is the storage folder relative to the partition ("persistent"), QUAR
# the quarantine ("old-root"), RELs the persisted paths relative to "/".
tabula_check_old_root() {
  local store=$1 quar=$2
  shift 2
  local storetop=${store%%/*} json=$TARGET/.tabula/migration.json stage
  if tabula_dry_unseen "that it is this system's old root, holds this plan's .tabula/migration.json, has nothing mounted inside, and holds none of ${storetop}/, ${quar}/."; then
    return 0
  fi
  if [[ ! -d $TARGET ]]; then
    tabula_refuse "$(tabula_q "$TARGET") is not a folder: mount the old root partition there, or give --target the folder where it is mounted."
    return 0
  fi
  tabula_no_links "$TARGET" .tabula "Tabula keeps its journal in .tabula/ and hoists nix/ through it, so it must be a real folder on the partition: put the folder the link points to in its place, then run again."
  if tabula_halted; then return 0; fi
  tabula_no_links "$TARGET" nix/store "The migration renames nix/ and nix/store to the top of the partition, so they must be real folders on it: put the folder the link points to in its place, then run again."
  if tabula_halted; then return 0; fi
  local mounted
  mounted=$(findmnt -rn -o TARGET | while IFS= read -r m; do
    m=$(printf '%b' "$m")
    case $m in "$TARGET"/*) printf '%s\n' "$m" ;; esac
  done)
  if [[ -n $mounted ]]; then
    tabula_refuse "something is mounted inside $(tabula_q "$TARGET") ($(printf '%s' "$mounted" | head -n 1)). Moving across mounts would copy: unmount everything below it first."
    return 0
  fi
  if [[ -f $json ]] && grep -qF -- "\"planId\": \"$TABULA_PLAN_ID\"" "$json"; then
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
  stage=$(tabula_migrate_stage "$quar")
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
  else
    if [[ ! -d $TARGET/nix/store ]]; then
      if [[ $stage == hoisted ]]; then
        tabula_refuse "$(tabula_q "$TARGET") is converted already: store/ is at its top and there is no nix/. There is nothing to migrate; to reinstall the bootloader, run phase bootloader (with the partition mounted at the target's /nix)."
      else
        tabula_refuse "$(tabula_q "$TARGET") does not look like a NixOS root: $(tabula_q "$TARGET/nix/store") is missing. Check the partition (or --target)."
      fi
      return 0
    fi
    if ! tabula_exists "$TARGET/etc/NIXOS"; then
      tabula_refuse "$(tabula_q "$TARGET") does not look like a NixOS root: $(tabula_q "$TARGET/etc/NIXOS") is missing. Check the partition (or --target)."
      return 0
    fi
    local name other
    for name in "$storetop" "$quar" .tabula/nix-hoisting; do
      if tabula_exists "$TARGET/$name"; then
        # Left by a migration another plan began (the plan was made again
        # after a stop)? Then it is Tabula's, and that plan must finish it.
        other=$(tabula_other_migration)
        if [[ -n $other ]]; then
          tabula_refuse "$(tabula_q "$TARGET/$name") already exists: a migration by another plan ($other) began here and did not finish. Finish it with that plan's steps.sh (the plan folder whose prepare ran is in $(tabula_q "$TARGET/.tabula/plan")); a new plan cannot take over a half-done migration."
        else
          tabula_refuse "$(tabula_q "$TARGET/$name") already exists and the migration would create it. Move it out of the way (it is not Tabula's), then run again."
        fi
        return 0
      fi
    done
    local entry saved
    saved=$(shopt -p dotglob nullglob || true)
    shopt -s dotglob nullglob
    for entry in "$TARGET"/nix/*; do
      name=${entry##*/}
      # nix/nix would land on nix/ itself: a finished hoist would then look unfinished.
      if [[ $name == "$storetop" || $name == "$quar" || $name == .tabula || $name == nix ]]; then
        eval "$saved"
        tabula_refuse "$(tabula_q "$entry") would land on $(tabula_q "$TARGET/$name") when nix/ is hoisted, a name the migration uses to know where it stands. Move it out of nix/ first (it is not part of Nix)."
        return 0
      fi
    done
    eval "$saved"
    if [[ $(stat -c %d -- "$TARGET/nix") != "$(stat -c %d -- "$TARGET")" ]]; then
      tabula_refuse "$(tabula_q "$TARGET/nix") is a separate filesystem or btrfs subvolume: its contents cannot be renamed to the top of $(tabula_q "$TARGET")."
      return 0
    fi
  fi
  local rel prefix rest comp
  for rel in "$@"; do
    prefix=''
    rest=$rel
    while [[ $rest == */* ]]; do
      comp=${rest%%/*}
      rest=${rest#*/}
      prefix=${prefix:+$prefix/}$comp
      if [[ -L $TARGET/$prefix ]]; then
        tabula_refuse "$(tabula_q "$TARGET/$prefix") is a symbolic link, so persisting /$rel through it would move something else. Persist the link's target instead, or remove the path from the design."
        return 0
      fi
      if tabula_exists "$TARGET/$prefix" && [[ ! -d $TARGET/$prefix ]]; then
        tabula_refuse "$(tabula_q "$TARGET/$prefix") is not a folder, so /$rel cannot exist below it. Fix the design."
        return 0
      fi
    done
    if tabula_exists "$TARGET/$rel" && [[ $stage == fresh ]]; then
      if [[ $(stat -c %d -- "$TARGET/${rel%/*}") != "$(stat -c %d -- "$TARGET")" ]] && [[ $rel == */* ]]; then
        tabula_refuse "$(tabula_q "$TARGET/$rel") is on a separate filesystem or btrfs subvolume, so it cannot be renamed into $store/. Move it by hand or remove it from the design."
        return 0
      fi
      if [[ -L $TARGET/$rel ]]; then tabula_warn_persisted_link "$store" "$quar" "$rel" "$@"; fi
    fi
  done
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
# .tabula/ and the quarantine into TARGET/QUAR. RELs (the persisted paths) must
# all be gone from TARGET already: none of them may end up in the quarantine.
tabula_quarantine() {
  local store=$1 quar=$2
  shift 2
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
# began), then each entry moves up, then the empty folder is removed.
tabula_hoist() {
  local store=$1 quar=$2
  local storetop=${store%%/*} hold=$TARGET/.tabula/nix-hoisting entry name saved
  if tabula_dry_unseen "what nix/ holds (store/, var/, ...); each entry moves up:"; then
    printf '      + %s\n' "$(tabula_words mv -T -- "$TARGET/nix" "$hold")"
    printf '      + %s\n' "$(tabula_words mv -T -- "$hold/NAME" "$TARGET/NAME")"
    printf '      + %s\n' "$(tabula_words rmdir -- "$hold")"
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
  tabula_do rmdir -- "$from"
}

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
# --- end of the library -------------------------------------------------------
