#!/usr/bin/env bash
# "Builds" a NixOS system for the stand-ins: evaluates the configuration
# with ../eval/eval.nix (the real nix-instantiate; its errors, failed
# assertions and warnings come out as Nix prints them), makes the toplevel
# tree with ../make-system.sh and adds it to the store with the real
# `nix-store --add`. Prints the store path.
#
#   build-system.sh [--store DIR] [--log-format FMT] [-v]... [--show-trace]
#                   [--option NAME VALUE]... (--flake DIR --attr NAME | --configuration FILE)
#
# With --log-format internal-json it also prints, on stderr, the activity
# lines `nix build` prints for one derivation (Realise, Builds, Build with a
# log line and a phase; the .drv path named in them is made up): what a
# progress reader of `nix build --log-format internal-json -v` expects.
# A flake inside a git work tree is evaluated from a copy holding only the
# files git knows (git ls-files: tracked and `git add --intent-to-add`ed),
# as Nix's git fetcher does: an untracked file is invisible to the flake.
# $NIXPKGS_LIB and $IMPERMANENCE_SRC choose the evaluator (see eval.nix).
set -euo pipefail
here=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)

store=() log_format='' nix_flags=() flake='' attr='' configuration=''
while (($#)); do
  case $1 in
    --store)
      store=(--store "$2")
      shift
      ;;
    --log-format)
      log_format=$2
      nix_flags+=(--log-format "$2")
      shift
      ;;
    -v*) nix_flags+=("$1") ;;
    --show-trace) nix_flags+=(--show-trace) ;;
    --option)
      nix_flags+=(--option "$2" "$3")
      shift 2
      ;;
    --flake)
      flake=$2
      shift
      ;;
    --attr)
      attr=$2
      shift
      ;;
    --configuration)
      configuration=$2
      shift
      ;;
    *)
      echo "build-system.sh: unknown argument $1" >&2
      exit 2
      ;;
  esac
  shift
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tabula-standin-build.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

args=()
if [[ -n $flake ]]; then
  src=$flake
  if top=$(git -c safe.directory='*' -C "$flake" rev-parse --show-toplevel 2>/dev/null); then
    rel=$(realpath --relative-to="$top" "$flake")
    mkdir -p -- "$work/source"
    while IFS= read -r -d '' file; do
      if [[ -e $top/$file || -L $top/$file ]]; then
        mkdir -p -- "$work/source/$(dirname -- "$file")"
        cp -a -- "$top/$file" "$work/source/$file"
      fi
    done < <(git -c safe.directory='*' -C "$top" ls-files -z --cached)
    src=$work/source/$rel
    src=${src%/.}
  fi
  args+=(--argstr flake "$src" --argstr attr "$attr")
else
  args+=(--argstr configuration "$configuration")
fi
[[ -n ${NIXPKGS_LIB:-} ]] && args+=(--argstr nixpkgsLib "$NIXPKGS_LIB")
[[ -n ${IMPERMANENCE_SRC:-} ]] && args+=(--argstr impermanence "$IMPERMANENCE_SRC")

nix-instantiate --eval --strict --json "${nix_flags[@]}" "$here/eval/eval.nix" \
  "${args[@]}" --arg failOnAssertions true >"$work/config.json"

name=$("$here/make-system.sh" --name "$work/config.json")
"$here/make-system.sh" "$work/$name" "$work/config.json"

json=0
[[ $log_format == internal-json ]] && json=1
base=$(((RANDOM << 30) + (RANDOM << 15) + RANDOM + 100000000000000))
emit() { ((json)) && printf '@nix %s\n' "$1" >&2 || true; }
drv=/nix/store/$(sha256sum <"$work/config.json" | tr -dc 'a-z0-9' | tr 'eotu' 'abcd' | cut -c1-32)-$name.drv
realise=$base builds=$((base + 1)) build=$((base + 2))
emit "{\"action\":\"start\",\"id\":$realise,\"level\":0,\"parent\":0,\"text\":\"\",\"type\":102,\"fields\":[]}"
emit "{\"action\":\"start\",\"id\":$builds,\"level\":0,\"parent\":$realise,\"text\":\"\",\"type\":104,\"fields\":[]}"
emit "{\"action\":\"result\",\"id\":$builds,\"type\":105,\"fields\":[0,1,0,0]}"
emit "{\"action\":\"start\",\"id\":$build,\"level\":3,\"parent\":$builds,\"text\":\"building '$drv'\",\"type\":105,\"fields\":[\"$drv\",\"\",1,1]}"
emit "{\"action\":\"result\",\"id\":$builds,\"type\":105,\"fields\":[0,1,1,0]}"
emit "{\"action\":\"result\",\"id\":$build,\"type\":104,\"fields\":[\"installPhase\"]}"
emit "{\"action\":\"result\",\"id\":$build,\"type\":101,\"fields\":[\"tabula stand-in: adding $name to the store\"]}"

status=0
path=$(nix-store "${store[@]}" --add "$work/$name") || status=$?
if ((status)); then
  emit "{\"action\":\"result\",\"id\":$builds,\"type\":105,\"fields\":[0,1,0,1]}"
else
  emit "{\"action\":\"result\",\"id\":$builds,\"type\":105,\"fields\":[1,1,0,0]}"
fi
emit "{\"action\":\"stop\",\"id\":$build}"
emit "{\"action\":\"stop\",\"id\":$builds}"
emit "{\"action\":\"stop\",\"id\":$realise}"
((status)) && exit "$status"
printf '%s\n' "$path"
