#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Hardware check: on a machine with real RAPL or NVML, `jouletrace sensors` must find them and
# `jouletrace run` must measure a non-zero package energy. Skips (77) where there is nothing.
set -eu
bin=$1
if ! ls /sys/class/powercap/intel-rapl:* >/dev/null 2>&1 && ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "SKIP: no RAPL zones and no NVIDIA driver on this machine"
  exit 77
fi
"$bin" sensors
out=$(mktemp)
"$bin" run --output "$out" -- sh -c 'i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done'
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
measured = [c for c in r["components"] if c["method"] != "model" and c["samples"] >= 2]
assert measured, "no measured component: " + json.dumps(r["sensors"])
assert r["total_energy_j"] > 0, r
print("measured:", [(c["id"], round(c["energy_j"], 3)) for c in measured])
PY
rm -f "$out"
