#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Energy of real Slurm jobs (docs/SLURM.md), end to end: a throw-away Slurm of two nodes
# (slurm_cluster.sh; the second a slurmd in its own UTS and network namespace) with the SPANK
# plugin, PrologFlags=Contain and the shipped EpilogSlurmctld; one agent per node on a live
# fixture tree whose RAPL files are root-only; both agents writing to one PostgreSQL 15 started
# here. Two users: jtuser1's batch job (two srun steps, phases marked from the shell and from
# Python) shares node 1 with jtuser2's job; jtuser1's srun -N2 spans both nodes.
#
# Checked against independent truth: each node's meter and packages draw known powers (the
# fixture), so every record's energy over its own interval must match them within 1 %, and every
# interval must lie within this script's clock around the job. Each user sees only their own
# jobs; sacct shows every user the AdminComment the epilog wrote.
#
#   jobs_e2e_test.sh HARNESS JOULETRACE PLUGIN LIVE_WRITER FIXTURE_TREE PYTHON_DIR EPILOG FAKE_NVML
# Exit 0 pass, 77 skipped (not root, no namespaces, no PostgreSQL), other failure.
set -euo pipefail
# Five daemons for a minute: CI runs the Slurm suites in a step of their own (.ci/run).
if [[ ${JOULETRACE_SLURM_TESTS:-} != 1 ]]; then
  echo "SKIP: set JOULETRACE_SLURM_TESTS=1 to run the real-Slurm tests"; exit 77
fi
[[ $# == 8 ]] || { echo "usage: $0 HARNESS JOULETRACE PLUGIN LIVE_WRITER FIXTURE_TREE PYTHON_DIR EPILOG FAKE_NVML" >&2; exit 2; }
harness=$(readlink -f "$1")
jouletrace=$(readlink -f "$2")
plugin=$(readlink -f "$3")
live_writer=$(readlink -f "$4")
fixture=$(readlink -f "$5")
python_dir=$(readlink -f "$6")
epilog=$(readlink -f "$7")
fake_nvml=$(readlink -f "$8")
readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly NODE1_METER_W=412  # the fixture's power1_average (µW in the file)
readonly NODE2_METER_W=300  # written below
readonly PACKAGES_W=(120 80 100 50)
readonly GPU_W=250  # node 1's fake GPU, never busy; no job is given it (no GRES here)

if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (starts Slurm daemons)"; exit 77; fi
if ! unshare --uts --net true 2>/dev/null; then echo "SKIP: no UTS/network namespaces"; exit 77; fi
if [[ ! -x $PG_BIN/initdb ]]; then echo "SKIP: no PostgreSQL 15 ($PG_BIN)"; exit 77; fi

work=$(mktemp -d /tmp/jt-jobs-e2e.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$harness" stop "$work/cluster" >/dev/null 2>&1 || true
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/agent-*.err "$work/cluster/log/slurmctld.log" "$work/epilog.log"; do
    [[ -f $f ]] && { echo "---- tail of $f" >&2; tail -n 25 "$f" >&2; }
  done
  exit 1
}
unix_ms() { date +%s%3N; }

# --- two fixture nodes, their energy root-only, at known powers ---------------------------------
node_tree() {  # node_tree NAME METER_W PACKAGE0_W PACKAGE1_W
  local tree=$work/$1
  cp -r "$fixture" "$tree"
  chmod -R a+rX "$tree"
  echo $(($2 * 1000000)) >"$tree/class/hwmon/hwmon0/power1_average"
  find "$tree/class/powercap" -name energy_uj -exec chmod 0400 {} +
  "$live_writer" --tick-ms 1 --duration-s 900 --ready-file "$tree/writer.ready" \
    --channel "$tree/class/powercap/intel-rapl:0/energy_uj:$3" \
    --channel "$tree/class/powercap/intel-rapl:1/energy_uj:$4" 2>"$work/writer-$1.err" &
  pids+=($!)
  for _ in $(seq 100); do [[ -e $tree/writer.ready ]] && return 0; sleep 0.1; done
  fail "the live writer of $1 did not start"
}
node_tree n1 "$NODE1_METER_W" "${PACKAGES_W[0]}" "${PACKAGES_W[1]}"
node_tree n2 "$NODE2_METER_W" "${PACKAGES_W[2]}" "${PACKAGES_W[3]}"
mkdir -p "$work/run" && chmod 755 "$work/run"
echo "gpu uuid=GPU-e2e-0 name=FakeGPU power_w=$GPU_W util=0" >"$work/nvml.conf"
start_agent() {  # start_agent TREE SOCKET_NAME NVML_LIBRARY [nsenter prefix...]
  local tree=$1 name=$2 nvml=$3; shift 3
  "$@" env JT_FAKE_NVML_CONFIG="$work/nvml.conf" "$jouletrace" agent --sysfs-root "$work/$tree" \
    --dev-root "$work/$tree/dev" --socket "$work/run/agent.$name.sock" \
    --state-dir "$work/state-$tree" --config "$work/agent-$tree.json" --nvml-library "$nvml" --no-bmc \
    >"$work/agent-$tree.out" 2>"$work/agent-$tree.err" &
  pids+=($!)
  for _ in $(seq 100); do [[ -S $work/run/agent.$name.sock ]] && return 0; sleep 0.1; done
  fail "agent $tree did not start"
}
host=$(hostname -s)

# --- Slurm: the plugin, the extern step, the epilog ----------------------------------------------
cat >"$work/epilog.conf" <<EOF2
PATH=$(dirname "$jouletrace"):/usr/sbin:/usr/bin:/sbin:/bin
SLURM_CONF=$work/cluster/etc/slurm.conf
JOULETRACE_AGENT=$work/run/agent.$host.sock
JOULETRACE_EPILOG_LOG=$work/epilog.log
export SLURM_CONF JOULETRACE_AGENT
EOF2
touch "$work/epilog.log" && chown slurm "$work/epilog.log"
# slurmctld gives an EpilogSlurmctld no environment of the site's: the conf file names it.
printf '#!/bin/sh\nJOULETRACE_EPILOG_CONF=%s exec %s\n' "$work/epilog.conf" "$epilog" >"$work/epilog"
chmod 755 "$work/epilog"
env_lines=$("$harness" start "$work/cluster" --netns-node jt2 \
  --plugstack-line "optional $plugin socket=$work/run/agent.%n.sock default=phases timeout_ms=500" \
  --conf-line "PrologFlags=Contain" --conf-line "EpilogSlurmctld=$work/epilog") ||
  fail "the cluster did not start"
eval "$env_lines"
# --- PostgreSQL 15, the site's store: reached from node 1 on loopback, from node 2 (its own
# network namespace) over the veth pair at the address slurmctld listens on -----------------------
ctld_addr=$(sed -n 's/^SlurmctldHost=.*(\(.*\))$/\1/p' "$SLURM_CONF")
[[ -n $ctld_addr ]] || fail "no SlurmctldHost address in $SLURM_CONF"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$work/pg" && chown postgres "$work/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$work/pg/data" --auth-local=trust \
  --auth-host=scram-sha-256 -U postgres >"$work/pg/initdb.log" 2>&1 || fail "initdb"
echo "host all all ${ctld_addr%.*}.0/24 scram-sha-256" >>"$work/pg/data/pg_hba.conf"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$work/pg/data" -w -t 60 \
  -o "-k $work/pg -h 127.0.0.1,$ctld_addr -p $port" -l "$work/pg/log" start >/dev/null ||
  fail "pg_ctl start"
psql_do() { runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -h "$work/pg" -p "$port" -U postgres -c "$1"; }
psql_do "CREATE ROLE jt_store LOGIN PASSWORD '$password'" >/dev/null
psql_do "CREATE DATABASE jouletrace OWNER jt_store" >/dev/null
for node in n1:127.0.0.1 "n2:$ctld_addr"; do
  printf 'host=%s port=%s dbname=jouletrace user=jt_store password=%s\n' "${node#*:}" "$port" \
    "$password" >"$work/store-${node%%:*}.conn"
  chmod 600 "$work/store-${node%%:*}.conn"
  cat >"$work/agent-${node%%:*}.json" <<EOF2
{"first_user_uid": 1500, "presence_scan_s": 0.2, "operators_group": "slurm",
 "store": {"kind": "postgresql", "credentials_file": "$work/store-${node%%:*}.conn"}}
EOF2
done


start_agent n1 "$host" "$fake_nvml"
start_agent n2 jt2 /nonexistent/nvml.so nsenter -t "$(cat "$work/cluster/run/netns-holder.pid")" -n -u --
cd /tmp

# --- the jobs -----------------------------------------------------------------------------------
cat >"$work/job.sh" <<'EOF2'
#!/bin/sh
jouletrace mark begin prepare
sleep 1
jouletrace mark end prepare
srun -n1 python3 -c '
import time, jouletrace
with jouletrace.phase("train") as p:
    time.sleep(2)
    p.add_items(600)
'
srun -n1 sleep 1
EOF2
chmod 755 "$work/job.sh"
mkdir -p "$work/out" && chmod 777 "$work/out"
t0=$(unix_ms)
# Two nodes first (the sbatch jobs below then fill node 1's two CPUs at once).
# shellcheck disable=SC2016 # expanded by the tasks' shell
job3=$(runuser -u jtuser1 -- timeout 60 srun -N2 -n2 sh -c 'sleep 2; echo "$SLURM_JOB_ID"' |
  sort -u) || fail "srun -N2 as jtuser1"
[[ $job3 =~ ^[0-9]+$ ]] || fail "srun -N2 printed '$job3', not its job id"
job1=$(runuser -u jtuser1 -- sbatch --parsable -w jt1 -n1 -o "$work/out/%j.out" \
  --export="ALL,PATH=$(dirname "$jouletrace"):$PATH,PYTHONPATH=$python_dir" "$work/job.sh") ||
  fail "sbatch as jtuser1"
job2=$(runuser -u jtuser2 -- sbatch --parsable -w jt1 -n1 -o "$work/out/%j.out" --wrap "sleep 3") ||
  fail "sbatch as jtuser2"
for _ in $(seq 300); do
  [[ -z $(squeue -h -o %i) ]] && break
  sleep 0.2
done
[[ -z $(squeue -h -o %i) ]] || fail "jobs still queued: $(squeue)"
t1=$(unix_ms)

# --- what each user sees --------------------------------------------------------------------------
as() {  # as USER jouletrace-args...: through node 1's agent
  local user=$1; shift
  runuser -u "$user" -- env JOULETRACE_AGENT="$work/run/agent.$host.sock" "$jouletrace" "$@"
}
wait_for_records() {  # wait_for_records USER JOB COUNT: the job's JSON once it has COUNT records
  local out
  for _ in $(seq 120); do
    out=$(as "$1" job "$2" --json 2>/dev/null || true)
    if [[ -n $out ]] && [[ $(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["steps"]))' <<<"$out") -ge $3 ]]; then
      printf '%s' "$out"; return 0
    fi
    sleep 0.5
  done
  fail "job $2 never had $3 records for $1: $(as "$1" job "$2" 2>&1 || true)"
}
wait_for_records jtuser1 "$job1" 4 >"$work/job1.json"
wait_for_records jtuser2 "$job2" 2 >"$work/job2.json"
wait_for_records jtuser1 "$job3" 4 >"$work/job3.json"

python3 - "$work" "$t0" "$t1" "$(hostname)" "$NODE1_METER_W" "$NODE2_METER_W" \
  "$((PACKAGES_W[0] + PACKAGES_W[1]))" "$GPU_W" <<'EOF2' || fail "the records do not match the fixture"
import json, sys
work, t0, t1, host = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
meter_w = {host: float(sys.argv[5]), "jt2": float(sys.argv[6])}
parts_w, gpu_w = float(sys.argv[7]), float(sys.argv[8])
problems = []
def near(what, value, expected):
    if abs(value - expected) > 0.01 * expected:
        problems.append(f"{what}: {value:.2f}, expected {expected:.2f} (1 %)")
def check(name, report, steps, nodes):
    got = sorted((r["node"], r["step_id"]) for r in report["steps"])
    if sorted(steps) != got: problems.append(f"{name}: steps {got}, expected {sorted(steps)}")
    if report["job"]["nodes"] != nodes: problems.append(f"{name}: {report['job']['nodes']} nodes")
    if not report["job"]["whole"]: problems.append(f"{name}: not whole")
    for r in report["steps"]:
        seconds = (r["end_unix_ms"] - r["begin_unix_ms"]) / 1000
        if not (t0 - 1000 <= r["begin_unix_ms"] <= r["end_unix_ms"] <= t1 + 1000):
            problems.append(f"{name} {r['step_id']}: outside the test's clock")
        near(f"{name} {r['node']} {r['step_id']} node power", r["total"]["energy_j"] / seconds,
             meter_w[r["node"]])
        gpus = [g for g in r["gpus_measured"] if g["id"] == "nvml/GPU-e2e-0"]
        if r["node"] == host:
            # Measured, idle, and not the job's: Slurm gave it no GPU, so no idle GPU is charged.
            if len(gpus) != 1 or not gpus[0]["idle"] or gpus[0]["share"] != 0:
                problems.append(f"{name} {r['step_id']}: the fake GPU as {gpus}")
            else:
                near(f"{name} {r['step_id']} GPU power", gpus[0]["energy"]["energy_j"] / seconds, gpu_w)
            if r["idle_gpu"]["energy_j"] != 0: problems.append(f"{name}: idle GPU {r['idle_gpu']}")
    for n in report["nodes"]:
        alloc = [r for r in report["steps"] if r["node"] == n["node"] and r["scope"] == "allocation"]
        if len(alloc) != 1: problems.append(f"{name} {n['node']}: no allocation record")
job1 = json.load(open(f"{work}/job1.json"))
check("job1", job1, [(host, s) for s in ("extern", "batch", "0", "1")], 1)
phases = {p["name"]: p for p in job1["phases"]}
if set(phases) != {"prepare", "train"}: problems.append(f"job1 phases {sorted(phases)}")
else:
    train = phases["train"]
    if train["items"] != 600: problems.append(f"train items {train['items']}")
    if not 2.0 <= train["duration_s"] < 3.0: problems.append(f"train lasted {train['duration_s']}")
    # A phase is cut from the parts inside the node meter (a meter averaged over a second cannot
    # resolve one): node 1's packages and GPU.
    near("train parts power", train["energy"]["energy_j"] / train["duration_s"], parts_w + gpu_w)
    near("prepare parts power",
         phases["prepare"]["energy"]["energy_j"] / phases["prepare"]["duration_s"], parts_w + gpu_w)
check("job2", json.load(open(f"{work}/job2.json")), [(host, "extern"), (host, "batch")], 1)
check("job3", json.load(open(f"{work}/job3.json")),
      [(host, "extern"), ("jt2", "extern"), (host, "0"), ("jt2", "0")], 2)
print("\n".join(problems) if problems else "records match the fixture")
sys.exit(1 if problems else 0)
EOF2

# Nobody sees another user's job, not even that it exists.
if as jtuser2 job "$job1" >/dev/null 2>&1; then fail "jtuser2 sees jtuser1's job $job1"; fi
if as jtuser1 job "$job2" >/dev/null 2>&1; then fail "jtuser1 sees jtuser2's job $job2"; fi
mine=$(as jtuser1 jobs --json | python3 -c 'import json,sys; print(" ".join(sorted(j["job_id"] for j in json.load(sys.stdin)["jobs"])))')
[[ $mine == "$(printf '%s\n' "$job1" "$job3" | sort | tr '\n' ' ' | sed 's/ $//')" ]] ||
  fail "jtuser1's jobs: $mine"

# sacct shows the epilog's line to every user (jtuser2 reads jtuser1's job).
comment=
for _ in $(seq 240); do
  comment=$(runuser -u jtuser2 -- sacct -a -j "$job1" -X -n -P -o AdminComment%2000 2>/dev/null || true)
  [[ $comment == *jouletrace* ]] && break
  sleep 0.5
done
[[ $comment == *jouletrace* ]] || fail "no AdminComment for job $job1: '$comment'"
# sacctmgr stores a double quote as a backquote (docs/SLURM.md): turned back, it is the CLI's JSON.
python3 - "$comment" "$work/job1.json" <<'EOF2' || fail "AdminComment does not match the job's figure"
import json, sys
line = json.loads(sys.argv[1].replace("`", '"'))
job = json.load(open(sys.argv[2]))
assert line["jouletrace"] == 1, line
assert abs(line["energy_j"] - job["job"]["total"]["energy_j"]) <= 1e-6 * job["job"]["total"]["energy_j"], line
EOF2
echo "PASS: jobs $job1 (jtuser1, 2 steps, phases), $job2 (jtuser2, sharing node 1), $job3 (2 nodes through PostgreSQL); AdminComment: $comment"
