#!/bin/bash
# The cost of the detached monitor's log (and of `logs -t`'s times beside it): a `run -d`
# container printing N lines (one write each), timed from `run -d` to `wait`'s return, two silo
# binaries interleaved, plus the size of the log and of its times file.
#   sudo benchmarks/detached-log.sh BASE_SILO NEW_SILO [ROUNDS] [LINES]
set -eu
base=$1 new=$2 rounds=${3:-10} lines=${4:-20000}
rootfs=${SILO_TEST_ROOTFS:-/var/lib/silo/rootfs/busybox}
root=$(mktemp -d /tmp/silo-logbench.XXXXXX)
trap 'rm -rf "$root"' EXIT
declare -A times
for _ in $(seq "$rounds"); do
  for which in base new; do
    silo=${!which}
    t0=$(date +%s%N)
    id=$("$silo" --root "$root" run -d --rootfs "$rootfs" -- sh -c "i=0; while [ \$i -lt $lines ]; do echo line \$i; i=\$((i+1)); done")
    "$silo" --root "$root" wait "$id" >/dev/null
    t1=$(date +%s%N)
    times[$which]+="$(( (t1 - t0) / 1000 )) "
    sizes="log $(stat -c %s "$root/$id/container.log") B, times $(stat -c %s "$root/$id/container.log.times" 2>/dev/null || echo 0) B"
    "$silo" --root "$root" rm "$id" >/dev/null
    [ "$which" = new ] && last_sizes=$sizes
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)/1000 " ms"}'; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: median $(echo "${times[base]}" | median)"
echo "new:  median $(echo "${times[new]}" | median) ($last_sizes)"
