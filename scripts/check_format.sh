#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks that the C and C++ sources follow .clang-format, changing nothing.
#
#   scripts/check_format.sh            # every C/C++ file of the project (not test fixtures)
#   scripts/check_format.sh FILE...    # only these files
#   scripts/check_format.sh --fix [FILE...]   # reformat instead of checking
#
# Prints each file that would change and exits non-zero when any would. Environment:
# CLANG_FORMAT (default clang-format: Debian 12's clang-format 14, the version CI uses; another
# version formats a few constructs differently).
set -uo pipefail
cd "$(dirname "$0")/.."

fmt="${CLANG_FORMAT:-clang-format}"
if ! command -v "$fmt" >/dev/null; then
  echo "$fmt not found: apt-get install clang-format" >&2
  exit 2
fi

fix=0
if [ "${1:-}" = "--fix" ]; then
  fix=1
  shift
fi

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find src apps include tests bench examples fuzz python plugins workloads \
    -path tests/fixtures -prune -o -type f \
    \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) -print |
    sort)
fi

differ=0
for f in "${files[@]}"; do
  if ! "$fmt" --dry-run -Werror "$f" >/dev/null 2>&1; then
    if [ "$fix" -eq 1 ]; then
      "$fmt" -i "$f" && echo "reformatted: $f"
      continue
    fi
    echo "would reformat: $f"
    differ=$((differ + 1))
  fi
done
[ "$fix" -eq 1 ] && exit 0
echo "clang-format: $differ of ${#files[@]} files differ from .clang-format"
[ "$differ" -eq 0 ]
