#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The harness's second node (slurm_cluster.sh --netns-node): a slurmd in its own UTS and network
# namespace. A job of jtuser1's spans both nodes and sacct, read by jtuser2, records it so; the
# cluster's stop leaves neither daemon nor veth behind. Tests of multi-node attribution build on it.
#
#   two_nodes_test.sh HARNESS       Exit 0 pass, 77 skipped (not root / no namespaces), else fail.
set -euo pipefail
harness=$(readlink -f "$1")

# Five daemons for a minute: CI runs the Slurm suites in a step of their own (.ci/run).
if [[ ${JOULETRACE_SLURM_TESTS:-} != 1 ]]; then
  echo "SKIP: set JOULETRACE_SLURM_TESTS=1 to run the real-Slurm tests"; exit 77
fi
if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (starts Slurm daemons)"; exit 77; fi
if ! unshare --uts --net true 2>/dev/null; then
  echo "SKIP: cannot create UTS and network namespaces here"; exit 77
fi

work=$(mktemp -d /tmp/jt-two-nodes-test.XXXXXX)
trap '"$harness" stop "$work" || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$work/log/slurmctld.log" >&2 || true; exit 1; }

env_lines=$("$harness" start "$work" --netns-node jt2) || fail "the cluster did not start"
eval "$env_lines"
cd /tmp

# shellcheck disable=SC2016 # expanded by the job's shell on each node
hosts=$(timeout 60 runuser -u jtuser1 -- srun -N2 -n2 sh -c 'echo "$SLURMD_NODENAME $(hostname)"' |
  sort | tr '\n' ' ') || fail "srun -N2 failed"
[[ $hosts == "jt1 $(hostname -s) jt2 jt2 " ]] || fail "srun -N2 ran on: $hosts"
# slurmctld sends the end record to slurmdbd asynchronously: poll (bounded) until it lands.
for ((i = 0; i < 100; i++)); do
  nodes=$(timeout 20 runuser -u jtuser2 -- sacct -a -X -n -P -o User,NodeList,State)
  [[ $nodes == *COMPLETED ]] && break
  sleep 0.2
done
[[ $nodes == "jtuser1|jt[1-2]|COMPLETED" ]] || fail "sacct says: $nodes"
veth=$(cat "$work/run/veth")

"$harness" stop "$work"
for n in slurmd slurmctld slurmdbd munged mariadbd; do
  for pid in $(pgrep -x "$n" || true); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$work" && fail "$n ($pid) still runs"
    grep -qzF "SLURM_CONF=$work/" "/proc/$pid/environ" 2>/dev/null && fail "$n ($pid) still runs"
  done
done
if ip link show "$veth" >/dev/null 2>&1; then fail "veth $veth left behind"; fi
echo "PASS: srun -N2 on jt1 and jt2 ($hosts); sacct: $nodes"
