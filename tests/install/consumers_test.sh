#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs this build's library component (libjouletrace.so, its headers, the CMake package and
# the pkg-config file) into a fresh prefix, then builds and runs programs outside the tree against
# it, as users would (docs/INSTALL.md): a CMake project with find_package(jouletrace) and a plain
# `cc $(pkg-config --cflags --libs jouletrace)`. Exit 77 (a skip) where pkg-config is missing, or
# in a sanitizer build.
# usage: consumers_test.sh BUILD_DIR CONSUMER_SOURCE_DIR CMAKE C_COMPILER [SANITIZED]
set -eu
build_dir=$1 consumer_dir=$2 cmake=$3 cc=$4 sanitized=${5:-0}
if [ "$sanitized" = 1 ]; then
  echo "SKIP: a sanitizer build: programs outside it cannot load its instrumented library"; exit 77
fi
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not found (apt-get install pkg-config)"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
mkdir "$work/empty-sysfs"

"$cmake" --install "$build_dir" --prefix "$prefix" --component library >"$work/install.log" || {
  cat "$work/install.log"; exit 1; }
for f in include/jouletrace/jouletrace.h include/jouletrace/jouletrace.hpp; do
  test -f "$prefix/$f" || { echo "FAIL: $f not installed"; exit 1; }
done
config=$(find "$prefix" -name jouletraceConfig.cmake)
pc=$(find "$prefix" -name jouletrace.pc)
if [ -z "$config" ] || [ ! -f "$(dirname "$config")/jouletraceConfigVersion.cmake" ]; then
  echo "FAIL: jouletraceConfig.cmake or its version file not installed"; exit 1
fi
test -n "$pc" || { echo "FAIL: jouletrace.pc not installed"; exit 1; }
grep -qx "prefix=$prefix" "$pc" || { echo "FAIL: $pc does not name the prefix $prefix:"; cat "$pc"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")

check_output() {  # program label
  out=$("$1" "$work/empty-sysfs") || { echo "FAIL: $2 exited with $?: $out"; exit 1; }
  echo "$2: $out"
  echo "$out" | grep -q "^consumer: api [0-9][0-9]*, mode self, window ok, items 3$" || {
    echo "FAIL: $2 printed something else"; exit 1; }
}

# A CMake project: the prefix is all it is told. The installed library has no rpath to itself, so
# the programs are given one, as a project installing to a private prefix would.
env -u JOULETRACE_MARKERS "$cmake" -S "$consumer_dir" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_RPATH="$libdir" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
"$cmake" --build "$work/cmake-build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
unset JOULETRACE_MARKERS
check_output "$work/cmake-build/consumer_c" "find_package, C"
check_output "$work/cmake-build/consumer_cxx" "find_package, C++"

# pkg-config: the flags alone must compile and link; the loader is told the prefix at run time.
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs jouletrace)
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Werror -o "$work/consumer_pc" "$consumer_dir/consumer.c" $flags
LD_LIBRARY_PATH="$libdir" check_output "$work/consumer_pc" "pkg-config, cc"
echo "PASS"
