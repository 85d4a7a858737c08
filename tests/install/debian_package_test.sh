#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The Debian package CPack makes of this build (cmake/JouletracePackage.cmake): installed with
# dpkg, its command runs, its man page is found, and dpkg removes it. It changes the machine, so
# it runs only with JOULETRACE_PACKAGE_TESTS=1, as root, where no jouletrace is installed;
# otherwise exit 77 (a skip) saying why.
# usage: debian_package_test.sh BUILD_DIR CPACK
set -eu
build_dir=$1 cpack=$2
skip() { echo "SKIP: $*"; exit 77; }
[ "${JOULETRACE_PACKAGE_TESTS:-0}" = 1 ] || skip "set JOULETRACE_PACKAGE_TESTS=1 (dpkg -i changes this machine)"
[ "$(id -u)" -eq 0 ] || skip "dpkg -i needs root"
for tool in dpkg dpkg-deb dpkg-shlibdeps man; do
  command -v "$tool" >/dev/null || skip "$tool not found (apt-get install dpkg-dev man-db)"
done
if dpkg-query -W -f='${Status}' jouletrace 2>/dev/null | grep -q "installed" || [ -e /usr/bin/jouletrace ]; then
  skip "a jouletrace is already installed here; this test would replace it"
fi

work=$(mktemp -d)
# --purge, after -r or a failure: no "config-files" record left in dpkg's database.
cleanup() { dpkg --purge jouletrace >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
(cd "$build_dir" && "$cpack" -G DEB -B "$work") >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/jouletrace_*.deb)
dpkg-deb -I "$deb" | grep -E "^ (Package|Version|Depends):"

dpkg -i "$deb"
/usr/bin/jouletrace sensors --no-agent --no-bmc || { echo "FAIL: /usr/bin/jouletrace sensors exited $?"; exit 1; }
for page in jouletrace jouletrace-run; do
  man -w "$page" >/dev/null || { echo "FAIL: man $page not found"; exit 1; }
done
test -f /usr/share/bash-completion/completions/jouletrace || { echo "FAIL: no bash completion"; exit 1; }
grep -q "^ExecStart=/usr/bin/jouletrace agent" /usr/lib/systemd/system/jouletrace-agent.service ||
  { echo "FAIL: the unit does not start /usr/bin/jouletrace"; exit 1; }
pkg-config --exists jouletrace 2>/dev/null || PKG_CONFIG_PATH=/usr/lib/pkgconfig pkg-config --exists jouletrace ||
  { echo "FAIL: pkg-config does not find jouletrace"; exit 1; }

dpkg -r jouletrace
[ ! -e /usr/bin/jouletrace ] || { echo "FAIL: /usr/bin/jouletrace left after dpkg -r"; exit 1; }
dpkg --purge jouletrace >/dev/null
echo PASS
