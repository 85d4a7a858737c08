#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the test suite of a sanitizer preset, as CI does:
#
#   scripts/ctest_sanitized.sh asan|tsan
#
# A sanitizer finding always fails. A test that fails without one is run once more on its own:
# under a sanitizer on a loaded 2-core machine, the e2e tests that time live fixture writers can
# miss a deadline, and that says nothing about memory or threads (the default test run, without
# sanitizers, gets no second chance). Tests that pass only on the second run are listed as flaky
# so they get fixed, not forgotten.
set -uo pipefail
cd "$(dirname "$0")/.."

preset="${1:-}"
case "$preset" in
  asan | tsan) ;;
  *)
    echo "usage: $0 asan|tsan" >&2
    exit 2
    ;;
esac
build_dir="build-$preset"
log="$build_dir/Testing/Temporary/LastTest.log"

if ctest --preset "$preset"; then
  exit 0
fi

first_log="$build_dir/first-run.log"
first_failed="$build_dir/first-run-failed.log"
cp "$log" "$first_log"
cp "$build_dir/Testing/Temporary/LastTestsFailed.log" "$first_failed" 2>/dev/null || : >"$first_failed"
# The reports each sanitizer prints; any of them in the first run is a finding, whatever a rerun says.
if grep -E -q 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer|runtime error:' \
  "$first_log"; then
  echo "$preset: sanitizer findings (see $first_log):" >&2
  grep -E -m 20 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer|runtime error:' \
    "$first_log" >&2
  exit 1
fi

echo
echo "=== $preset: no sanitizer finding; running the failed tests once more"
if ! ctest --preset "$preset" --rerun-failed; then
  echo "$preset: tests fail twice" >&2
  exit 1
fi
echo "FLAKY under $preset (failed once, passed on the rerun; fix them):"
sed 's/^/  /' "$first_failed"
exit 0
