#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What NVML's energy call costs `jouletrace run` (issue 10, item 13). A fake NVML stands for a
# real driver: its nvmlDeviceGetTotalEnergyConsumption burns 3 ms of CPU and its counter moves
# every 100 ms, as measured on an H100 with driver 580 (docs/backends/nvml.md). For 0 and N GPUs
# at the default 100 ms interval and at 10 ms, prints jouletrace's own CPU time over a `sleep S`
# run, the share of a core each GPU adds, and each GPU's energy over the fake's truth (its power
# times the run's duration).
#
#   scripts/measure_nvml_cost.sh [BUILD_DIR] [SECONDS] [GPUS]
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
gpus=${3:-2}
jt="$build/apps/cli/jouletrace"
nvml="$build/tests/fakes/nvml/libnvidia-ml.so.1"
[ -x "$jt" ] && [ -f "$nvml" ] || { echo "build $jt and $nvml first" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sysfs"  # no RAPL, no hwmon: only the GPUs are sampled

run() {  # run GPUS INTERVAL -> "cpu_s duration_s energy_ratio"
  local n=$1 interval=$2 conf="$tmp/nvml.$1.conf"
  : > "$conf"
  for ((i = 0; i < n; i++)); do
    echo "gpu uuid=GPU-bench-$i power_w=300 energy_cost_ms=3 refresh_ms=100" >> "$conf"
  done
  JT_FAKE_NVML_CONFIG="$conf" "$jt" run --sysfs-root "$tmp/sysfs" --nvml-library "$nvml" \
    --no-bmc -i "$interval" -o "$tmp/r.json" -- sleep "$seconds" >/dev/null 2>&1
  python3 - "$tmp/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["duration_s"]
gpus = [c for c in r["components"] if c["id"].startswith("nvml/")]
ratios = [c["energy_j"] / (300.0 * t) for c in gpus if c["energy_j"] is not None]
print(r["jouletrace_cpu_s"], t, min(ratios) if ratios else "-", max(ratios) if ratios else "-")
PY
}

printf '%-9s %5s %12s %14s %22s\n' interval gpus "cpu (s)" "% core/GPU" "energy / truth (min..max)"
for interval in 100ms 10ms; do
  read -r base_cpu base_t _ _ < <(run 0 "$interval")
  printf '%-9s %5s %12.3f %14s %22s\n' "$interval" 0 "$base_cpu" - -
  read -r cpu t lo hi < <(run "$gpus" "$interval")
  share=$(awk -v c="$cpu" -v b="$base_cpu" -v t="$t" -v n="$gpus" \
    'BEGIN {printf "%.2f", 100 * (c - b) / t / n}')
  printf '%-9s %5s %12.3f %14s %22s\n' "$interval" "$gpus" "$cpu" "$share" "$lo..$hi"
done
