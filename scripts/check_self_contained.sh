#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fails when a tracked file cites notes that live outside the repository: the shared SENSORS.md,
# ARCHITECTURE, PEERS.md and LOCAL-SERVICES.md notes or a ../shared/docs path. Facts belong in
# docs/ (docs/backends/*.md "Facts and sources", docs/ACCURACY.md, docs/ARCHITECTURE.md).
#
# Usage: scripts/check_self_contained.sh [REPO_ROOT]   (default: the repository holding this script)
# Exit status: 0 when clean, 1 when an offending line was found (each is listed), 2 on misuse,
# 77 (CTest's skip) outside a git work tree, e.g. an unpacked release tarball.
set -euo pipefail

root="${1:-$(dirname "${BASH_SOURCE[0]}")}"
if ! root="$(git -C "$root" rev-parse --show-toplevel 2>/dev/null)"; then
  echo "check_self_contained: ${1:-$(dirname "${BASH_SOURCE[0]}")} is not inside a git work tree" >&2
  exit 77
fi
self="scripts/check_self_contained.sh"

# Extended regular expressions, one per kind of outside citation.
patterns=(
  'SENSORS\.md'                                      # the shared sensor notes
  'SENSORS[[:space:]]+§'                             # ... cited without the extension
  '(^|[^/])ARCHITECTURE(\.md)?[[:space:]]+(§|rule)'  # shared architecture notes, not docs/...
  'PEERS\.md'
  'LOCAL-SERVICES(\.md)?'
  '(\.\./|/work/)shared/docs'
)
args=()
for p in "${patterns[@]}"; do args+=(-e "$p"); done

# git grep exits 1 when nothing matches, which is the good case here.
status=0
hits="$(git -C "$root" grep -n -I -E "${args[@]}" -- . ":(exclude)${self}")" || status=$?
if [[ $status -gt 1 ]]; then
  echo "check_self_contained: git grep failed (status $status)" >&2
  exit 2
fi
if [[ -n "$hits" ]]; then
  echo "Citations of notes outside the repository (move the fact into docs/ and cite that):"
  printf '%s\n' "$hits"
  exit 1
fi
echo "check_self_contained: no citation of notes outside the repository"
