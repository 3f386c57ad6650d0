# Shared by the stand-ins in ../bin (sourced, never run). Sets STANDIN_DIR
# (the nixos-tools folder) and defines standin_log, which appends one JSON
# line to $TABULA_STANDIN_LOG (see standin_log.py).

STANDIN_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

# standin_log TOOL [KEY=VALUE | KEY:=JSON]... -- ARGV...
standin_log() {
  [[ -n ${TABULA_STANDIN_LOG:-} ]] || return 0
  python3 "$STANDIN_DIR/lib/standin_log.py" "$@" || true
}

# A JSON string for $1 (for KEY:=JSON facts).
standin_json() {
  python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"
}

# A JSON list of the arguments.
standin_json_list() {
  python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@"
}
