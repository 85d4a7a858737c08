#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fails when a tracked source file (C, C++, Python, shell, CMake) lacks the line
# "SPDX-License-Identifier: BSD-3-Clause" in its first three lines (LICENSE, docs/INSTALL.md).
# Fixture trees are data, not source, and carry none.
#
# Usage: scripts/check_spdx.sh [--fix] [REPO_ROOT]
#   --fix  adds the line where it is missing: first, or after a "#!" line.
# Exit status: 0 when every file has it, 1 when one lacks it (each is listed), 77 (CTest's skip)
# outside a git work tree, e.g. an unpacked release tarball.
set -euo pipefail

fix=0
if [[ ${1:-} == --fix ]]; then fix=1; shift; fi
start="${1:-$(dirname "${BASH_SOURCE[0]}")}"
if ! root="$(git -C "$start" rev-parse --show-toplevel 2>/dev/null)"; then
  echo "check_spdx: $start is not inside a git work tree" >&2
  exit 77
fi
cd "$root"

tag='SPDX-License-Identifier: BSD-3-Clause'
comment_for() {
  case $1 in
    *.c | *.cpp | *.h | *.hpp) echo "// $tag" ;;
    *) echo "# $tag" ;;
  esac
}

missing=0
while IFS= read -r -d '' file; do
  [[ -f $file ]] || continue
  head -n 3 "$file" | grep -qF "$tag" && continue
  if ((fix)); then
    line=$(comment_for "$file")
    if head -n 1 "$file" | grep -q '^#!'; then
      sed -i "1a $line" "$file"
    else
      sed -i "1i $line" "$file"
    fi
    echo "check_spdx: added to $file"
  else
    echo "check_spdx: no '$tag' in the first lines of $file" >&2
    missing=1
  fi
done < <(git ls-files -z -- '*.c' '*.cpp' '*.h' '*.hpp' '*.py' '*.sh' '*.cmake' '*.cmake.in' \
  'CMakeLists.txt' '*/CMakeLists.txt' 'scripts/*' '.ci/run' 'packaging/slurm/jouletrace-epilog-slurmctld' \
  ':!:tests/fixtures/*')
exit "$missing"
