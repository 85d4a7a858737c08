#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The man pages help2man made from the CLI's --help (apps/cli/CMakeLists.txt): one per verb, each
# naming the program in its synopsis, each rendered by groff without a warning. Exit 77 (a skip)
# where help2man was not found at configure time.
# usage: man_pages_test.sh MAN_DIR HELP2MAN_FOUND VERB...
set -eu
man_dir=$1 found=$2
shift 2
[ "$found" = 1 ] || { echo "SKIP: help2man not found, no man pages (apt-get install help2man)"; exit 77; }
command -v groff >/dev/null || { echo "SKIP: groff not found (apt-get install groff-base)"; exit 77; }
status=0
for verb in "" "$@"; do
  page=$man_dir/jouletrace${verb:+-$verb}.1
  [ -f "$page" ] || { echo "FAIL: $page missing"; status=1; continue; }
  warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$warnings" ] || { echo "FAIL: $page: $warnings"; status=1; }
  # -P-cbou: plain text, without the bold and underline sequences grotty(1) writes.
  text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -P-cbou "$page" 2>/dev/null)
  echo "$text" | grep -q "jouletrace${verb:+ $verb} \[OPTIONS\]" ||
    { echo "FAIL: $page does not show the usage 'jouletrace${verb:+ $verb} [OPTIONS]'"; status=1; }
  echo "$text" | grep -q -- "--help" || { echo "FAIL: $page lists no option"; status=1; }
  echo "ok: $page"
done
exit $status
