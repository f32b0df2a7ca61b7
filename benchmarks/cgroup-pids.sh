#!/bin/bash
# Numbers behind the default pids limit (docs/security.md, "Resource limits"). Run as root on a
# v1/hybrid host; every cgroup made here is named silo-* and removed.
#   benchmarks/cgroup-pids.sh bomb 64 256 1024 2048 4096   # dash fork bomb under pids.max=N
#   benchmarks/cgroup-pids.sh bashbomb 2048                # bash's, which retries forks (15 s cap)
#   benchmarks/cgroup-pids.sh peak LABEL SECONDS CMD...     # pids.peak of a workload
set -u
MEMOWN=/sys/fs/cgroup/memory$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)

drain() { # freeze, kill, thaw, wait, rmdir
  local P=$1 F=$2; shift 2
  echo FROZEN > $F/freezer.state; for p in $(cat $P/cgroup.procs); do kill -9 $p 2>/dev/null; done; echo THAWED > $F/freezer.state
  for i in $(seq 500); do [ -z "$(cat $P/cgroup.procs)" ] && break; sleep 0.01; done
  rmdir $P $F "$@"
}

bomb() { # shell N script
  local sh=$1 N=$2 body=$3 n=silo-bomb-$$-$2
  local P=/sys/fs/cgroup/pids/$n M=$MEMOWN/$n F=/sys/fs/cgroup/freezer/$n
  mkdir $P $M $F; echo $N > $P/pids.max; echo 4G > $M/memory.limit_in_bytes
  local t0=$(date +%s.%N)
  $sh -c "echo \$\$ > $P/cgroup.procs; echo \$\$ > $M/cgroup.procs; echo \$\$ > $F/cgroup.procs; $body" 2>/dev/null
  local end=$((SECONDS + 15))
  while [ -n "$(cat $P/cgroup.procs)" ] && [ $SECONDS -lt $end ]; do sleep 0.01; done
  local t1=$(date +%s.%N)
  echo "$sh N=$N peak_pids=$(cat $P/pids.peak) refused_forks=$(cut -d' ' -f2 $P/pids.events) peak_mem=$(( $(cat $M/memory.max_usage_in_bytes) / 1048576 ))MiB seconds=$(echo "$t1 - $t0" | bc) still_running=$(wc -l < $P/cgroup.procs)"
  drain $P $F $M
}

case $1 in
bomb) shift; for N in "$@"; do bomb sh $N 'f(){ f|f& }; f'; done ;;
bashbomb) shift; for N in "$@"; do bomb bash $N ':(){ :|:& };:'; done ;;
peak)
  L=$2; S=$3; shift 3
  P=/sys/fs/cgroup/pids/silo-peak-$$ F=/sys/fs/cgroup/freezer/silo-peak-$$
  mkdir $P $F
  bash -c "echo \$\$ > $P/cgroup.procs; echo \$\$ > $F/cgroup.procs; exec \"\$@\"" _ "$@" >/dev/null 2>&1 &
  sleep $S
  echo "$L: peak_pids=$(cat $P/pids.peak)"
  drain $P $F
  wait 2>/dev/null ;;
*) echo "usage: $0 bomb N... | bashbomb N... | peak LABEL SECONDS CMD..." >&2; exit 2 ;;
esac
