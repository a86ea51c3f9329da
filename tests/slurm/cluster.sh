#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the end-to-end test of configs/deploy/slurm-*.sh: Debian's slurm-wlm
# and munge, no cgroups, no accounting, every file under one state folder, daemons started as root and stopped by
# the PIDs they wrote.
#   tests/slurm/cluster.sh start DIR   # writes DIR/slurm.conf, starts munged, slurmctld, slurmd; waits for the node
#   tests/slurm/cluster.sh stop DIR    # stops them by DIR/*.pid
# Clients and daemons find the config through SLURM_CONF=DIR/slurm.conf (printed by start).
set -euo pipefail
cmd=${1:?start|stop}
dir=$(realpath -m "${2:?state folder}")

stop() {
  for name in slurmd slurmctld munged; do
    if [ -f "$dir/$name.pid" ]; then
      pid=$(cat "$dir/$name.pid")
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$dir/$name.pid"
    fi
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi

for tool in munged mungekey slurmctld slurmd sbatch scontrol sinfo; do
  command -v "$tool" >/dev/null || { echo "cluster.sh: $tool not found (install Debian's slurm-wlm and munge)" >&2; exit 3; }
done
mkdir -p "$dir/state" "$dir/spool"
host=$(hostname -s)
cpus=$(nproc)
# Ports of our own, away from a site's 6817/6818.
ctld_port=${GCA_SLURMCTLD_PORT:-16817}
slurmd_port=${GCA_SLURMD_PORT:-16818}
[ -f "$dir/munge.key" ] || mungekey --create --keyfile="$dir/munge.key"
chmod 600 "$dir/munge.key"
cat > "$dir/slurm.conf" <<CONF
ClusterName=gca-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
KillWait=5
MinJobAge=900
JobRequeue=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
stop
munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge.seed"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
  case "$state" in idle|mix|alloc) echo "SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 0.5
done
echo "cluster.sh: the node did not come up (state '${state:-none}'); logs in $dir" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1
