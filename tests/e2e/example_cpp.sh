#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The C++ example (examples/cpp/train_infer.cpp) under `jouletrace run`: its phases, nested
# epochs and item counts must reach the parent's JSON report.
set -eu
jt=$1
example=$2
fixtures=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$jt" run -q --sysfs-root "$fixtures/sysfs/intel-2s" --dev-root /nonexistent \
  --nvml-library /nonexistent --output "$out" -- "$example" --epochs 2 --samples 2000 --infer-passes 2
python3 - "$out" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
phases = {p["name"]: p for p in report["phases"]}
assert sorted(phases) == ["infer", "train", "train/epoch-1", "train/epoch-2"], sorted(phases)
assert phases["infer"]["items"] == 1000, phases["infer"]
assert phases["train"]["items"] == phases["train/epoch-1"]["items"] * 2 > 0, phases["train"]
assert phases["train"]["start_s"] <= phases["train/epoch-1"]["start_s"]
assert phases["train/epoch-2"]["end_s"] <= phases["train"]["end_s"]
assert phases["train"]["end_s"] <= phases["infer"]["start_s"]
assert report["markers"] == {"malformed": 0, "unmatched": 0}, report["markers"]
print("example phases:", ", ".join(f"{n} ({p['items']} items)" for n, p in sorted(phases.items())))
PY
