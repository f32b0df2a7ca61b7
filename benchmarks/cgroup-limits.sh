#!/bin/sh
# `silo run` with resource limits side by side with crun and runc running the same limits
# (issue 13): /bin/true in a busybox rootfs, warm (interleaved, back to back) and cold (100 ms
# idle before each start, where a cgroup migration waits for an RCU grace period).
#
#   benchmarks/cgroup-limits.sh [WARM_ROUNDS [COLD_ROUNDS [SILO]]]    (as root; default 100 20)
#
# Limits: memory 64 MiB and 100 tasks (`--memory 64m --pids-limit 100`; OCI linux.resources
# memory.limit and pids.limit in the bundle crun and runc run). Without limits, silo still makes
# its cgroup with the default pids limit; crun and runc still make theirs (cgroupfs driver).
# crun 1.8 refuses this host's hybrid layout while the unified mount holds a controller: as in
# benchmarks/run.sh, it runs in a private mount namespace where /sys/fs/cgroup/unified is detached.
set -eu
cd "$(dirname "$0")/.."
warm=${1:-100} cold=${2:-20}
silo=${3:-$(scripts/build-release | tail -n 1)}
[ "$(id -u)" = 0 ] || { echo "cgroup-limits.sh: needs root" >&2; exit 2; }
for t in crun runc gcc python3; do command -v $t >/dev/null || { echo "cgroup-limits.sh: needs $t" >&2; exit 2; }; done
out=${TMPDIR:-/tmp}/silo-cgroup-limits
mkdir -p "$out"
gcc -O2 -Wall -o "$out/driver" benchmarks/driver.c
rootfs=$out/rootfs
[ -x "$rootfs/bin/true" ] || sh rootfs-scripts/busybox.sh "$rootfs" >/dev/null
python3 benchmarks/report.py bundle "$out/plain" "$rootfs" 800000000 benchmarks/seccomp-profile.txt
python3 benchmarks/report.py bundle "$out/limits" "$rootfs" 800000000 benchmarks/seccomp-profile.txt
python3 - "$out/limits/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 100}}
json.dump(c, open(p, "w"), indent=1)
PY

nsdir=/run/silo-bench-cglimits
. benchmarks/crun-mntns.sh
cleanup() {
    crun_mntns_down "$nsdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
crun_mntns_up "$nsdir"

cmds=$out/commands.tsv
{
    printf 'silo\t-\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$silo" "$rootfs"
    printf 'silo limits\t-\t%s\trun\t--memory\t64m\t--pids-limit\t100\t--rootfs\t%s\t--\t/bin/true\n' "$silo" "$rootfs"
    printf 'crun\tmntns=%s\tcrun\trun\t--bundle\t%s\t{id}\n' "$nsdir/crun.mnt" "$out/plain"
    printf 'crun limits\tmntns=%s\tcrun\trun\t--bundle\t%s\t{id}\n' "$nsdir/crun.mnt" "$out/limits"
    printf 'runc\t-\trunc\trun\t--bundle\t%s\t{id}\n' "$out/plain"
    printf 'runc limits\t-\trunc\trun\t--bundle\t%s\t{id}\n' "$out/limits"
} >"$cmds"
export DRIVER_STDERR="$out/stderr.log"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/driver" rounds --rounds "$warm" --warmup 3 --mode warm "$cmds" >"$out/warm.csv"
"$out/driver" rounds --rounds "$cold" --warmup 1 --idle-ms 100 --mode cold "$cmds" >"$out/cold.csv"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" <<'PY'
import csv, statistics, sys, os
rows = []
for mode in ("warm", "cold"):
    for r in csv.reader(open(os.path.join(sys.argv[1], mode + ".csv"))):
        if len(r) == 7 and r[0] == "start":
            rows.append((r[1], r[2], int(r[4]) / 1e6, int(r[5]), int(r[6])))
labels = []
for r in rows:
    if r[1] not in labels: labels.append(r[1])
print("| runtime | warm median ms | warm p90 | cold median ms | cold p90 | failures |")
print("|---|---:|---:|---:|---:|---:|")
med = {}
for l in labels:
    cells = []
    fails = 0
    for mode in ("warm", "cold"):
        v = sorted(x[2] for x in rows if x[0] == mode and x[1] == l and x[4] == 0)
        fails += sum(1 for x in rows if x[0] == mode and x[1] == l and x[4] != 0)
        m = statistics.median(v) if v else float("nan")
        med[(l, mode)] = m
        cells += ["%.1f" % m, "%.1f" % (v[int(len(v) * 0.9) - 1] if v else float("nan"))]
    print("| %s | %s | %d |" % (l, " | ".join(cells), fails))
for base in ("silo", "crun", "runc"):
    print("%s: limits / none = %.2fx warm, %.2fx cold" % (base, med[(base + " limits", "warm")] / med[(base, "warm")],
                                                          med[(base + " limits", "cold")] / med[(base, "cold")]))
PY
