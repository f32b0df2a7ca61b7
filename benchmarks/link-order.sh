#!/bin/sh
# Regenerates scripts/silo.order, the link order of the shipped silo (scripts/build-release):
# the functions that one `silo run --rootfs BUSYBOX -- /bin/true` executes, parent and child,
# found by single-stepping it (benchmarks/steptrace.c; a few minutes). As root. Run it again
# when the run path changes much: a function missing from the list still works, it only lies
# outside the packed region and costs its own pages of memory.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=benchmarks/out
mkdir -p "$out"
gcc -O2 -Wall -o "$out/steptrace" benchmarks/steptrace.c
silo=$(scripts/build-release | tail -n 1)
rootfs=$out/rootfs
sh rootfs-scripts/busybox.sh "$rootfs" >/dev/null
# The executable segment's address range.
set -- $(readelf -lW "$silo" | python3 -c '
import sys
for l in sys.stdin:
    f = l.split()
    if f[:1] == ["LOAD"] and "E" in f[6:-1]:
        print("%x %x" % (int(f[2], 16), int(f[2], 16) + int(f[5], 16)))
        break')
"$out/steptrace" "$1" "$2" "$silo" run --rootfs "$rootfs" -- /bin/true >"$out/steps.txt"
nm -n --defined-only "$silo" >"$out/symbols.txt"
python3 - "$out/steps.txt" "$out/symbols.txt" >scripts/silo.order <<'PY'
import bisect, sys
hits = [int(l, 16) for l in open(sys.argv[1])]
syms = []
for line in open(sys.argv[2]):
    f = line.split(None, 2)
    if len(f) == 3 and f[1] in "tTwW":
        syms.append((int(f[0], 16), f[2].strip()))
starts = [a for a, _ in syms]
# A local name defined in several objects (outlined copies, "destroy for Optional") would pull
# every section that defines it into the packed region, large ones included: leave those out.
defined = {}
for _, name in syms:
    defined[name] = defined.get(name, 0) + 1
seen = set()
for h in hits:
    i = bisect.bisect_right(starts, h) - 1
    if i >= 0 and syms[i][1] not in seen and defined[syms[i][1]] == 1:
        seen.add(syms[i][1])
        print(syms[i][1])
PY
echo "scripts/silo.order: $(wc -l <scripts/silo.order) functions"
