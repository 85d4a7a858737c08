#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs clang-tidy with the repository's .clang-tidy over the project's own sources (src/, apps/,
# plugins/, workloads/; not tests/, fuzz/ or bench/), warnings as errors. Exits non-zero on any
# finding. Not the two LibTorch translation units of workloads/ (fashion_mnist.cpp, unet3d.cpp):
# clang 16 with libstdc++ 12 cannot compile LibTorch 1.13's headers as C++20 or later
# (std::vector<c10::IValue> is instantiated while c10::IValue is incomplete).
#
#   scripts/run_clang_tidy.sh [BUILD_DIR=build]
#
# BUILD_DIR must hold compile_commands.json (the main CMake project exports it; configure first:
# cmake -S . -B build -G Ninja). Environment: CLANG_TIDY (default clang-tidy-16),
# JT_TIDY_JOBS (parallel clang-tidy processes, default 2).
#
# Why clang-tidy 16 and not Debian's default 14: clang 14 cannot compile the destructor of a
# std::expected<T, E> with a non-trivial T from libstdc++ 12 (it lacks P0848), so every file that
# uses jt::Result<std::string> would stop at a compile error instead of being analysed.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

build_dir="${1:-build}"
tidy="${CLANG_TIDY:-clang-tidy-16}"
jobs="${JT_TIDY_JOBS:-2}"

if ! command -v "$tidy" >/dev/null; then
  echo "$tidy not found: apt-get install clang-tidy-16 (see docs/RELIABILITY.md)" >&2
  exit 2
fi
if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "$build_dir/compile_commands.json not found: configure first (cmake -S . -B $build_dir -G Ninja)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A copy of the compilation database with only our own sources, and without the GCC-only
# options clang does not accept (unknown -W options are silenced below instead) and -Werror.
python3 - "$build_dir/compile_commands.json" "$work" "$root" <<'EOF' || exit 2
import json, os, shlex, sys
db_path, out_dir, root = sys.argv[1:4]
gcc_only_prefixes = ("-fanalyzer", "-fconcepts-diagnostics-depth", "-fno-canonical-system-headers",
                     "-fmodules-ts", "-fdeps-", "-fcoroutines", "-flto=auto", "-ffat-lto-objects")
entries = []
seen = set()
for e in json.load(open(db_path)):
    path = os.path.normpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(path, root)
    if not rel.startswith(("src/", "apps/", "plugins/", "workloads/")) or path in seen:
        continue
    if rel in ("workloads/fashion_mnist.cpp", "workloads/unet3d.cpp"):
        continue
    seen.add(path)
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    # -Werror too: GCC's warnings are the GCC build's business (CI builds with them as errors);
    # here clang's own take on them would only add noise.
    args = [a for a in args
            if not a.startswith(gcc_only_prefixes) and a != "-Werror" and not a.startswith("-Werror=")]
    entries.append({"directory": e["directory"], "file": path, "arguments": args})
json.dump(entries, open(os.path.join(out_dir, "compile_commands.json"), "w"), indent=1)
with open(os.path.join(out_dir, "files"), "w") as f:
    for e in sorted(entries, key=lambda e: e["file"]):
        f.write(e["file"] + "\n")
EOF

count=$(wc -l <"$work/files")
if [ "$count" -eq 0 ]; then
  echo "no src/ or apps/ files in $build_dir/compile_commands.json" >&2
  exit 2
fi
echo "clang-tidy ($("$tidy" --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n 1)) on $count files, $jobs at a time"

# -std=c++2b -Wno-macro-redefined -D__cpp_concepts=202002L: libstdc++ 12 enables <expected> only
# when __cpp_concepts >= 202002L, which clang does not report yet; declaring it makes
# std::expected (jt::Result) visible to clang. The same flags build the fuzz targets (fuzz/).
export tidy work
run_one() {
  local file="$1"
  local out="$work/out.$(echo "$file" | tr '/' '_')"
  if "$tidy" -p "$work" --quiet --warnings-as-errors='*,-clang-diagnostic-macro-redefined' \
      --extra-arg=-std=c++2b --extra-arg=-Wno-macro-redefined \
      --extra-arg=-D__cpp_concepts=202002L --extra-arg=-Wno-unknown-warning-option \
      "$file" >"$out" 2>&1; then
    echo "ok      ${file#"$PWD"/}"
  else
    echo "FAILED  ${file#"$PWD"/}"
    touch "$out.failed"
  fi
}
export -f run_one
xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} <"$work/files"

failed=$(find "$work" -name '*.failed' | wc -l)
if [ "$failed" -gt 0 ]; then
  echo
  for f in "$work"/out.*; do
    [ -f "$f.failed" ] || continue
    # The findings, without clang-tidy's "N warnings generated" chatter.
    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' "$f"
  done
  findings=$(cat "$work"/out.* | grep -c -E ': (warning|error): ' || true)
  echo
  echo "clang-tidy: $findings finding(s) in $failed of $count files"
  exit 1
fi
echo "clang-tidy: no findings in $count files"
