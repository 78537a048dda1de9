#!/usr/bin/env bash
# Acceptance checks of otmoe against an independent reference and against itself. Not part of `npm test`.
#
# Run from the repository root after `npm ci` (needs node, python3 with numpy and scipy, GNU date):
#
#     bash bench/acceptance.sh
#
# What it checks, each with a PASS/FAIL line and the numbers:
#   0. Only when REFERENCE_FIXTURE names a folder with train.csv, test.csv (columns x1..x3, y) and expected.json
#      (K, train_loglik_best_known, train_loglik_tolerance, test_loglik): the reference EM reaches the known
#      training log-likelihood within its tolerance, and its test log-likelihood is within 1e-6 relative.
#   1. Core library, on a simulated 40 000-row training CSV and an independent test CSV (another seed):
#      a. `otmoe fit` wall time, node start-up and file reading included, is below FIT_SECONDS_MAX (the fastest
#         of FIT_REPEATS runs, so that a burst of load from other jobs counts less).
#      b. The test log-likelihood of the `otmoe fit` model (`otmoe evaluate`) is within FIT_RELATIVE_MAX of
#         that of the numpy/scipy reference EM (bench/reference/moe_em.py, 10 starts, tolerance 1e-10).
#      c. `otmoe evaluate` of the reference's model reproduces the reference's own test log-likelihood within
#         1e-9 relative (two independent implementations of the density agree).
#   2. Distributed learner, `otmoe distributed` with K = 4, every method, M = 4 and M = 16 machines:
#      a. The OT model's test log-likelihood is within OT_RELATIVE_MAX of the global fit's.
#      b. For M = 4, the machine CSVs written by --shards-dir go through `otmoe fit-local` (seed = distributed
#         seed + machine index, 0-based, with the machine's share of the support points) and `otmoe aggregate`.
#         The largest absolute difference of any parameter from the OT model in results.json is at most
#         REPLAY_ABSOLUTE_MAX, because both paths run the same arithmetic on the same inputs.
# The script exits with status 1 if any check fails and with 2 if a step fails to run.
#
# Environment variables, with their defaults:
#   N [40000] training rows, TEST_N [10000] test rows.
#   SEED [1] seed of the training draw; the test draw uses SEED + 1000. DIST_SEED [0] seed of the distributed runs.
#   REF_STARTS [10] starts of the reference EM. FIT_REPEATS [3] timed runs of `otmoe fit`, the fastest is checked.
#   REFERENCE_FIXTURE [unset] enables check 0. WORK [a new temporary folder] output folder.
#   SKIP_BUILD [0] set to 1 to use dist/ as it is, without running tsc.
#   Limits: FIT_SECONDS_MAX [1.5], FIT_RELATIVE_MAX [5e-4], OT_RELATIVE_MAX [5e-3], REPLAY_ABSOLUTE_MAX [1e-10].
#
# Wall times depend on the load of the machine, so the script prints the CPU time and the load average next to
# each one.

set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-40000}
TEST_N=${TEST_N:-10000}
SEED=${SEED:-1}
DIST_SEED=${DIST_SEED:-0}
REF_STARTS=${REF_STARTS:-10}
SKIP_BUILD=${SKIP_BUILD:-0}
FIT_SECONDS_MAX=${FIT_SECONDS_MAX:-1.5}
FIT_REPEATS=${FIT_REPEATS:-3}
FIT_RELATIVE_MAX=${FIT_RELATIVE_MAX:-5e-4}
OT_RELATIVE_MAX=${OT_RELATIVE_MAX:-5e-3}
REPLAY_ABSOLUTE_MAX=${REPLAY_ABSOLUTE_MAX:-1e-10}
WORK=${WORK:-$(mktemp -d -t otmoe-acceptance.XXXXXX)}
mkdir -p "$WORK"

K=4
FEATURES=x1,x2,x3,x4,x5
METHODS=global,ot,ot-posterior,average,aligned,medoid,greedy,fedem
OTMOE=(node dist/cli/main.js)
FAILURES=0

log() { printf '%s\n' "$*"; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# run OUTFILE COMMAND...: runs a step with its standard output in OUTFILE and its standard error in
# OUTFILE.stderr. On failure it prints both and exits with status 2.
run() {
  local outfile=$1
  shift
  if ! "$@" >"$outfile" 2>"$outfile.stderr"; then
    log "ERROR: '$*' failed; its output ($outfile, $outfile.stderr):"
    cat "$outfile" "$outfile.stderr"
    exit 2
  fi
}

# timed OUTFILE COMMAND...: like run, and sets WALL_SECONDS (date +%s.%N around the command) and CPU_SECONDS
# (user + system time from /usr/bin/time, or "n/a" without it).
timed() {
  local outfile=$1
  shift
  local started finished
  started=$(now)
  if [ -x /usr/bin/time ]; then
    run "$outfile" /usr/bin/time -f "%U %S" -o "$outfile.time" "$@"
    CPU_SECONDS=$(python3 -c "import sys; user, system = open(sys.argv[1]).read().split()[-2:]; print(f'{float(user) + float(system):.2f}')" "$outfile.time")
  else
    run "$outfile" "$@"
    CPU_SECONDS=n/a
  fi
  finished=$(now)
  WALL_SECONDS=$(elapsed "$started" "$finished")
}

# verdict NAME PASSED DETAILS: prints one PASS/FAIL line and counts failures.
verdict() {
  if [ "$2" = 1 ]; then
    log "PASS  $1: $3"
  else
    log "FAIL  $1: $3"
    FAILURES=$((FAILURES + 1))
  fi
}

# json_field FILE EXPRESSION: prints a Python expression evaluated on the JSON object `j` read from FILE.
json_field() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"; }

# within VALUE REFERENCE LIMIT: prints "1 relative-difference" if |VALUE − REFERENCE| / |REFERENCE| <= LIMIT.
within() {
  python3 -c "
import sys
value, reference, limit = map(float, sys.argv[1:])
relative = abs(value - reference) / abs(reference)
print(int(relative <= limit), f'{relative:.3e}')" "$1" "$2" "$3"
}

log "otmoe acceptance checks; output folder $WORK"
log "machine: $(nproc) cores, load average $(load_average) (1, 5, 15 min)"

if [ "$SKIP_BUILD" != 1 ]; then
  # tsc still writes dist/ when it reports type errors, so a type error is shown but does not stop the run.
  if ! npx tsc -p tsconfig.json >"$WORK/build.log" 2>&1; then
    log "warning: tsc reported errors (see $WORK/build.log); continuing with the JavaScript it wrote:"
    head -n 5 "$WORK/build.log"
  fi
fi
[ -f dist/cli/main.js ] || { log "ERROR: dist/cli/main.js is missing; build with 'npx tsc -p tsconfig.json'."; exit 2; }

# ---------------------------------------------------------------------------------------------------------------
if [ -n "${REFERENCE_FIXTURE:-}" ]; then
  log ""
  log "== 0. Reference EM on the fixture $REFERENCE_FIXTURE"
  expected=$REFERENCE_FIXTURE/expected.json
  run "$WORK/reference-fixture.json" python3 bench/reference/moe_em.py --train "$REFERENCE_FIXTURE/train.csv" --test "$REFERENCE_FIXTURE/test.csv" \
    --target y --features x1,x2,x3 --K "$(json_field "$expected" "j['K']")" --starts "$REF_STARTS" --seed 0 --quiet
  fixture_train=$(json_field "$WORK/reference-fixture.json" "repr(j['train_loglik'])")
  fixture_test=$(json_field "$WORK/reference-fixture.json" "repr(j['test_loglik'])")
  known_train=$(json_field "$expected" "repr(j['train_loglik_best_known'])")
  known_tolerance=$(json_field "$expected" "repr(j['train_loglik_tolerance'])")
  known_test=$(json_field "$expected" "repr(j['test_loglik'])")
  passed=$(python3 -c "import sys; a, b, t = map(float, sys.argv[1:]); print(int(abs(a - b) <= t))" "$fixture_train" "$known_train" "$known_tolerance")
  verdict "0 reference EM, training log-likelihood" "$passed" "reference $fixture_train, known $known_train (tolerance $known_tolerance)"
  read -r passed relative < <(within "$fixture_test" "$known_test" 1e-6)
  verdict "0 reference EM, test log-likelihood" "$passed" "reference $fixture_test, known $known_test, relative difference $relative (limit 1e-6)"
fi

# ---------------------------------------------------------------------------------------------------------------
log ""
log "== 1. Core library: otmoe fit against the reference EM (n = $N, test n = $TEST_N, K = $K)"

TRAIN=$WORK/train.csv
TEST=$WORK/test.csv
run "$WORK/simulate-train.log" "${OTMOE[@]}" simulate --n "$N" --seed "$SEED" --out "$TRAIN" --truth-out "$WORK/truth.json"
run "$WORK/simulate-test.log" "${OTMOE[@]}" simulate --n "$TEST_N" --seed $((SEED + 1000)) --out "$TEST"

# Start-up alone: what every otmoe command pays before it reads its input.
timed "$WORK/help.log" "${OTMOE[@]}" --help
log "      otmoe start-up (otmoe --help): ${WALL_SECONDS} s wall, ${CPU_SECONDS} s CPU, load average $(load_average)"

fit_times=()
for ((repeat = 1; repeat <= FIT_REPEATS; repeat++)); do
  timed "$WORK/fit.log" "${OTMOE[@]}" fit --data "$TRAIN" --target y --features "$FEATURES" --K "$K" --out "$WORK/fit.json"
  fit_times+=("$WALL_SECONDS")
  log "      otmoe fit run $repeat: ${WALL_SECONDS} s wall, ${CPU_SECONDS} s CPU, load average $(load_average)"
done
fit_seconds=$(printf '%s\n' "${fit_times[@]}" | sort -g | head -n 1)
sed 's/^/      /' "$WORK/fit.log"

run "$WORK/evaluate-fit.json" "${OTMOE[@]}" evaluate --model "$WORK/fit.json" --data "$TEST" --target y
otmoe_test=$(json_field "$WORK/evaluate-fit.json" "repr(j['logLikelihood'])")
otmoe_train=$(json_field "$WORK/fit.json" "repr(j['fit']['logLikelihood'])")

log "      reference EM: $REF_STARTS starts, tolerance 1e-10 ..."
run "$WORK/reference.json" python3 bench/reference/moe_em.py --train "$TRAIN" --test "$TEST" --target y --features "$FEATURES" \
  --K "$K" --starts "$REF_STARTS" --seed 0 --quiet
reference_test=$(json_field "$WORK/reference.json" "repr(j['test_loglik'])")
reference_train=$(json_field "$WORK/reference.json" "repr(j['train_loglik'])")
reference_seconds=$(json_field "$WORK/reference.json" "f\"{j['seconds']:.2f}\"")
json_field "$WORK/reference.json" "json.dumps(j['model'])" >"$WORK/reference-model.json"

read -r passed relative < <(within "$otmoe_test" "$reference_test" "$FIT_RELATIVE_MAX")
train_relative=$(within "$otmoe_train" "$reference_train" 1 | cut -d' ' -f2)
verdict "1b test log-likelihood, otmoe fit vs reference" "$passed" \
  "otmoe $otmoe_test, reference $reference_test, relative difference $relative (limit $FIT_RELATIVE_MAX); train: otmoe $otmoe_train, reference $reference_train (relative $train_relative); reference took ${reference_seconds} s"

passed=$(python3 -c "import sys; print(int(float(sys.argv[1]) < float(sys.argv[2])))" "$fit_seconds" "$FIT_SECONDS_MAX")
verdict "1a otmoe fit wall time" "$passed" "fastest of $FIT_REPEATS runs ${fit_seconds} s including node start-up (limit ${FIT_SECONDS_MAX} s; all runs: ${fit_times[*]} s) on $(nproc) cores"

run "$WORK/evaluate-reference.json" "${OTMOE[@]}" evaluate --model "$WORK/reference-model.json" --data "$TEST" --target y
cross_test=$(json_field "$WORK/evaluate-reference.json" "repr(j['logLikelihood'])")
read -r passed relative < <(within "$cross_test" "$reference_test" 1e-9)
verdict "1c otmoe evaluate of the reference model" "$passed" "otmoe $cross_test, reference $reference_test, relative difference $relative (limit 1e-9)"

# ---------------------------------------------------------------------------------------------------------------
for M in 4 16; do
  log ""
  log "== 2. Distributed learner: M = $M machines, K = $K, methods $METHODS, seed $DIST_SEED"

  results=$WORK/distributed-M$M.json
  shards=$WORK/shards-M$M
  timed "$WORK/distributed-M$M.log" "${OTMOE[@]}" distributed --data "$TRAIN" --target y --features "$FEATURES" --machines "$M" --K "$K" \
    --methods "$METHODS" --shards-dir "$shards" --seed "$DIST_SEED" --out "$results"
  log "      run took ${WALL_SECONDS} s wall, ${CPU_SECONDS} s CPU, load average $(load_average)"
  python3 - "$results" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print(f"      {'method':<14}{'test loglik':>16}{'RPE':>10}{'wall s':>9}{'slowest local s':>17}{'aggregation s':>15}")
for r in results:
    t = r["times"]
    show = lambda v: "-" if v is None else f"{v:.3f}"
    print(f"      {r['method']:<14}{r['metrics']['logLikelihood']:>16.4f}{r['metrics']['rpe']:>10.5f}{t['wall']:>9.3f}{show(t['slowestLocal']):>17}{show(t['aggregation']):>15}")
EOF

  global_test=$(json_field "$results" "repr(next(r for r in j['results'] if r['method'] == 'global')['metrics']['logLikelihood'])")
  ot_test=$(json_field "$results" "repr(next(r for r in j['results'] if r['method'] == 'ot')['metrics']['logLikelihood'])")
  read -r passed relative < <(within "$ot_test" "$global_test" "$OT_RELATIVE_MAX")
  verdict "2a M = $M OT vs global test log-likelihood" "$passed" "ot $ot_test, global $global_test, relative difference $relative (limit $OT_RELATIVE_MAX)"
done

# ---------------------------------------------------------------------------------------------------------------
M=4
log ""
log "== 2b. Replay of the M = $M run: otmoe fit-local on each machine CSV, then otmoe aggregate"

results=$WORK/distributed-M$M.json
shards=$WORK/shards-M$M
support_size=$(json_field "$results" "j['settings']['supportSize']")
models=()
supports=()
for ((m = 0; m < M; m++)); do
  machine_csv=$shards/machine_$((m + 1)).csv
  rows=$(($(wc -l <"$machine_csv") - 1))
  # The machine's share of the pooled support, round(S n_m / n), as drawSupport computes it; S = 2000 by default.
  share=$(python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
n = sum(f['n'] for f in s['localFits'])
print(min(int(sys.argv[3]), max(1, int(float(sys.argv[2]) * int(sys.argv[3]) / n + 0.5))))" "$results" "$support_size" "$rows")
  run "$WORK/fit-local-$((m + 1)).log" "${OTMOE[@]}" fit-local --data "$machine_csv" --target y --features "$FEATURES" --K "$K" \
    --seed $((DIST_SEED + m)) --out "$WORK/local-$((m + 1)).json" --support-out "$WORK/support-$((m + 1)).csv" --support-size "$share"
  local_loglik=$(json_field "$WORK/local-$((m + 1)).json" "repr(j['fit']['logLikelihood'])")
  study_loglik=$(json_field "$results" "repr(j['localFits'][$m]['logLikelihood'])")
  log "      machine $((m + 1)): $rows rows, $share support points, local log-likelihood $local_loglik (distributed run: $study_loglik)"
  models+=("$WORK/local-$((m + 1)).json")
  supports+=("$WORK/support-$((m + 1)).csv")
done

run "$WORK/aggregate.log" "${OTMOE[@]}" aggregate --models "${models[@]}" --support "${supports[@]}" --K "$K" --method ot \
  --seed "$DIST_SEED" --out "$WORK/aggregated.json"
cat "$WORK/aggregate.log" "$WORK/aggregate.log.stderr" | sed 's/^/      /'

comparison=$(python3 - "$results" "$WORK/aggregated.json" <<'EOF'
import json, sys
ot = next(r for r in json.load(open(sys.argv[1]))["results"] if r["method"] == "ot")["model"]
replay = json.load(open(sys.argv[2]))
worst = {}
for name in ("gates", "experts", "variances"):
    a, b = ot[name], replay[name]
    flat = lambda v: [x for row in v for x in row] if isinstance(v[0], list) else v
    worst[name] = max(abs(x - y) for x, y in zip(flat(a), flat(b)))
print(f"{max(worst.values())!r} " + ", ".join(f"{k} {v:.3e}" for k, v in worst.items()))
EOF
)
max_difference=${comparison%% *}
passed=$(python3 -c "import sys; print(int(float(sys.argv[1]) <= float(sys.argv[2])))" "$max_difference" "$REPLAY_ABSOLUTE_MAX")
verdict "2b fit-local + aggregate vs distributed OT model" "$passed" "max absolute parameter difference $max_difference (${comparison#* }; limit $REPLAY_ABSOLUTE_MAX)"

# ---------------------------------------------------------------------------------------------------------------
log ""
log "load average at the end: $(load_average)"
if [ "$FAILURES" -gt 0 ]; then
  log "$FAILURES check(s) failed; outputs are in $WORK"
  exit 1
fi
log "all checks passed; outputs are in $WORK"
