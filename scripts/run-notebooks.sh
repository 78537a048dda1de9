#!/usr/bin/env bash
# Builds the library, then executes notebooks headless with the tslab kernel and saves their outputs
# in place. Exits non-zero at the first notebook with a failing cell, naming the notebook and the cell.
#
# Usage: scripts/run-notebooks.sh [--quick] [--no-build] [--timeout SECONDS] [NOTEBOOK.ipynb ...]
#   --quick            set OTMOE_QUICK=1 for the kernels; a notebook's parameters cell reads it to
#                      pick small sizes and few replicates (OTMOE_QUICK=1 in the environment does the same)
#   --no-build         skip `npm run build` (dist/ must be current)
#   --timeout SECONDS  limit for one cell (default 1800, or OTMOE_CELL_TIMEOUT)
#   NOTEBOOK           notebooks to run, in order (default: every notebooks/*.ipynb, sorted by name)
# On failure the notebook file stays unchanged, because nbconvert writes it only after every cell succeeded.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
timeout="${OTMOE_CELL_TIMEOUT:-1800}"
build=1
notebooks=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) export OTMOE_QUICK=1; shift ;;
    --no-build) build=0; shift ;;
    --timeout) timeout="${2:?--timeout needs a number of seconds}"; shift 2 ;;
    --timeout=*) timeout="${1#--timeout=}"; shift ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-notebooks: unknown option $1; see --help" >&2; exit 2 ;;
    *) notebooks+=("$1"); shift ;;
  esac
done

if ! [[ "$timeout" =~ ^[0-9]+$ ]] || [[ "$timeout" -eq 0 ]]; then
  echo "run-notebooks: timeout is '$timeout'; give a positive whole number of seconds" >&2
  exit 2
fi

if [[ ${#notebooks[@]} -eq 0 ]]; then
  shopt -s nullglob
  notebooks=("$repo_root"/notebooks/*.ipynb)
  shopt -u nullglob
  if [[ ${#notebooks[@]} -eq 0 ]]; then
    echo "run-notebooks: no notebooks found in $repo_root/notebooks" >&2
    exit 1
  fi
fi

for notebook in "${notebooks[@]}"; do
  if [[ ! -f "$notebook" ]]; then
    echo "run-notebooks: notebook $notebook not found" >&2
    exit 1
  fi
done

# The tslab kernel spec starts `tslab` from PATH.
export PATH="$repo_root/node_modules/.bin:$PATH"
if ! jupyter kernelspec list 2>/dev/null | awk '{print $1}' | grep -qx tslab; then
  echo "run-notebooks: Jupyter has no tslab kernel spec; installing it with scripts/setup-kernel.sh" >&2
  "$repo_root/scripts/setup-kernel.sh"
fi

if [[ "$build" -eq 1 ]]; then
  (cd "$repo_root" && npm run --silent build)
fi

echo "run-notebooks: ${#notebooks[@]} notebook(s), OTMOE_QUICK=${OTMOE_QUICK:-0}, cell timeout ${timeout} s"
for notebook in "${notebooks[@]}"; do
  started=$SECONDS
  echo "run-notebooks: executing $notebook"
  if ! jupyter nbconvert --to notebook --execute --inplace \
      --config="$repo_root/scripts/nbconvert_cell_errors.py" \
      --ExecutePreprocessor.kernel_name=tslab \
      --ExecutePreprocessor.timeout="$timeout" \
      "$notebook"; then
    echo "run-notebooks: FAILED $notebook (see the cell reported above)" >&2
    exit 1
  fi
  echo "run-notebooks: ok $notebook in $((SECONDS - started)) s"
done
