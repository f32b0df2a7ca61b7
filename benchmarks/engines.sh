#!/usr/bin/env bash
# `podman run --rm IMG /bin/true` and `ctr run --rm IMG ID /bin/true` with silo, crun and runc
# as the OCI runtime: the median wall time of N runs each (default 20), the runtimes interleaved
# so that a busy machine slows them alike. As root, with podman, conmon, containerd, crun and
# runc installed (scripts/deps engines) and the busybox rootfs (rootfs-scripts/busybox.sh).
#
#   benchmarks/engines.sh [-n N] [SILO]        (SILO default .build/release/silo)
#
# Everything runs in a private mount namespace. On a hybrid cgroup host (v1 controllers and a
# cgroup2 mount at /sys/fs/cgroup/unified) the cgroup2 mount is unmounted there, because crun 1.8
# refuses such a host otherwise; runc and silo run in the same view. The engines' state is under
# a temporary directory (scripts/engine-env); silo runs as itself, with its default --root.
set -euo pipefail
cd "$(dirname "$0")/.."
n=20
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
silo=$(realpath "${1:-.build/release/silo}")
[ -x "$silo" ] || { echo "engines.sh: $silo: not found (scripts/build-release)" >&2; exit 1; }

. benchmarks/crun-mntns.sh
enter_crun_view SILO_ENGINES_INNER "$0" -n "$n" "$silo"

dir=$(mktemp -d /tmp/silo-bench-engines.XXXXXX)
trap 'scripts/engine-env down "$dir/p"; scripts/engine-env down "$dir/c"; rm -rf "$dir"' EXIT
scripts/engine-env podman "$dir/p" "$silo" direct 2>/dev/null
scripts/engine-env containerd "$dir/c" "$silo"
. "$dir/p/podman.env"
. "$dir/c/containerd.env"
runtimes=(silo crun runc)
declare -A path=([silo]=$silo [crun]=$(command -v crun) [runc]=$(command -v runc))

now() { date +%s%N; }
podman_once() { $PODMAN run --rm --runtime "$1" localhost/busybox /bin/true; }
ctr_once() { $CTR run --rm --fifo-dir "$dir/c/containerd/fifo" --runc-binary "${path[$1]}" localhost/busybox:latest "b-$1-$2" /bin/true; }

declare -A podman_ms ctr_ms
for r in "${runtimes[@]}"; do
    podman_once "$r" && ctr_once "$r" warm || { echo "engines.sh: $r does not run under the engines here" >&2; exit 1; }
done
for i in $(seq "$n"); do
    for r in "${runtimes[@]}"; do
        t0=$(now); podman_once "$r"; t1=$(now)
        ctr_once "$r" "$i"; t2=$(now)
        podman_ms[$r]+="$(( (t1 - t0) / 1000 )) "
        ctr_ms[$r]+="$(( (t2 - t1) / 1000 )) "
    done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'; }
printf '%-6s %22s %24s\n' runtime "podman run --rm (ms)" "ctr run --rm (ms)"
for r in "${runtimes[@]}"; do
    printf '%-6s %22s %24s\n' "$r" "$(echo "${podman_ms[$r]}" | median)" "$(echo "${ctr_ms[$r]}" | median)"
done
echo "medians of $n runs each, interleaved; $(uname -r); silo $("$silo" --version | cut -d' ' -f3)"
