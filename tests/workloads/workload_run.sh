#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A tiny run of a bundled workload under the real `jouletrace run`, on a fixture node of known
# power (tests/fixtures/sysfs/intel-2s): the report must have the `train` and `infer` phases with
# the items asked for and the node meter's energy of the fixture's constant power over each phase,
# and the workload's --json metrics a score in [0, 1].
#
# Usage: workload_run.sh JOULETRACE WORKLOAD FIXTURES fashion-mnist|unet3d
# Fashion-MNIST missing: skipped (exit 77), or failed when JOULETRACE_REQUIRE_DATASETS=1.
set -eu
jt=$1 workload=$2 fixtures=$3 name=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case $name in
  fashion-mnist)
    data=${JOULETRACE_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
    if [ ! -e "$data/train-images-idx3-ubyte.gz" ]; then
      if [ "${JOULETRACE_REQUIRE_DATASETS:-0}" = 1 ]; then
        echo "FAIL: Fashion-MNIST not found in $data (Debian: dataset-fashion-mnist) and" \
          "JOULETRACE_REQUIRE_DATASETS=1"
        exit 1
      fi
      echo "SKIP: Fashion-MNIST not found in $data (Debian: dataset-fashion-mnist)"
      exit 77
    fi
    set -- fashion-mnist --epochs 1 --train-limit 256 --test-limit 128 --batch-size 64
    train_items=256 infer_items=128 metric=accuracy ;;
  unet3d)
    set -- unet3d --steps 4 --batch-size 2 --volume-size 16 --patch-size 8 --train-volumes 2 \
      --test-volumes 3
    train_items=8 infer_items=3 metric=dice ;;
  *) echo "unknown workload $name"; exit 2 ;;
esac

"$jt" run -q --sysfs-root "$fixtures/sysfs/intel-2s" --dev-root /nonexistent \
  --nvml-library /nonexistent --output "$work/report.json" -- \
  "$workload" "$@" --threads 1 --seed 3 --json "$work/metrics.json"

python3 - "$work/report.json" "$work/metrics.json" "$train_items" "$infer_items" "$metric" \
  "$fixtures/sysfs/intel-2s/class/hwmon/hwmon0/power1_average" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
metrics = json.load(open(sys.argv[2]))
train_items, infer_items, metric = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
node_w = int(open(sys.argv[6]).read()) / 1e6  # the fixture's meter: a constant power, in uW
phases = {p["name"]: p for p in report["phases"]}
assert sorted(phases) == ["infer", "train"], sorted(phases)
assert phases["train"]["items"] == train_items, phases["train"]
assert phases["infer"]["items"] == infer_items, phases["infer"]
assert phases["train"]["end_s"] <= phases["infer"]["start_s"], phases
for phase in phases.values():
    node = [c for c in phase["components"] if c["id"] == "hwmon/power_meter/power1"]
    assert len(node) == 1, phase["components"]
    expected = node_w * phase["duration_s"]
    assert abs(node[0]["energy_j"] - expected) <= 0.01 * expected, (node[0], expected)
assert report["markers"] == {"malformed": 0, "unmatched": 0}, report["markers"]
assert metrics["metric"] == metric, metrics
assert 0.0 <= metrics[metric] <= 1.0, metrics
assert metrics["samples_trained"] == train_items, metrics
assert metrics["samples_inferred"] == infer_items, metrics
for name in ("train", "infer"):
    assert metrics["phases"][name]["seconds"] > 0, metrics["phases"][name]
    # Under `jouletrace run` the energy is the parent's: unknown in the workload, never 0.
    assert metrics["phases"][name]["energy_j"] is None, metrics["phases"][name]
print(f"{metrics['workload']}: {metric} {metrics[metric]:.3f};",
      ", ".join(f"{n} {p['items']} items" for n, p in sorted(phases.items())))
PY
