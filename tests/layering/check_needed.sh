#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks what a built ELF file loads: check_needed.sh FILE forbid|require PATTERN...
# forbid: neither its DT_NEEDED entries nor the libraries they load in turn (ldd) may match;
# require: its DT_NEEDED entries must match each pattern (the control that the check can fail).
set -euo pipefail
file=$1 mode=$2
shift 2
needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
closure=$(ldd "$file" | awk '{print $1}')
status=0
for pattern in "$@"; do
  case $mode in
    forbid)
      if grep -E "$pattern" <<<"$needed"$'\n'"$closure" >/dev/null; then
        echo "$file loads $(grep -E "$pattern" <<<"$needed"$'\n'"$closure" | sort -u | tr '\n' ' ')"
        status=1
      fi ;;
    require)
      if ! grep -E "$pattern" <<<"$needed" >/dev/null; then
        echo "$file does not name $pattern in DT_NEEDED: $(tr '\n' ' ' <<<"$needed")"
        status=1
      fi ;;
    *) echo "mode must be forbid or require" >&2; exit 2 ;;
  esac
done
[[ $status -eq 0 ]] && echo "$file: $mode $* holds"
exit $status
