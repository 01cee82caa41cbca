#!/usr/bin/env bash
# A SLURM cluster on this machine (PLATFORM.md), for the tests and for trying slurm/*: munged,
# slurmctld and one slurmd per node. Needs root and scripts/install-deps.sh.
#
#   scripts/local-slurm.sh start [--nodes 1|2]   one node (this machine), or the two namespace
#                                                nodes of scripts/local-nodes.sh (brought up)
#   scripts/local-slurm.sh run CMD...            run a client (sbatch, srun, squeue, ...) against
#                                                it: with --nodes 2, inside node-lsA
#   scripts/local-slurm.sh status | stop
#
# Its files (config, state, logs, the munge socket) live in LASYNTH_SLURM_DIR, by default
# /var/tmp/lasynth-slurm: not /tmp, which each namespace node has to itself. Jobs run as root in
# the partition "debug"; submit from a directory every node sees (not /tmp).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
nodes_script=$here/local-nodes.sh
dir=${LASYNTH_SLURM_DIR:-/var/tmp/lasynth-slurm}
conf=$dir/slurm.conf

die() { echo "local-slurm: $*" >&2; exit 1; }
node_count() { cat "$dir/nodes" 2>/dev/null || echo 0; }
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Runs a command where the cluster's controller is reachable, with SLURM_CONF set.
on_controller() {
  if [[ $(node_count) == 2 ]]; then
    SLURM_CONF=$conf "$nodes_script" run lsA env SLURM_CONF="$conf" "$@"
  else
    SLURM_CONF=$conf "$@"
  fi
}

# Waits until `sinfo` shows every node idle.
wait_idle() {
  local want=$1
  for _ in $(seq 1 100); do
    local idle
    idle=$(on_controller sinfo -h -N -o '%T' 2>/dev/null | grep -c '^idle' || true)
    [[ $idle == "$want" ]] && return 0
    sleep 0.1
  done
  die "the nodes did not become idle; logs in $dir/*.log"
}

stop() {
  for pid_file in "$dir"/slurmd-*.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    [[ -f $pid_file ]] || continue
    pid=$(cat "$pid_file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pid_file"
  done
  # Job steps the daemons left behind (slurmstepd) end with them.
  pkill -f "slurmstepd: \[" 2>/dev/null || true
  rm -f "$dir/nodes"
}

case ${1:-} in
  start)
    shift
    count=1
    while [[ $# -gt 0 ]]; do
      case $1 in
        --nodes) count=${2:-}; shift 2 ;;
        --nodes=*) count=${1#--nodes=}; shift ;;
        *) die "unknown option '$1' (start [--nodes 1|2])" ;;
      esac
    done
    [[ $count == 1 || $count == 2 ]] || die "--nodes must be 1 or 2, not '$count'"
    [[ $(id -u) == 0 ]] || die "needs root (the daemons run as root and munge)"
    [[ -x /usr/sbin/slurmctld && -x /usr/sbin/munged ]] || die "SLURM is not installed: scripts/install-deps.sh"
    stop
    mkdir -p "$dir/state" "$dir/munge"
    chown munge:munge "$dir/munge"
    chmod 0755 "$dir/munge"
    setpriv --reuid=munge --regid=munge --init-groups munged --socket="$dir/munge/munge.socket" \
      --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
      --seed-file="$dir/munge/munged.seed" --force
    for _ in $(seq 1 50); do [[ -S $dir/munge/munge.socket ]] && break; sleep 0.1; done
    cp "$dir/munge/munged.pid" "$dir/munged.pid"
    cores=$(nproc)
    if [[ $count == 2 ]]; then
      "$nodes_script" up > /dev/null
      controller="node-lsA(10.254.0.1)"
      node_lines="NodeName=node-lsA NodeAddr=10.254.0.1 CPUs=$cores State=UNKNOWN
NodeName=node-lsB NodeAddr=10.254.0.2 CPUs=$cores State=UNKNOWN"
    else
      host=$(hostname)
      controller="$host(127.0.0.1)"
      node_lines="NodeName=$host NodeAddr=127.0.0.1 CPUs=$cores State=UNKNOWN"
    fi
    cat > "$conf" <<CONF
ClusterName=lasynth
SlurmctldHost=$controller
AuthType=auth/munge
CredType=cred/munge
# cred_expire: how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=pmix
ReturnToService=2
KillWait=10
MinJobAge=600
SchedulerParameters=batch_sched_delay=0
$node_lines
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
    echo "$count" > "$dir/nodes"
    if [[ $count == 2 ]]; then
      "$nodes_script" run lsA env SLURM_CONF="$conf" slurmctld -c -i >> "$dir/daemons.out" 2>&1
      for n in lsA lsB; do
        "$nodes_script" run "$n" env SLURM_CONF="$conf" slurmd -N "node-$n" >> "$dir/daemons.out" 2>&1
      done
    else
      SLURM_CONF=$conf slurmctld -c -i >> "$dir/daemons.out" 2>&1
      SLURM_CONF=$conf slurmd -N "$(hostname)" >> "$dir/daemons.out" 2>&1
    fi
    wait_idle "$count"
    echo "local-slurm: up with $count node(s); clients: scripts/local-slurm.sh run sbatch|srun|squeue ..."
    ;;
  run)
    shift
    [[ $# -gt 0 ]] || die "usage: $0 run CMD..."
    [[ $(node_count) != 0 ]] || die "not started (scripts/local-slurm.sh start)"
    on_controller "$@"
    ;;
  status)
    [[ $(node_count) != 0 ]] || { echo "local-slurm: stopped"; exit 0; }
    alive "$dir/slurmctld.pid" || die "slurmctld is not running (see $dir/slurmctld.log)"
    echo "local-slurm: $(node_count) node(s), SLURM_CONF=$conf"
    on_controller sinfo -N
    ;;
  stop)
    stop
    echo "local-slurm: stopped"
    ;;
  *)
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    [[ ${1:-} == -h || ${1:-} == --help ]] || exit 2
    ;;
esac
