#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Slowdown of a CPU-bound program under `jouletrace run`, at 100 ms and 1 ms sampling intervals.
# Prints the median wall time of each configuration and its ratio to the bare run.
#
#   scripts/measure_overhead.sh [BUILD_DIR] [REPEATS] [SYSFS_ROOT]
#
# SYSFS_ROOT defaults to a copy of the 2-socket test fixture, so the sampler reads 7 channels the
# way it does on a real node; give /sys to measure against the machine's own sensors.
set -euo pipefail
build=${1:-build}
repeats=${2:-7}
sysfs=${3:-}
jt="$build/apps/cli/jouletrace"
burner="$build/bench/cpu_burner"
rounds=${JT_BURNER_ROUNDS:-1500000000}
# JT_PIN_CPU=N puts the program and the sampler on one core: the worst case, where every
# sampling round is taken from the measured program.
pin=()
[ -n "${JT_PIN_CPU:-}" ] && pin=(taskset -c "$JT_PIN_CPU")
[ -x "$jt" ] && [ -x "$burner" ] || { echo "build $jt and $burner first" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$sysfs" ]; then
  cp -r "$(dirname "$0")/../tests/fixtures/sysfs/intel-2s" "$tmp/sysfs"
  sysfs="$tmp/sysfs"
fi

seconds() {  # wall time of one run of "$@", in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.6f\n", b - a}'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A result
for config in bare 100ms 1ms; do
  : >"$tmp/$config"
done
# Interleave the configurations so that drift in the machine's speed hits all of them alike.
for ((i = 0; i < repeats; i++)); do
  for config in bare 100ms 1ms; do
    if [ "$config" = bare ]; then
      seconds "${pin[@]}" "$burner" "$rounds" >>"$tmp/$config"
    else
      seconds "${pin[@]}" "$jt" run -q --interval "$config" --sysfs-root "$sysfs" --dev-root "$tmp/nodev" \
        --nvml-library /nonexistent --output "$tmp/report.json" -- "$burner" "$rounds" >>"$tmp/$config"
      # jouletrace's own CPU time per second of run: the sampler's cost, free of timing noise.
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["jouletrace_cpu_s"] / r["duration_s"])' \
        "$tmp/report.json" >>"$tmp/$config.cpu"
    fi
  done
done
for config in bare 100ms 1ms; do result[$config]=$(median <"$tmp/$config"); done
printf "%-8s %10s %10s %16s\n" config median_s slowdown jouletrace_cpu
for config in bare 100ms 1ms; do
  cpu="-"
  [ -f "$tmp/$config.cpu" ] && cpu=$(median <"$tmp/$config.cpu")
  awk -v c="$config" -v t="${result[$config]}" -v b="${result[bare]}" -v u="$cpu" \
    'BEGIN {printf "%-8s %10.4f %9.3f%% %15s%%\n", c, t, (t / b - 1) * 100, (u == "-") ? "-" : sprintf("%.4f", u * 100)}'
done
