#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end cost of `jouletrace job` and `jouletrace jobs` (docs/PERFORMANCE.md, "Job store"):
# the CLI process, its request to a real agent, the agent's store thread and the query, on a
# store filled by bench/store_benchmark (100 000 jobs x 4 nodes by default).
#
#   scripts/bench_jobs_cli.sh [BUILD_DIR=build] [STORE=/tmp/jt-store-bench-100000.sqlite] [RUNS=30]
#
# Prints the median and the slowest of RUNS wall-clock runs of each command, in ms. Needs root
# (the agent) and the store file (run `build/bench/store_benchmark` once to fill it).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
store=${2:-/tmp/jt-store-bench-100000.sqlite}
runs=${3:-30}
[[ -f $store ]] || { echo "no store at $store: run $build/bench/store_benchmark first" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill "$agent" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r tests/fixtures/sysfs/intel-2s "$work/sysfs"
printf '{"store": {"kind": "sqlite", "path": "%s"}}\n' "$store" >"$work/agent.json"
"$build/apps/cli/jouletrace" agent --sysfs-root "$work/sysfs" --dev-root "$work/sysfs/dev" \
  --socket "$work/agent.sock" --state-dir "$work/state" --config "$work/agent.json" \
  --nvml-library /nonexistent --no-bmc 2>"$work/agent.err" &
agent=$!
for _ in $(seq 100); do [[ -S $work/agent.sock ]] && break; sleep 0.1; done
export JOULETRACE_AGENT=$work/agent.sock

time_ms() {  # time_ms ARGS...: the wall time of one run in ms
  local t0 t1
  t0=$(date +%s%N)
  "$build/apps/cli/jouletrace" "$@" >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
}
measure() {  # measure LABEL ARGS...
  local label=$1 samples=()
  shift
  time_ms "$@" >/dev/null  # the first opens the store
  for _ in $(seq "$runs"); do samples+=("$(time_ms "$@")"); done
  printf '%s\n' "${samples[@]}" | sort -n | awk -v label="$label" -v n="$runs" '
    { v[NR] = $1 } END { printf "%-34s median %.1f ms, slowest %.1f ms (%d runs)\n", label,
      v[int((n + 1) / 2)] / 1000, v[n] / 1000, n }'
}
measure "jouletrace job 50000 --json" job 50000 --json
measure "jouletrace job 50000" job 50000
measure "jouletrace jobs (newest 100)" jobs
measure "jouletrace jobs --json --limit 100" jobs --json --limit 100
measure "jouletrace --version (process alone)" --version
