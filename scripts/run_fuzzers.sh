#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the libFuzzer targets (fuzz/) and runs each for a while on a copy of its seed corpus.
#
#   scripts/run_fuzzers.sh [SECONDS_PER_TARGET=10] [BUILD_DIR=build-fuzz]
#
# Environment: JT_FUZZ_CC / JT_FUZZ_CXX (default clang-16 / clang++-16), JT_FUZZ_TARGETS (names
# without _fuzzer, default all), JT_FUZZ_JOBS (parallel build jobs, default 2),
# JT_FUZZ_EXTRA_ARGS (more libFuzzer flags, e.g. "-max_len=65536").
#
# Prints per target the executions done and whether it crashed. Exits non-zero when any target
# crashed (or found a leak, a timeout or an out-of-memory input); the input that did it is kept in
# BUILD_DIR/crashes/<target>/ and the line to reproduce it is printed. New inputs the run found are
# in BUILD_DIR/corpus-run/<target>/ (the seed corpus in fuzz/corpus/ is never written).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
build_dir="${2:-build-fuzz}"
cc="${JT_FUZZ_CC:-clang-16}"
cxx="${JT_FUZZ_CXX:-clang++-16}"
jobs="${JT_FUZZ_JOBS:-2}"
targets="${JT_FUZZ_TARGETS:-sysfs_value cpu_modalias marker_protocol counter_sequence sysfs_tree dcmi_response redfish_json node_files nvml_sequence rocm_smi_sequence level_zero_sequence agent_protocol agent_journal slurm_plugin_args store_record study_plan}"
read -r -a extra_args <<<"${JT_FUZZ_EXTRA_ARGS:-}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [SECONDS_PER_TARGET] [BUILD_DIR]" >&2
  exit 2
fi
if ! command -v "$cxx" >/dev/null; then
  echo "$cxx not found: apt-get install clang-16 libclang-rt-16-dev (see docs/RELIABILITY.md)" >&2
  exit 2
fi

if [ ! -f "$build_dir/build.ninja" ]; then
  CC="$cc" CXX="$cxx" cmake -S fuzz -B "$build_dir" -G Ninja >/dev/null || exit 2
fi
cmake --build "$build_dir" -j "$jobs" || exit 2

# Symbolized stack traces in crash reports.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer)"
fi

failed=0
summary=()
for t in $targets; do
  bin="$build_dir/${t}_fuzzer"
  work="$build_dir/corpus-run/$t"
  crashes="$build_dir/crashes/$t"
  log="$build_dir/logs/$t.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  dict=()
  if [ -f "fuzz/$t.dict" ]; then dict=("-dict=fuzz/$t.dict"); fi
  echo "== $t: ${seconds}s"
  # The targets that write files (sysfs_value, sysfs_tree) do it under TMPDIR: a private one,
  # removed after the run (libFuzzer ends with _Exit, so the targets cannot clean up).
  scratch="$build_dir/tmp/$t"
  rm -rf "$scratch" && mkdir -p "$scratch"
  # -timeout: one input taking this long is a hang; -rss_limit_mb: memory is bounded.
  # The outer timeout only guards against libFuzzer itself hanging.
  TMPDIR="$scratch" timeout --signal=KILL $((seconds + 120)) "$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" "${extra_args[@]}" \
    "$work" >"$log" 2>&1
  rc=$?
  rm -rf "$scratch"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ -z "$execs" ]; then
    execs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
  fi
  artifact=$(grep -o "Test unit written to [^ ]*" "$log" | tail -n 1 | sed 's/Test unit written to //')
  if [ "$rc" -eq 0 ]; then
    status="ok"
  else
    status="CRASH (exit $rc)"
    failed=1
    echo "--- $t: last lines of $log"
    grep -E "invariant failed|ERROR:|SUMMARY:|runtime error" "$log" | head -n 5
    tail -n 40 "$log"
    if [ -n "$artifact" ]; then
      echo "--- reproduce: $bin $artifact"
    fi
  fi
  summary+=("$(printf '%-18s %12s executions  %s%s' "$t" "${execs:-?}" "$status" \
    "${artifact:+  input: $artifact}")")
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
