# ---------------------------------------------------------------------------
# Tabula step-script library. Every steps.sh carries this block unchanged;
# the phase and step functions after it are generated from the plan.
# Source of truth: shared/plan/steps-lib/*.sh, one file per concern or phase,
# concatenated in name order (docs/step-script.md explains it).
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

