#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A private single-node Slurm on localhost (munged, slurmctld, slurmd, all as
# root, bound to 127.0.0.1), in a directory of its own, for trying
# `aiosim sweep --backend slurm` and for the slurm ctest. Following
# /work/shared/notes/slurm-single-node.md (Debian 12, no systemd needed).
#
#   tools/slurm-local.sh start DIR     # then: export SLURM_CONF=DIR/slurm.conf
#   tools/slurm-local.sh stop DIR
#
# Or source it and call slurm_local_start DIR / slurm_local_stop DIR. Stop
# ends only the daemons start launched (their PIDs are in DIR/*.started.pid).
# Ports: SLURM_LOCAL_PORT (slurmctld; slurmd the next one), else derived
# from the PID so that two copies rarely collide.

slurm_local_wait() {  # SECONDS COMMAND...: until COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.25
  done
}

slurm_local_start() {
  local D=$1 start=$SECONDS
  D=$(cd "$D" && pwd)
  local host port
  host=$(hostname -s)
  port=${SLURM_LOCAL_PORT:-$((20000 + ($$ % 10000) * 2))}
  mkdir -p "$D/munge" "$D/state" "$D/spool/slurmd" "$D/log"
  chmod 755 "$D" "$D/munge"  # munged wants every folder on the socket path traversable by all
  cat >"$D/slurm.conf" <<CONF
ClusterName=aiosimtest
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket.2
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/slurmd
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$D/slurm.conf
  [ -f "$D/munge/munge.key" ] || mungekey -c -k "$D/munge/munge.key" >/dev/null 2>&1
  munged -F --key-file="$D/munge/munge.key" --socket="$D/munge/munge.socket.2" --pid-file="$D/munge/munged.pid" \
    --log-file="$D/munge/munged.log" --seed-file="$D/munge/munged.seed" </dev/null >>"$D/log/munged.out" 2>&1 &
  echo $! >"$D/munged.started.pid"
  slurm_local_wait 15 test -S "$D/munge/munge.socket.2" || { echo "slurm-local: munged did not start ($D/munge/munged.log)" >&2; return 1; }
  slurmctld -D -f "$D/slurm.conf" </dev/null >>"$D/log/slurmctld.out" 2>&1 &
  echo $! >"$D/slurmctld.started.pid"
  slurmd -D -f "$D/slurm.conf" </dev/null >>"$D/log/slurmd.out" 2>&1 &
  echo $! >"$D/slurmd.started.pid"
  if ! slurm_local_wait 60 slurm_local_idle; then
    echo "slurm-local: the node did not become idle ($D/log)" >&2
    return 1
  fi
  SLURM_LOCAL_START_S=$((SECONDS - start))
  export SLURM_LOCAL_START_S
}

slurm_local_idle() { [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; }

slurm_local_kill() {  # PIDFILE SECONDS: wait for the PID to end, then TERM, then KILL
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  slurm_local_wait "$2" slurm_local_gone "$pid" && { rm -f "$f"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  slurm_local_wait 5 slurm_local_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

slurm_local_gone() { ! kill -0 "$1" 2>/dev/null; }

slurm_local_stop() {
  local D=$1
  [ -d "$D" ] || return 0
  if [ -f "$D/slurmctld.started.pid" ] && ! slurm_local_gone "$(cat "$D/slurmctld.started.pid")"; then
    SLURM_CONF=$D/slurm.conf scontrol shutdown >/dev/null 2>&1 || true
  fi
  slurm_local_kill "$D/slurmctld.started.pid" 10
  slurm_local_kill "$D/slurmd.started.pid" 10
  [ -f "$D/munged.started.pid" ] && kill -TERM "$(cat "$D/munged.started.pid")" 2>/dev/null
  slurm_local_kill "$D/munged.started.pid" 5
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start) mkdir -p "$2"; slurm_local_start "$2"; echo "slurm-local: up in ${SLURM_LOCAL_START_S}s; export SLURM_CONF=$(cd "$2" && pwd)/slurm.conf" ;;
    stop) slurm_local_stop "$2" ;;
    *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
  esac
fi
