#!/usr/bin/env bash
# Checks that the C and C++ sources follow .clang-format, changing nothing.
#
#   scripts/check_format.sh            # every file under src apps include tests (not fixtures)
#   scripts/check_format.sh FILE...    # only these files
#
# Prints each file that would change and exits non-zero when any would. To fix one file:
# clang-format -i FILE. Environment: CLANG_FORMAT (default clang-format).
set -uo pipefail
cd "$(dirname "$0")/.."

fmt="${CLANG_FORMAT:-clang-format}"
if ! command -v "$fmt" >/dev/null; then
  echo "$fmt not found: apt-get install clang-format" >&2
  exit 2
fi

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find src apps include tests -path tests/fixtures -prune -o -type f \
    \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) -print |
    sort)
fi

differ=0
for f in "${files[@]}"; do
  if ! "$fmt" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "would reformat: $f"
    differ=$((differ + 1))
  fi
done
echo "clang-format: $differ of ${#files[@]} files differ from .clang-format"
[ "$differ" -eq 0 ]
