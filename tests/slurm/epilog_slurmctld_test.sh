#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The shipped EpilogSlurmctld (packaging/slurm/jouletrace-epilog-slurmctld) against a real Slurm
# (slurm_cluster.sh): jtuser1's jobs end, the epilog asks a STAND-IN `jouletrace` (this test's
# own, not the real CLI) for the energy line, retries while it answers "not ready" (exit 3),
# writes the line with sacctmgr (retrying once it says "Nothing modified"), and jtuser2 reads it
# with sacct. Also: a failing jouletrace leaves no comment and the job and node unharmed.
#
#   epilog_slurmctld_test.sh EPILOG_SCRIPT HARNESS
# Exit 0 pass, 77 skipped (not root / no Slurm), other failure.
set -euo pipefail

epilog=$(readlink -f "$1")
harness=$(readlink -f "$2")

# Five daemons for a minute: CI runs the Slurm suites in a step of their own (.ci/run).
if [[ ${JOULETRACE_SLURM_TESTS:-} != 1 ]]; then
  echo "SKIP: set JOULETRACE_SLURM_TESTS=1 to run the real-Slurm tests"; exit 77
fi
if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (starts Slurm daemons)"; exit 77; fi

work=$(mktemp -d /tmp/jt-epilog-test.XXXXXX)
cluster=$work/cluster
cleanup() {
  "$harness" stop "$cluster" || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/epilog.log" "$cluster/log/slurmctld.log"; do
    [[ -f $f ]] && { echo "---- tail of $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

# --- the stand-ins, in a directory slurm (the epilog's user) can write its call counts to ------
standin=$work/standin
mkdir -p "$standin/bin" "$standin/state"
chown slurm:slurm "$standin/state"
readonly ENERGY_LINE='{"jouletrace":1,"energy_j":{"package":123.4,"dram":5.6,"gpu":789.0,"node":1000.0},"gpu_idle_j":12.3,"method":"counter","uncertainty_j":4.5,"whole":true}'
# TEST STAND-IN for `jouletrace job ID --admin-comment`. Behaviour per run of the test comes from
# $standin/mode: "late" answers "not ready" (3) twice then the line, "fail" exits 1.
cat >"$standin/bin/jouletrace" <<EOF
#!/bin/sh
# Test stand-in for the jouletrace CLI (tests/slurm/epilog_slurmctld_test.sh); not the real one.
[ "\$1" = job ] && [ "\$3" = --admin-comment ] && [ "\$4" = --expect-nodes ] || exit 64
calls=$standin/state/jouletrace.\$2
n=\$(( \$(cat "\$calls" 2>/dev/null || echo 0) + 1 ))
echo "\$n" >"\$calls"
case \$(cat $standin/mode) in
  fail) echo "stand-in: failing on purpose" >&2; exit 1 ;;
esac
if [ "\$n" -le 2 ]; then echo '{"jouletrace":1,"whole":false}'; exit 3; fi
echo '$ENERGY_LINE'
EOF
# TEST STAND-IN in front of the real sacctmgr: the first `modify job` of each job answers as
# sacctmgr does for a job not yet in the database, so the epilog's retry path runs.
real_sacctmgr=$(command -v sacctmgr)
cat >"$standin/bin/sacctmgr" <<EOF
#!/bin/sh
# Test stand-in wrapping $real_sacctmgr (tests/slurm/epilog_slurmctld_test.sh).
case "\$*" in
  *"modify job where jobid="*)
    id=\$(echo "\$*" | sed 's/.*jobid=\([0-9]*\).*/\1/')
    if [ ! -e $standin/state/sacctmgr.\$id ]; then
      : >$standin/state/sacctmgr.\$id
      echo " Nothing modified"; exit 1
    fi ;;
esac
exec $real_sacctmgr "\$@"
EOF
chmod 755 "$standin/bin/jouletrace" "$standin/bin/sacctmgr"
chmod -R a+rX "$standin"

# slurmctld gives an EpilogSlurmctld neither PATH nor SLURM_CONF: the site sets them in the
# script's conf file, as this test does.
cat >"$work/epilog.conf" <<EOF
PATH=$standin/bin:/usr/sbin:/usr/bin:/sbin:/bin
SLURM_CONF=$cluster/etc/slurm.conf
export SLURM_CONF
JOULETRACE_EPILOG_DEADLINE_S=20
JOULETRACE_EPILOG_DB_DEADLINE_S=20
JOULETRACE_EPILOG_LOG=$work/epilog.log
EOF
cat >"$work/epilog" <<EOF
#!/bin/sh
JOULETRACE_EPILOG_CONF=$work/epilog.conf exec $epilog
EOF
chmod 755 "$work/epilog"
: >"$work/epilog.log"
chown slurm:slurm "$work/epilog.log"

mkdir -p "$cluster"
env_lines=$("$harness" start "$cluster" --conf-line "EpilogSlurmctld=$work/epilog") ||
  fail "the cluster did not start"
eval "$env_lines"
cd /tmp

# run_job MODE: one sbatch job of jtuser1's, waited for; prints its id.
run_job() {
  echo "$1" >"$standin/mode"
  timeout 60 runuser -u jtuser1 -- sbatch --parsable --wait -o /dev/null --wrap 'srun true' ||
    fail "jtuser1's $1 job did not complete"
}

# admin_comment_as_jtuser2 ID: waits (bounded) for the epilog to log its outcome for the job,
# then prints the job's AdminComment as another, unprivileged user sees it.
admin_comment_as_jtuser2() {
  local id=$1 i
  for ((i = 0; i < 300; i++)); do
    grep -q "job $id: " "$work/epilog.log" && break
    sleep 0.2
  done
  grep -q "job $id: " "$work/epilog.log" || fail "no epilog outcome logged for job $id"
  timeout 20 runuser -u jtuser2 -- sacct -j "$id" -X -n -P -o AdminComment
}

# 1. Records late, job not yet in the database at the first try: the line arrives anyway.
job=$(run_job late)
comment=$(admin_comment_as_jtuser2 "$job")
# sacctmgr stores each '"' as '`' (see the epilog); turning them back gives the CLI's line.
[[ ${comment//\`/\"} == "$ENERGY_LINE" ]] || fail "job $job AdminComment is '$comment'"
[[ $(cat "$standin/state/jouletrace.$job") == 3 ]] ||
  fail "jouletrace asked $(cat "$standin/state/jouletrace.$job") times, expected 3 (2 not ready)"
grep -q "job $job: AdminComment set (attempt 2)" "$work/epilog.log" ||
  fail "the epilog did not retry sacctmgr after 'Nothing modified'"
echo "ok: job $job, late records: jtuser2 sees AdminComment $comment"

# 2. jouletrace fails: no comment, the job still COMPLETED, the node still idle, exit 0 logged.
job=$(run_job fail)
comment=$(admin_comment_as_jtuser2 "$job")
[[ -z $comment ]] || fail "job $job got AdminComment '$comment' from a failing jouletrace"
grep -q "job $job: jouletrace job $job --admin-comment failed (exit 1" "$work/epilog.log" ||
  fail "no failure line for job $job"
# The end record reaches slurmdbd asynchronously: poll (bounded).
for ((i = 0; i < 100; i++)); do
  state=$(timeout 20 sacct -j "$job" -X -n -P -o State)
  [[ $state == COMPLETED ]] && break
  sleep 0.2
done
[[ $state == COMPLETED ]] || fail "job $job is $state"
grep -q "EpilogSlurmctld exit status" "$cluster/log/slurmctld.log" &&
  fail "slurmctld saw a non-zero EpilogSlurmctld exit"
node_state=$(timeout 20 sinfo -h -o %T)
[[ $node_state == idle ]] || fail "node is $node_state after a failed epilog"
echo "ok: job $job, failing jouletrace: no AdminComment, job COMPLETED, node idle"
echo PASS
