#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for tests/test_slurm.py (and for trying profiles/slurm by hand):
#   tools/slurm_localhost.sh start | stop | status
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge). No systemd here: munged,
# slurmctld and slurmd are started by hand. slurm.conf must be /etc/slurm/slurm.conf, since the jobstep plugin
# drops SLURM_CONF before its nested srun; an existing slurm.conf that this script did not write is left alone.
# Accounting is off (so Snakemake needs --slurm-status-command squeue and --slurm-no-account), and MinJobAge is
# 300 s, so squeue still lists a finished job when Snakemake asks for its state.
set -euo pipefail
CONF=/etc/slurm/slurm.conf
MARK="# written by dudl tools/slurm_localhost.sh"
STATE=/var/spool/dudl-slurm

start() {
  for tool in munged slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install slurm-wlm munge" >&2; exit 3; }
  done
  [ "$(id -u)" = 0 ] || { echo "needs root (starts munged, slurmctld, slurmd)" >&2; exit 3; }
  if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    echo "$CONF exists and is not ours: not touching it" >&2; exit 3
  fi
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
  mkdir -p "$STATE"/ctld "$STATE"/d /var/log/slurm /run/munge /var/lib/munge /var/log/munge
  cat > "$CONF" <<CONF
$MARK
ClusterName=dudl
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
ReturnToService=2
MinJobAge=300
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
  chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
  chmod 0400 /etc/munge/munge.key
  pgrep -x munged >/dev/null || su -s /bin/sh munge -c munged 2>/dev/null || munged --force
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      sinfo; exit 0
    fi
    sleep 1
  done
  echo "the node did not come up; see /var/log/slurm/" >&2
  sinfo -R >&2 || true
  exit 4
}

stop() {
  pkill -x slurmd || true
  pkill -x slurmctld || true
  for _ in $(seq 20); do pgrep -x 'slurm(ctld|d)' >/dev/null || break; sleep 0.5; done
  if [ -e "$CONF" ] && grep -qF "$MARK" "$CONF"; then rm -f "$CONF"; fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo && squeue ;;
  *) echo "usage: $0 start | stop | status" >&2; exit 2 ;;
esac
