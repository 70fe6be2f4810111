#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `dtqvp sweep --backend slurm` and its
# test (docs/user-guide.md#sweeps-on-a-cluster). Debian 12, as root.
#
#   scripts/slurm-local.sh setup    install slurm-wlm and munge when missing, create the
#                                   munge key, write /etc/slurm/slurm.conf
#   scripts/slurm-local.sh start    write the configuration, start munged, slurmctld and
#                                   slurmd (directly, no systemd), wait until the node is idle
#   scripts/slurm-local.sh stop     stop the daemons that `start` started
#   scripts/slurm-local.sh status   print the daemons and `sinfo`; exit 0 when the node
#                                   takes jobs
#
# `start` never installs anything: without slurm-wlm it fails at once (exit 1) and says so.
# SLURM_LOCAL_TIMEOUT (seconds, default 60) bounds the wait for the node in `start`.
# Everything lives in /etc/slurm/slurm.conf (only overwritten when this script wrote it),
# /var/spool/dtqvp-slurm (state), /var/log/dtqvp-slurm (logs), /run/dtqvp-slurm (pid files).
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
MARK="# written by dtqvp scripts/slurm-local.sh"
STATE=/var/spool/dtqvp-slurm
LOGS=/var/log/dtqvp-slurm
RUN=/run/dtqvp-slurm
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
PKGS=(slurm-wlm munge)

say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: error: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (the daemons run as root; SlurmUser=root)"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_pkgs() {
  local missing=()
  for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

check_installed() {
  for b in munged slurmctld slurmd sinfo sbatch; do
    command -v "$b" >/dev/null || die "$b not found: slurm-wlm and munge are not installed (run: $0 setup)"
  done
}

munge_key() {
  [ -s /etc/munge/munge.key ] && return 0
  say "creating /etc/munge/munge.key"
  install -d -o munge -g munge -m 0700 /etc/munge
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
}

write_conf() {
  if [ -e "$CONF" ] && ! head -n 1 "$CONF" | grep -qxF "$MARK"; then
    die "$CONF exists and was not written by this script; not touching it"
  fi
  mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGS" "$RUN"
  local cpus
  cpus=$(nproc)
  cat >"$CONF.tmp" <<EOF
$MARK
# A one-node cluster on localhost; no cgroups, no accounting database.
ClusterName=dtqvp-local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Schedule waiting tasks as soon as one ends (default: at most every 3 s); sweeps have many short tasks.
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
}

node_state() { timeout 5 sinfo -h -n localhost -o %t 2>/dev/null | head -n 1 || true; }
# Takes jobs: idle, mixed or allocated, without a flag (idle* is "not responding").
usable() { case "$1" in idle|mix|mixed|alloc|allocated) return 0 ;; *) return 1 ;; esac; }

status() {
  local ok=0
  for d in munged slurmctld slurmd; do
    local pf=$RUN/$d.pid
    if alive "$pf"; then say "$d running (pid $(cat "$pf"))"; else say "$d not running"; ok=1; fi
  done
  # sinfo keeps retrying while no slurmctld answers: ask only a running one.
  if alive "$RUN/slurmctld.pid"; then
    timeout 10 sinfo 2>&1 || true
    usable "$(node_state)" || ok=1
  fi
  return $ok
}

start() {
  need_root
  check_installed
  munge_key
  write_conf
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    rm -f /run/munge/munged.pid
    # munged refuses to run as root with a key owned by munge: run it as munge.
    runuser -u munge -- munged || die "munged did not start (see /var/log/munge/munged.log)"
    for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$RUN/munged.pid"   # `stop` stops only what `start` started
  fi
  munge -n | unmunge >/dev/null 2>&1 || die "munge does not work (munge -n | unmunge failed)"
  if ! alive "$RUN/slurmctld.pid"; then
    slurmctld || die "slurmctld did not start; $LOGS/slurmctld.log: $(tail -n 5 "$LOGS/slurmctld.log" 2>/dev/null)"
  fi
  if ! alive "$RUN/slurmd.pid"; then
    slurmd -N localhost || die "slurmd did not start; $LOGS/slurmd.log: $(tail -n 5 "$LOGS/slurmd.log" 2>/dev/null)"
  fi
  local t0=$SECONDS s=""
  while [ $((SECONDS - t0)) -lt "$TIMEOUT" ]; do
    # A daemon that died (port taken, bad configuration) will not come back: stop waiting.
    if [ $((SECONDS - t0)) -ge 1 ] && { ! alive "$RUN/slurmctld.pid" || ! alive "$RUN/slurmd.pid"; }; then
      s="a daemon exited"
      break
    fi
    s=$(node_state)
    if usable "$s"; then say "node localhost is $s (partition local, $(nproc) CPUs)"; return 0; fi
    case "$s" in
      down*|drain*) timeout 10 scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 1
  done
  echo "slurm-local: error: node localhost not idle after $((SECONDS - t0)) s (${s:-state unknown})" >&2
  for l in "$LOGS/slurmctld.log" "$LOGS/slurmd.log"; do
    [ -f "$l" ] && { echo "--- tail of $l" >&2; tail -n 10 "$l" >&2; }
  done
  exit 1
}

stop() {
  need_root
  for d in slurmd slurmctld munged; do
    local pf=$RUN/$d.pid
    if alive "$pf"; then
      local pid
      pid=$(cat "$pf")
      kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && { say "$d (pid $pid) did not stop in 10 s; sending SIGKILL"; kill -9 "$pid"; }
      say "stopped $d (pid $pid)"
    fi
    rm -f "$pf"
  done
}

case "${1:-}" in
  setup) need_root; install_pkgs; check_installed; munge_key; write_conf; say "set up; $CONF written (start with: $0 start)" ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 setup|start|stop|status" >&2; exit 2 ;;
esac
