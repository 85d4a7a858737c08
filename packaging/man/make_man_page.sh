#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Writes the man page of `jouletrace` or of one verb with help2man(1), from the program's own
# --help, so that the page cannot drift from the options (docs/INSTALL.md).
# usage: make_man_page.sh JOULETRACE_BINARY VERB|"" VERSION OUTPUT
set -eu
binary=$1 verb=$2 version=$3 output=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# help2man names the page after the program it runs: one wrapper per page, jouletrace-VERB.
name=jouletrace${verb:+-$verb}
printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$binary" "$verb" >"$work/$name"
chmod +x "$work/$name"
# The first line of --help describes the verb; its usage hint after ": jouletrace" is left out.
description=$("$work/$name" --help | head -n 1 | sed -e 's/^jouletrace: //' -e 's/: jouletrace .*//')
help2man --no-info --section=1 --version-string="$version" --name="$description" \
  --output="$output" "$work/$name"
