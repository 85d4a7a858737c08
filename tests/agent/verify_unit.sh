#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# systemd-analyze verify only warns about an unknown or misspelt key; any word from it fails here.
out=$("$1" verify "$2" 2>&1)
status=$?
[ -n "$out" ] && printf '%s\n' "$out"
[ "$status" -eq 0 ] && [ -z "$out" ]
