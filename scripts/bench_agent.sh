#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The node agent's goals of issue 12, measured end to end on the test fixture
# (docs/PERFORMANCE.md, "Agent: query latency, CPU and memory"):
#   1. latency of `energy` queries with 64 concurrent clients (10 s, 1 h and 24 h intervals);
#   2. the agent's own CPU while idle, at 100 ms and 10 ms sampling;
#   4. its resident memory with 24 h of history, for the fixture's channels and for 64.
# Everything runs in a temporary directory: a copy of the intel-2s fixture whose RAPL counters
# live_rapl_writer advances, agents on their own sockets and state directories.
#
#   scripts/bench_agent.sh [BUILD_DIR] [IDLE_S=60]
#
# Needs the targets jouletrace, live_rapl_writer, agent_load and agent_journal_fill.
set -euo pipefail
build=$(realpath "${1:-build}")
idle_s=${2:-60}
jt="$build/apps/cli/jouletrace"
writer="$build/tests/fakes/live_rapl_writer"
load="$build/bench/agent_load"
fill="$build/bench/agent_journal_fill"
for b in "$jt" "$writer" "$load" "$fill"; do
  [ -x "$b" ] || { echo "build $b first" >&2; exit 2; }
done
fixture="$(dirname "$0")/../tests/fixtures/sysfs/intel-2s"
tick=$(getconf CLK_TCK)

tmp=$(mktemp -d)
agent_pid=""
writer_pids=()
cleanup() {
  local rc=$?
  [ "$rc" -ne 0 ] && [ -f "$tmp/agent.log" ] && tail -5 "$tmp/agent.log" >&2
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  for p in "${writer_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The per-user limits are the agent's defence against a flood; here they would time the limiter,
# so they are lifted (64 clients plus the one that asks `hello`).
cat >"$tmp/config.json" <<'EOF'
{"limits": {"requests_per_s": 1000000, "request_burst": 1000000,
            "max_connections_per_user": 128, "max_connections": 256}}
EOF

# A copy of the fixture whose four RAPL package and core counters advance (120, 80, 40, 30 W).
make_tree() {
  local tree=$1 p
  cp -r "$fixture" "$tree"
  p=$tree/class/powercap
  "$writer" --channel "$p/intel-rapl:0/energy_uj:120" --channel "$p/intel-rapl:1/energy_uj:80" \
    --channel "$p/intel-rapl:0:0/energy_uj:40" --channel "$p/intel-rapl:1:0/energy_uj:30" \
    --tick-ms 10 --duration-s 0 &
  writer_pids+=($!)
}

# The same with 21 packages of three zones (package, core, dram): 63 zones and the ACPI meter,
# 64 channels; the counters stand still, which costs the history the same.
make_wide_tree() {
  local tree=$1 z
  cp -r "$fixture" "$tree"
  rm -rf "$tree"/class/powercap/intel-rapl:*
  for pkg in $(seq 0 20); do
    for zone in "$pkg:package-$pkg" "$pkg:0:core" "$pkg:1:dram"; do
      z=$tree/class/powercap/intel-rapl:${zone%:*}
      mkdir -p "$z"
      echo "${zone##*:}" >"$z/name"
      echo 1 >"$z/enabled"
      echo $((1000000 + pkg)) >"$z/energy_uj"
      echo 262143328850 >"$z/max_energy_range_uj"
    done
  done
}

# start_agent TREE STATE INTERVAL: the agent in the background, once its socket answers.
start_agent() {
  rm -f "$tmp/agent.sock"
  "$jt" agent --sysfs-root "$1" --dev-root "$1/dev" --nvml-library /nonexistent --no-bmc \
    --socket "$tmp/agent.sock" --state-dir "$2" --interval "$3" --config "$tmp/config.json" \
    2>>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 200); do
    [ -S "$tmp/agent.sock" ] && return 0
    sleep 0.05
  done
  echo "the agent did not start:" >&2
  cat "$tmp/agent.log" >&2
  exit 1
}

stop_agent() {
  kill "$agent_pid"
  wait "$agent_pid" || true
  agent_pid=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$agent_pid/status"; }

# idle_cpu LABEL: the agent's CPU over IDLE_S seconds without clients, after a 5 s warm-up.
idle_cpu() {
  sleep 5
  local t0 c0 c1 t1
  c0=$(cpu_ticks)
  t0=$(date +%s.%N)
  sleep "$idle_s"
  c1=$(cpu_ticks)
  t1=$(date +%s.%N)
  awk -v l="$1" -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" -v hz="$tick" -v st="$c0" \
    'BEGIN {printf "cpu %s: %.3f %% of one core over %.0f s idle (start-up and first 5 s: %.0f ms)\n",
            l, 100 * (b - a) / hz / (e - s), e - s, 1000 * st / hz}'
}

memory() {
  echo "memory $1: VmRSS $(($(status_kb VmRSS) / 1024)) MiB, VmHWM $(($(status_kb VmHWM) / 1024)) MiB," \
    "$(grep -c . <<<"$(ls "/proc/$agent_pid/task")") threads"
}

latency() {  # latency LABEL ARGS...: agent_load against the running agent
  local label=$1
  shift
  echo -n "latency $label: "
  "$load" --socket "$tmp/agent.sock" "$@"
}

echo "== fixture (7 channels), 100 ms: idle CPU, then 64 clients on 10 s intervals"
make_tree "$tmp/tree"
start_agent "$tmp/tree" "$tmp/state" 100ms
idle_cpu "100 ms"
memory "fresh, $((idle_s + 5)) s of history"
latency "10 s interval, back to back" --clients 64 --requests 200 --span-s 10
latency "10 s interval, 10/s per client" --clients 64 --requests 100 --span-s 10 --rate 10
stop_agent

echo "== fixture, 10 ms: idle CPU"
start_agent "$tmp/tree" "$tmp/state10" 10ms
idle_cpu "10 ms"
stop_agent

echo "== fixture, 100 ms, with a journal of 24 h (86400 coarse rows)"
"$fill" "$tmp/state" 86400
start_agent "$tmp/tree" "$tmp/state" 100ms
sleep 15
t_loaded=$SECONDS
latency "10 s interval, back to back" --clients 64 --requests 200 --span-s 10
latency "10 s interval, 10/s per client" --clients 64 --requests 100 --span-s 10 --rate 10
latency "1 h interval, back to back" --clients 64 --requests 20 --span-s 3600
latency "1 h interval, 1/s per client" --clients 64 --requests 10 --span-s 3600 --rate 1
latency "24 h interval, back to back" --clients 64 --requests 2 --span-s 86400
latency "24 h interval, one client" --clients 1 --requests 10 --span-s 86400
memory "24 h of history, after $((SECONDS - t_loaded + 15)) s and the queries"
stop_agent

echo "== 64 channels, 100 ms, with a journal of 24 h"
make_wide_tree "$tmp/wide"
start_agent "$tmp/wide" "$tmp/state64" 100ms
sleep 3
stop_agent
"$fill" "$tmp/state64" 86400
start_agent "$tmp/wide" "$tmp/state64" 100ms
sleep 30
memory "64 channels, 24 h of history, after 30 s"
latency "10 s interval, 64 channels" --clients 64 --requests 50 --span-s 10
stop_agent
grep -h "channels, every" "$tmp/agent.log" | sort | uniq -c
