#!/usr/bin/env bash
# `exec /bin/true` into a running container: silo's own (`silo run -d` + `silo exec`) beside
# `podman exec` with crun, runc and silo as podman's runtime: the median wall time of N execs each
# (default 30), podman's runtimes interleaved so that a busy machine slows them alike. As root, with podman, conmon,
# crun and runc installed (scripts/deps engines) and the busybox rootfs (rootfs-scripts/busybox.sh).
#
#   benchmarks/exec-latency.sh [-n N] [SILO]        (SILO default .build/release/silo)
#
# Runs in a private mount namespace with /sys/fs/cgroup/unified unmounted on a hybrid host (crun
# 1.8 refuses it otherwise), as benchmarks/engines.sh does; podman's state is under a temporary
# directory (scripts/engine-env), silo's under its own --root there.
set -euo pipefail
cd "$(dirname "$0")/.."
n=30
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
silo=$(realpath "${1:-.build/release/silo}")
[ -x "$silo" ] || { echo "exec-latency.sh: $silo: not found (scripts/build-release)" >&2; exit 1; }

. benchmarks/crun-mntns.sh
enter_crun_view SILO_EXEC_INNER "$0" -n "$n" "$silo"

dir=$(mktemp -d /tmp/silo-bench-exec.XXXXXX)
root=$dir/silo-root
cleanup() {
    [ -n "${id:-}" ] && "$silo" --root "$root" rm -f "$id" >/dev/null 2>&1 || true
    scripts/engine-env down "$dir/p" || true
    rm -rf "$dir"
}
trap cleanup EXIT
scripts/engine-env podman "$dir/p" "$silo" direct 2>/dev/null
. "$dir/p/podman.env"

id=$("$silo" --root "$root" run -d --rootfs "${SILO_TEST_ROOTFS:-/var/lib/silo/rootfs/busybox}" -- sleep 100000)
runtimes=(crun runc silo)
for r in "${runtimes[@]}"; do $PODMAN run -d --name "x-$r" --runtime "$r" localhost/busybox sleep 100000 >/dev/null; done

now() { date +%s%N; }
declare -A ms
# silo's own exec in a loop of its own: interleaved with podman's (conmon, its cgroups and
# processes coming and going) it measured 13.5 ms against 3.4-5.1 ms alone on this host; the
# cause is not pinned down (a cgroup.procs write after the others' cgroup churn is the suspect).
for i in $(seq "$n"); do
    t0=$(now); "$silo" --root "$root" exec "$id" /bin/true; t1=$(now)
    ms[silo-exec]+="$(( (t1 - t0) / 1000 )) "
done
for i in $(seq "$n"); do
    for r in "${runtimes[@]}"; do
        t0=$(now); $PODMAN exec "x-$r" /bin/true; t1=$(now)
        ms[podman-$r]+="$(( (t1 - t0) / 1000 )) "
    done
done
for r in "${runtimes[@]}"; do $PODMAN rm -f -t 0 "x-$r" >/dev/null; done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'; }
printf '%-28s %10s\n' "exec /bin/true" "median ms"
printf '%-28s %10s\n' "silo exec (silo run -d)" "$(echo "${ms[silo-exec]}" | median)"
for r in "${runtimes[@]}"; do printf '%-28s %10s\n' "podman exec, runtime $r" "$(echo "${ms[podman-$r]}" | median)"; done
echo "medians of $n execs each, interleaved; $(uname -r); load $(cut -d' ' -f1 /proc/loadavg)"
