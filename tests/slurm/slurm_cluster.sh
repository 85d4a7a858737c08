#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A throw-away, single-machine Slurm cluster for tests: munged, mariadbd, slurmdbd, slurmctld and
# slurmd, every file (config, state, logs, sockets, PID files) under one directory, loopback only.
#
#   slurm_cluster.sh start DIR [--plugstack-line LINE]... [--plugstack-file FILE]
#                              [--conf-line LINE]... [--node-name NAME] [--etc-file FILE]...
#                              [--ctld-addr ADDR] [--netns-node NAME]
#   slurm_cluster.sh stop DIR
#   slurm_cluster.sh env DIR        # prints the environment again
#
# `start` prints `export SLURM_CONF=...` (and the munge socket) on stdout; eval it. Everything
# else goes to stderr. It needs root (daemons drop to munge, mysql and slurm themselves).
# `stop` kills, by the PIDs recorded under DIR, only what `start` started there.
#
# --netns-node NAME adds a second node: a slurmd in its own UTS and network namespace (hostname
# NAME), joined to this machine by a veth pair on a private 10.77.X.0/24; slurmctld then listens
# on the host end of that pair so that both nodes reach it, and `srun -N2` spans the two.
#
# Why its own munge socket and database instead of the system's: tests run repeatedly, beside a
# possible system Slurm and earlier half-stopped runs; nothing here may depend on /run/munge,
# /run/mysqld or /etc/slurm, and two DIRs must not share a daemon.
set -euo pipefail

readonly WAIT_S=${JT_SLURM_WAIT_S:-60}
readonly TEST_USERS=("jtuser1:1501" "jtuser2:1502")
readonly TEST_ACCOUNT=jtacct

die() { echo "slurm_cluster: $*" >&2; exit 1; }
log() { echo "slurm_cluster: $*" >&2; }

# Prints the last lines of each named log (the reason a wait failed is nearly always there).
tail_logs() {
  local f
  for f in "$@" "${@/%.log/.stderr}"; do
    [[ -f $f ]] || continue
    echo "---- tail of $f ----" >&2
    tail -n 30 "$f" >&2 || true
  done
}

# wait_for DESCRIPTION LOGFILES -- COMMAND...: polls COMMAND every 0.2 s for at most WAIT_S.
wait_for() {
  local what=$1; shift
  local logs=()
  while [[ $1 != -- ]]; do logs+=("$1"); shift; done
  shift
  local deadline=$((SECONDS + WAIT_S))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${WAIT_S}s waiting for $what"
      tail_logs "${logs[@]}"
      return 1
    fi
    sleep 0.2
  done
}

# A TCP port nobody listens on now. The kernel picks it (bind to port 0) so that two harnesses
# started at once rarely collide; the daemons' bind errors would show in their logs if they did.
free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}

# The daemon a PID file names, if that process still runs and was started for this DIR (its
# command line, or for slurmdbd which takes no path argument its environment, names DIR): a
# recycled PID must never be killed.
ours() {
  local pid=$1 dir=$2
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir" ||
    grep -qzF "SLURM_CONF=$dir/etc/slurm.conf" "/proc/$pid/environ" 2>/dev/null
}

stop_pidfile() {
  local name=$1 pidfile=$2 dir=$3 pid i
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if ours "$pid" "$dir"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do  # 10 s for a clean exit (mariadb flushes, slurmctld saves state)
      ours "$pid" "$dir" || break
      sleep 0.1
    done
    if ours "$pid" "$dir"; then
      log "$name ($pid) ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  local dir=$1 name pid
  [[ -d $dir/run ]] || return 0
  # Jobs first, while slurmctld and slurmd still run: they kill their tasks themselves. Bounded;
  # whatever is left is killed below with its slurmstepd.
  if [[ -f $dir/etc/slurm.conf && -f $dir/run/slurmctld.pid ]] &&
    ours "$(cat "$dir/run/slurmctld.pid")" "$dir"; then
    local i jobs=()
    mapfile -t jobs < <(SLURM_CONF=$dir/etc/slurm.conf timeout 10 squeue -h -o %i 2>/dev/null)
    if ((${#jobs[@]})); then
      SLURM_CONF=$dir/etc/slurm.conf timeout 10 scancel --full --quiet "${jobs[@]}" \
        >/dev/null 2>&1 || true
    fi
    for ((i = 0; i < 50; i++)); do
      [[ -z $(SLURM_CONF=$dir/etc/slurm.conf timeout 5 squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
  # Reverse order of start: the node first, the key server last, so that no daemon logs a storm of
  # connection errors about one stopped before it.
  for name in slurmd slurmd-netns netns-holder slurmctld slurmdbd mariadbd munged; do
    stop_pidfile "$name" "$dir/run/$name.pid" "$dir"
  done
  # The pair goes with the namespace's last process; deleting it here covers a holder that died
  # before the link moved into the namespace.
  if [[ -f $dir/run/veth ]]; then
    ip link del "$(cat "$dir/run/veth")" 2>/dev/null || true
    rm -f "$dir/run/veth"
  fi
  # Job steps (slurmstepd) outlive slurmd by design. Their command line is only "slurmstepd:
  # [ID.step]", but they inherit slurmd's environment, which holds this DIR's SLURM_CONF.
  # Their tasks go with them: stop the step first so it cannot respawn, then its descendants.
  for pid in $(pgrep -x slurmstepd || true); do
    if grep -qzF "SLURM_CONF=$dir/etc/slurm.conf" "/proc/$pid/environ" 2>/dev/null; then
      local tree=("$pid") k=0
      while ((k < ${#tree[@]})); do
        mapfile -t -O "${#tree[@]}" tree < <(pgrep -P "${tree[k]}" || true)
        k=$((k + 1))
      done
      kill -STOP "$pid" 2>/dev/null || true
      kill -KILL "${tree[@]}" 2>/dev/null || true
    fi
  done
  # proctrack/cgroup (if a test chose it) leaves slurm_<node> hierarchies behind; empty ones go.
  local node cg
  if [[ -f $dir/run/nodes ]]; then
    while read -r node; do
      while read -r cg; do
        find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
      done < <(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name "slurm_$node" 2>/dev/null)
    done <"$dir/run/nodes"
  fi
  # A daemon of ours still running without a PID file (e.g. a second slurmd started by a test):
  # only the daemons' own names, so that a test's shell whose arguments name DIR is never hit.
  for pid in $(for n in slurmd slurmctld slurmdbd munged mariadbd; do pgrep -x "$n"; done || true); do
    if ours "$pid" "$dir"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  return 0
}

print_env() {
  local dir=$1
  echo "export SLURM_CONF=$dir/etc/slurm.conf"
  echo "export JT_SLURM_DIR=$dir"
  echo "export JT_MUNGE_SOCKET=$dir/munge/munged.socket"
}

add_test_users() {
  local entry user uid
  for entry in "${TEST_USERS[@]}"; do
    user=${entry%%:*} uid=${entry##*:}
    if ! id "$user" >/dev/null 2>&1; then
      useradd --uid "$uid" --user-group --create-home --shell /bin/sh "$user" ||
        die "useradd $user failed"
    fi
  done
}

cmd_start() {
  local dir=$1; shift
  local node=jt1 plugstack_lines=() plugstack_file="" conf_lines=() etc_files=() ctld_addr=127.0.0.1
  local netns_node=""
  while (($#)); do
    case $1 in
      --plugstack-line) plugstack_lines+=("$2"); shift 2 ;;
      --plugstack-file) plugstack_file=$2; shift 2 ;;
      --conf-line) conf_lines+=("$2"); shift 2 ;;
      --node-name) node=$2; shift 2 ;;
      --etc-file) etc_files+=("$2"); shift 2 ;;  # e.g. a cgroup.conf, next to slurm.conf
      # An address of this machine that nodes in other network namespaces can reach too.
      --ctld-addr) ctld_addr=$2; shift 2 ;;
      --netns-node) netns_node=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ $(id -u) == 0 ]] || die "start needs root"
  local bin
  for bin in munged mungekey mariadbd mariadb-install-db mariadb slurmdbd slurmctld slurmd sacctmgr sinfo; do
    command -v "$bin" >/dev/null 2>&1 || die "$bin not found"
  done

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # A DIR used before: stop what still runs there, then start from clean state, so a crashed
  # earlier run (stale sockets, a half-written database) cannot leak into this one.
  if [[ -e $dir/.jt-slurm-cluster ]]; then
    cmd_stop "$dir"
    rm -rf "${dir:?}"/{etc,run,log,munge,mysql,state,spool,home}
  elif [[ -n $(ls -A "$dir") ]]; then
    die "$dir is neither empty nor an earlier cluster's directory"
  fi
  touch "$dir/.jt-slurm-cluster"
  # Daemons running as munge, mysql and slurm, and the test users, must traverse DIR and its
  # parents (mktemp makes 0700 directories).
  chmod 755 "$dir"
  mkdir -p "$dir"/{etc,run,log,munge,state,spool}
  chown slurm:slurm "$dir"/{log,state,spool,run}
  chmod 755 "$dir"/{etc,run,log}
  chmod 1777 "$dir/log"  # slurmdbd, slurmctld (slurm) and mariadb (mysql) write logs here

  add_test_users

  local host
  host=$(hostname -s)
  local ctld_port slurmd_port dbd_port db_port
  ctld_port=$(free_port) slurmd_port=$(free_port) dbd_port=$(free_port) db_port=$(free_port)

  # --- munge: its own key and socket -------------------------------------------------------------
  local msock=$dir/munge/munged.socket
  chown munge:munge "$dir/munge"
  chmod 700 "$dir/munge"
  setpriv --reuid munge --regid munge --clear-groups -- mungekey --create --force \
    --keyfile "$dir/munge/munge.key" 2>>"$dir/log/munged.log" || die "mungekey failed"
  # The socket's directory must let slurm and the test users reach the socket.
  chmod 755 "$dir/munge"
  setsid setpriv --reuid munge --regid munge --clear-groups -- /usr/sbin/munged --foreground \
    --socket "$msock" --key-file "$dir/munge/munge.key" --pid-file "$dir/munge/munged.pidfile" \
    --log-file "$dir/log/munged.log" --seed-file "$dir/munge/munged.seed" \
    </dev/null >"$dir/log/munged.stderr" 2>&1 &
  echo $! >"$dir/run/munged.pid"
  wait_for "munged" "$dir/log/munged.log" -- sh -c "munge -S '$msock' -n | unmunge -S '$msock'"

  # --- mariadb: a private datadir, TCP on loopback --------------------------------------------------
  mkdir -p "$dir/mysql/data" "$dir/mysql/tmp"
  chown -R mysql:mysql "$dir/mysql"
  local mycnf=$dir/etc/my.cnf
  cat >"$mycnf" <<EOF
[mariadbd]
user=mysql
datadir=$dir/mysql/data
tmpdir=$dir/mysql/tmp
socket=$dir/mysql/mysqld.sock
pid-file=$dir/mysql/mysqld.pid
log-error=$dir/log/mariadb.log
port=$db_port
bind-address=127.0.0.1
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
# slurmdbd's documented minimums for its large job tables
innodb_lock_wait_timeout=900
max_allowed_packet=16M
EOF
  mariadb-install-db --defaults-file="$mycnf" --user=mysql --auth-root-authentication-method=socket \
    --skip-test-db >"$dir/log/mariadb-install.log" 2>&1 ||
    { tail_logs "$dir/log/mariadb-install.log"; die "mariadb-install-db failed"; }
  setsid mariadbd --defaults-file="$mycnf" </dev/null >"$dir/log/mariadb.stderr" 2>&1 &
  echo $! >"$dir/run/mariadbd.pid"
  local sql=(mariadb --defaults-file=/dev/null --protocol=socket -S "$dir/mysql/mysqld.sock" -u root)
  wait_for "mariadbd" "$dir/log/mariadb.log" -- "${sql[@]}" -e 'select 1'
  local dbpass
  dbpass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  "${sql[@]}" <<EOF || die "creating the accounting database failed"
CREATE DATABASE slurm_acct_db;
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$dbpass';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF

  # --- configuration -------------------------------------------------------------------------------
  # slurmdbd reads slurmdbd.conf from the directory of SLURM_CONF (it has no -f option).
  export SLURM_CONF=$dir/etc/slurm.conf
  cat >"$dir/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$msock
DbdAddr=127.0.0.1
DbdHost=$host
DbdPort=$dbd_port
SlurmUser=slurm
LogFile=$dir/log/slurmdbd.log
PidFile=$dir/run/slurmdbd.pidfile
DebugLevel=verbose
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=$dbpass
StorageLoc=slurm_acct_db
EOF
  chown slurm:slurm "$dir/etc/slurmdbd.conf"
  chmod 600 "$dir/etc/slurmdbd.conf"

  # The second node's network, made before slurm.conf since slurmctld must listen on it.
  local holder="" veth="" subnet=""
  if [[ -n $netns_node ]]; then
    local n
    for n in $(shuf -i 1-250 -n 20); do
      ip -o addr | grep -qF " 10.77.$n." || { subnet=10.77.$n; break; }
    done
    [[ -n $subnet ]] || die "no free 10.77.X.0/24 for the second node"
    veth=jtv$n
    ip link add "$veth" type veth peer name "${veth}p" || die "cannot create a veth pair"
    echo "$veth" >"$dir/run/veth"
    { ip addr add "$subnet.1/24" dev "$veth" && ip link set "$veth" up; } ||
      die "cannot configure $veth"
    # The namespaces live as long as this holder (or the slurmd inside) does. Its stdio must not
    # be ours: a caller reading our stdout through a pipe would wait for it.
    setsid unshare --uts --net -- sleep infinity </dev/null >/dev/null 2>&1 &
    holder=$!
    echo "$holder" >"$dir/run/netns-holder.pid"
    wait_for "the second node's namespaces" -- \
      sh -c "[ \"\$(readlink /proc/$holder/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
    ip link set "${veth}p" netns "$holder" || die "cannot move ${veth}p into the namespace"
    nsenter -t "$holder" -n sh -c "ip link set lo up && ip addr add $subnet.2/24 dev ${veth}p &&
      ip link set ${veth}p up" || die "cannot configure the namespace's network"
    nsenter -t "$holder" -u hostname "$netns_node" || die "cannot set the namespace's hostname"
    ctld_addr=$subnet.1
  fi

  local cpus mem_mb
  cpus=$(nproc)
  mem_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 - 512))
  {
    cat <<EOF
ClusterName=jtcluster
SlurmctldHost=$host($ctld_addr)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=slurm
AuthType=auth/munge
AuthInfo=socket=$msock
CryptoType=crypto/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pidfile
SlurmdPidFile=$dir/run/slurmd-%n.pidfile
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=verbose
SlurmdDebug=verbose
PlugStackConfig=$dir/etc/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without it a job asking no memory gets the whole node's, and two jobs never share the node.
DefMemPerCPU=256
ReturnToService=2
MpiDefault=none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$dbd_port
# Slurm 22.05 signs every message (not only those to slurmdbd) with the munge socket named here,
# not AuthInfo's (slurm_protocol_api.c, _global_auth_key); AuthInfo covers job credentials.
AccountingStoragePass=socket=$msock
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
# Short timers: tests wait on them.
MinJobAge=300
KillWait=5
InactiveLimit=0
EOF
    local line
    for line in "${conf_lines[@]}"; do echo "$line"; done
    echo "NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN"
    if [[ -n $netns_node ]]; then
      echo "NodeName=$netns_node NodeHostname=$netns_node NodeAddr=$subnet.2 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN"
    fi
    echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
  } >"$SLURM_CONF"
  chmod 644 "$SLURM_CONF"
  # Extra NodeName lines may come in through --conf-line (Task 4's second node); they must come
  # before the partition, which names ALL nodes, so nothing to do: ALL is resolved after parsing.

  if [[ -n $plugstack_file ]]; then
    cp "$plugstack_file" "$dir/etc/plugstack.conf"
  else
    : >"$dir/etc/plugstack.conf"
  fi
  local l
  for l in "${plugstack_lines[@]}"; do echo "$l" >>"$dir/etc/plugstack.conf"; done
  chmod 644 "$dir/etc/plugstack.conf"
  local f
  for f in "${etc_files[@]}"; do
    install -m 644 "$f" "$dir/etc/$(basename "$f")"
  done

  # --- slurmdbd, then the cluster and the users in it ------------------------------------------------
  setsid slurmdbd -D </dev/null >"$dir/log/slurmdbd.stderr" 2>&1 &
  echo $! >"$dir/run/slurmdbd.pid"
  wait_for "slurmdbd" "$dir/log/slurmdbd.log" "$dir/log/mariadb.log" -- \
    timeout 5 sacctmgr -n show cluster
  timeout 20 sacctmgr -i add cluster jtcluster >/dev/null || die "sacctmgr add cluster failed"
  timeout 20 sacctmgr -i add account "$TEST_ACCOUNT" Cluster=jtcluster \
    Description=jouletrace-tests Organization=jouletrace >/dev/null || die "sacctmgr add account failed"
  local entry
  for entry in "${TEST_USERS[@]}"; do
    timeout 20 sacctmgr -i add user "${entry%%:*}" Account="$TEST_ACCOUNT" Cluster=jtcluster \
      >/dev/null || die "sacctmgr add user ${entry%%:*} failed"
  done

  # --- slurmctld and slurmd ------------------------------------------------------------------------
  setsid slurmctld -D -f "$SLURM_CONF" </dev/null >"$dir/log/slurmctld.stderr" 2>&1 &
  echo $! >"$dir/run/slurmctld.pid"
  wait_for "slurmctld" "$dir/log/slurmctld.log" "$dir/log/slurmdbd.log" -- timeout 5 scontrol ping
  mkdir -p "$dir/spool/$node"
  echo "$node" >>"$dir/run/nodes"
  setsid slurmd -D -f "$SLURM_CONF" -N "$node" </dev/null >"$dir/log/slurmd-$node.stderr" 2>&1 &
  echo $! >"$dir/run/slurmd.pid"
  wait_for "node $node idle" "$dir/log/slurmd-$node.log" "$dir/log/slurmctld.log" -- \
    sh -c "timeout 5 sinfo -h -n '$node' -o %T | grep -qx idle"
  if [[ -n $netns_node ]]; then
    mkdir -p "$dir/spool/$netns_node"
    echo "$netns_node" >>"$dir/run/nodes"
    setsid nsenter -t "$holder" -n -u -- slurmd -D -f "$SLURM_CONF" -N "$netns_node" </dev/null \
      >"$dir/log/slurmd-$netns_node.stderr" 2>&1 &
    echo $! >"$dir/run/slurmd-netns.pid"
    wait_for "node $netns_node idle" "$dir/log/slurmd-$netns_node.log" "$dir/log/slurmctld.log" -- \
      sh -c "timeout 5 sinfo -h -n '$netns_node' -o %T | grep -qx idle"
    log "second node $netns_node at $subnet.2 (veth $veth), slurmctld at $ctld_addr"
  fi
  log "up: node $node idle, slurmctld port $ctld_port, slurmdbd port $dbd_port, mariadb port $db_port"
  print_env "$dir"
}

(($# >= 2)) || die "usage: $0 start|stop|env DIR [options]"
action=$1 dir=$2
shift 2
case $action in
  start)
    # A failed start must not leave half a cluster running.
    if ! (cmd_start "$dir" "$@"); then
      cmd_stop "$(cd "$dir" 2>/dev/null && pwd || echo "$dir")"
      exit 1
    fi
    ;;
  stop) [[ -d $dir ]] && cmd_stop "$(cd "$dir" && pwd)"; exit 0 ;;
  env) print_env "$(cd "$dir" && pwd)" ;;
  *) die "unknown action $action" ;;
esac
