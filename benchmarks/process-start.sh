#!/usr/bin/env bash
# What a process start costs before `main`, beside silo's own: an empty C program linked
# statically against glibc, dynamically against glibc, statically against musl (musl-tools,
# if installed), `silo --version` and `crun --version`; then the cost of one `cpuid`, which
# glibc runs some 70 times at start-up (its CPU-feature and cache probes) and which traps to
# the hypervisor in a VM. Median wall time of N spawns each (default 500), from Python's
# subprocess, so every row carries the same spawn overhead.
#
#   benchmarks/process-start.sh [-n N] [SILO]        (SILO default .build/release/silo)
set -euo pipefail
cd "$(dirname "$0")/.."
n=500
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
silo=$(realpath "${1:-.build/release/silo}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo 'int main(void) { return 0; }' >"$work/empty.c"
gcc -O2 -static -o "$work/glibc-static" "$work/empty.c"
gcc -O2 -o "$work/glibc-dynamic" "$work/empty.c"
progs=("$work/glibc-static" "$work/glibc-dynamic")
if command -v musl-gcc >/dev/null; then
    musl-gcc -O2 -static -o "$work/musl-static" "$work/empty.c"
    progs+=("$work/musl-static")
else
    echo "(musl-gcc not installed: apt-get install musl-tools for the musl row)"
fi
[ -x "$silo" ] && progs+=("$silo --version")
command -v crun >/dev/null && progs+=("$(command -v crun) --version")
cat >"$work/cpuid.c" <<'C'
#include <cpuid.h>
#include <stdio.h>
#include <time.h>
int main(void) {
    struct timespec a, b;
    unsigned e1, e2, e3, e4;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 1000; i++) __cpuid_count(4, 0, e1, e2, e3, e4);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("one cpuid (leaf 4, 1000 in a loop): %.2f us\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e6);
    return 0;
}
C
gcc -O2 -o "$work/cpuid" "$work/cpuid.c"
python3 - "$n" "${progs[@]}" <<'PY'
import statistics, subprocess, sys, time
n = int(sys.argv[1])
for prog in sys.argv[2:]:
    argv = prog.split(" ")
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        xs.append(time.perf_counter() - t)
    name = prog.split("/")[-1]
    print("%-28s %.3f ms" % (name, statistics.median(xs) * 1000))
PY
"$work/cpuid"
