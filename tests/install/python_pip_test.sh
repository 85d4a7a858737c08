#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `pip install --no-build-isolation .` (pyproject.toml, setup.py) into a venv that sees Debian's
# packages, as docs/PYTHON.md says: the package imports there from anywhere, carries
# libjouletrace.so.1 beside its extension, and an interpreter it was not built for is told which
# one it was built for. It reuses this build (JOULETRACE_CMAKE_BUILD_DIR) rather than building the
# library again, from a copy of the files pip reads, so the source tree gets no build output.
# Exit 77 (a skip) without python3-venv or the module.
# usage: python_pip_test.sh SOURCE_DIR BUILD_DIR [PYTHON]
set -eu
source_dir=$1 build_dir=$2 python=${3:-/usr/bin/python3}
skip() { echo "SKIP: $*"; exit 77; }
ls "$build_dir"/python/jouletrace/_jouletrace.*.so >/dev/null 2>&1 || skip "the Python module is not built"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m venv --system-site-packages "$work/venv" >/dev/null 2>&1 ||
  skip "$python -m venv failed (apt-get install python3-venv)"

mkdir -p "$work/src/python" "$work/src/docs"
cp "$source_dir/pyproject.toml" "$source_dir/setup.py" "$source_dir/CMakeLists.txt" \
  "$source_dir/LICENSE" "$work/src/"
cp "$source_dir/docs/PYTHON.md" "$work/src/docs/"
cp -r "$source_dir/python/jouletrace" "$work/src/python/"
JOULETRACE_CMAKE_BUILD_DIR=$build_dir "$work/venv/bin/pip" install --no-build-isolation \
  --no-deps --no-index "$work/src" >"$work/pip.log" 2>&1 || { cat "$work/pip.log"; exit 1; }

cd "$work"
unset JOULETRACE_MARKERS PYTHONPATH
where=$("$work/venv/bin/python" -c 'import jouletrace; print(jouletrace.__file__, jouletrace.__version__)')
echo "imported: $where"
case $where in
  "$work/venv/"*) ;;
  *) echo "FAIL: jouletrace was not imported from the venv"; exit 1 ;;
esac
package=$(dirname "${where%% *}")
test -f "$package/libjouletrace.so.1" || { echo "FAIL: no libjouletrace.so.1 beside the extension"; exit 1; }

# Another interpreter's extension only (its file name names another ABI): the error says so.
mkdir -p "$work/other"
cp -r "$package" "$work/other/jouletrace"
for so in "$work"/other/jouletrace/_jouletrace.*.so; do mv "$so" "$work/other/jouletrace/_jouletrace.cpython-39-x86_64-linux-gnu.so"; done
said=$(PYTHONPATH=$work/other "$work/venv/bin/python" -c 'import jouletrace' 2>&1 || true)
echo "$said" | grep -q "built for cpython-39-x86_64-linux-gnu, but this interpreter" || {
  echo "FAIL: an import from another interpreter said: $said"; exit 1; }
echo "another interpreter is told: $(echo "$said" | tail -n 1)"
# A wheel (`pip wheel .`) installed into another venv, used from elsewhere: the library the
# extension loads is the one inside that venv, not this build's.
JOULETRACE_CMAKE_BUILD_DIR=$build_dir "$work/venv/bin/pip" wheel --no-build-isolation \
  --no-deps --no-index -w "$work/wheels" "$work/src" >"$work/wheel.log" 2>&1 || { cat "$work/wheel.log"; exit 1; }
wheel=$(ls "$work"/wheels/jouletrace-*.whl)
echo "wheel: $(basename "$wheel")"
"$python" -m venv --system-site-packages "$work/elsewhere" >/dev/null 2>&1
"$work/elsewhere/bin/pip" install --no-deps --no-index "$wheel" >"$work/wheel-install.log" 2>&1 ||
  { cat "$work/wheel-install.log"; exit 1; }
loaded=$("$work/elsewhere/bin/python" -c 'import jouletrace
print(next(l.split()[-1] for l in open("/proc/self/maps") if "libjouletrace.so" in l))')
case $loaded in
  "$work/elsewhere/"*) echo "the wheel's module loads $loaded" ;;
  *) echo "FAIL: the wheel's module loaded $loaded, not the copy inside its venv"; exit 1 ;;
esac
echo PASS
