#!/bin/bash
# A one-node Slurm cluster on this machine (munged, slurmctld, slurmd, all as
# root, everything under DIR), to try the fleet scripts without a cluster — and
# what tests/suite/fleet.rs starts. Debian/Ubuntu: apt-get install slurm-wlm munge.
#
#   deploy/slurm/local-cluster.sh start DIR   prints "export SLURM_CONF=DIR/slurm.conf"
#   deploy/slurm/local-cluster.sh stop DIR
set -euo pipefail
cmd="${1:?usage: local-cluster.sh start|stop DIR}"
dir="${2:?usage: local-cluster.sh start|stop DIR}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

stop() {
  local pids=()
  for f in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    [ -s "$f" ] && pids+=("$(cat "$f")")
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
  rm -f "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid
}

case "$cmd" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "local-cluster.sh: start or stop, not '$cmd'" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "local-cluster.sh: run as root (the daemons run as root here)" >&2; exit 1; }
for tool in munged slurmctld slurmd sbatch scontrol; do
  command -v "$tool" >/dev/null || { echo "local-cluster.sh: $tool not found: apt-get install slurm-wlm munge" >&2; exit 1; }
done

host="$(hostname -s)"
cpus="$(nproc)"
# Addresses given outright (no dependence on the hostname resolving); ports of
# our own, so that a system Slurm (if any) is left alone.
base=$((20000 + RANDOM % 20000))
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
[ -s "$dir/munge/munge.key" ] || { dd if=/dev/urandom bs=1 count=1024 of="$dir/munge/munge.key" 2>/dev/null; chmod 400 "$dir/munge/munge.key"; }
cat >"$dir/slurm.conf" <<CONF
ClusterName=nvviz-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
# Up when the node is idle.
for _ in $(seq 1 60); do
  if scontrol show node "$host" 2>/dev/null | grep -q "State=IDLE"; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "local-cluster.sh: the node did not come up within 30 s; logs: $dir/slurmctld.log $dir/slurmd.log" >&2
stop
exit 1
