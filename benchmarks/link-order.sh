#!/bin/sh
# Regenerates scripts/silo.order, the link order of the shipped silo (scripts/build-release):
# the functions that one `silo run --rootfs BUSYBOX -- /bin/true` executes, parent and child,
# then those the OCI verbs add (create, start, exec, state, delete of a bundle), found by
# single-stepping them (benchmarks/steptrace.c; a few minutes). As root. Run it again
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
# Then the OCI verbs an engine calls (create, start, exec, state, delete of a bundle): their
# functions follow the run's in the order, so each verb maps fewer pages of text too.
bundle=$out/oci-bundle state=$out/oci-state
rm -rf "$bundle" "$state" "$out/oci.pid"
mkdir -p "$bundle"
(cd "$bundle" && "$silo" spec)
python3 - "$bundle/config.json" "$(cd "$rootfs" && pwd)" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sleep", "600"]  # outlives a single-stepped exec (minutes)
c["root"] = {"path": sys.argv[2], "readonly": True}
json.dump(c, open(sys.argv[1], "w"))
PY
"$out/steptrace" "$1" "$2" "$silo" --root "$state" create --bundle "$bundle" --pid-file "$out/oci.pid" lo1 \
    </dev/null >"$out/steps-create.txt" 2>/dev/null &
traced=$!
while [ ! -s "$out/oci.pid" ]; do sleep 1; done
"$out/steptrace" "$1" "$2" "$silo" --root "$state" start lo1 >"$out/steps-start.txt"
wait "$traced"  # the init is let go at its exec (and dies with its tracer: lo1 is stopped now)
# exec and state into a container made untraced, delete of the stopped lo1 (the benchmark's case).
"$silo" --root "$state" create --bundle "$bundle" lo2 </dev/null >/dev/null 2>&1
"$silo" --root "$state" start lo2
"$out/steptrace" "$1" "$2" "$silo" --root "$state" exec lo2 /bin/true >"$out/steps-exec.txt"
"$out/steptrace" "$1" "$2" "$silo" --root "$state" state lo2 >"$out/steps-state.txt"
"$out/steptrace" "$1" "$2" "$silo" --root "$state" delete --force lo1 >"$out/steps-delete.txt"
"$silo" --root "$state" delete --force lo2
# The verbs' own output (state's JSON) shares steptrace's stdout: keep the addresses.
cat "$out/steps-create.txt" "$out/steps-start.txt" "$out/steps-exec.txt" "$out/steps-state.txt" \
    "$out/steps-delete.txt" | grep -xE '[0-9a-f]+' >>"$out/steps.txt"
rm -rf "$bundle" "$state" "$out/oci.pid"
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
