#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The bash completion the CLI generates (apps/cli/completions.cpp), loaded as bash-completion
# would load it: it registers itself for `jouletrace` and completes verbs and a verb's options.
# usage: bash_completion_test.sh COMPLETION_FILE
set -euo pipefail
# shellcheck source=/dev/null
source "$1"
complete -p jouletrace | grep -q -- "-F _jouletrace" || { echo "FAIL: not registered"; exit 1; }

completes() {  # expected words..., from the line in COMP_WORDS
  local expected=$1
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _jouletrace
  local got="${COMPREPLY[*]}"
  [[ $got == "$expected" ]] || { echo "FAIL: '${COMP_WORDS[*]}' gave '$got', not '$expected'"; exit 1; }
  echo "ok: '${COMP_WORDS[*]}' -> '$got'"
}
COMP_WORDS=(jouletrace jo); completes "job jobs"
COMP_WORDS=(jouletrace se); completes "sensors"
COMP_WORDS=(jouletrace run --sysfs); completes "--sysfs-root"
COMP_WORDS=(jouletrace sensors --no-ag); completes "--no-agent"
COMP_WORDS=(jouletrace jobs --li); completes "--limit"
# Past the verb, a word that is no option is a file or the command: left to bash's default.
COMP_WORDS=(jouletrace run -q sle); completes ""
echo PASS
