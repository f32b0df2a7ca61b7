#!/bin/sh
# Rootless start-up (issue 14, docs/rootless.md): `/bin/true` in a busybox rootfs, started by an
# unprivileged user with silo (without and with an /etc/subuid range), bubblewrap and crun,
# beside silo as root, in interleaved rounds of benchmarks/driver.c.
#   benchmarks/rootless.sh [--rounds N] [--silo PATH] [--baseline PATH] [--out DIR]   (samples: DIR/rootless.csv, default benchmarks/out)
# --baseline adds silo lines (root and rootless) for another build, e.g. the one before a change.
# The driver runs without a controlling terminal (setsid), as under CI: with one, silo gives the
# container a session of its own (setsid), which costs a reschedule on a busy machine
# (docs/rootless.md, "Benchmarks"), so a run from a terminal and one from CI would differ.
# As root: it makes two users (removed at the end, with their files); benchmarks/driver.c
# switches to them itself (user=UID:GID), so no start pays for a setpriv or su.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=200 silo="" baseline="" out=benchmarks/out
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift ;;
        --silo) silo=$2; shift ;;
        --baseline) baseline=$2; shift ;;
        --out) out=$2; shift ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "rootless.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "rootless.sh: needs root (it makes the users)" >&2; exit 2; }
for t in bwrap crun newuidmap gcc useradd setsid; do
    command -v $t >/dev/null || { echo "rootless.sh: $t is missing" >&2; exit 2; }
done
[ -n "$silo" ] || silo=$(scripts/build-release 2>/dev/null | tail -n 1)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=""
single=silo-rb-single ranged=silo-rb-range nsdir=/run/silo-rootless-bench
. "$root/benchmarks/crun-mntns.sh"
cleanup() {
    for u in $single $ranged; do
        id $u >/dev/null 2>&1 && { usermod --del-subuids 1-4294967294 --del-subgids 1-4294967294 $u 2>/dev/null || true; userdel $u || true; }
    done
    [ -z "$work" ] || rm -rf "$work"
    crun_mntns_down "$nsdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup  # what a killed run left
# The users' files live in a directory of their own that everyone can search.
work=$(mktemp -d /tmp/silo-rootless-bench.XXXXXX)
chmod 0755 "$work"
useradd -r -M -s /usr/sbin/nologin $single       # a system account: no subordinate range
useradd -M -s /usr/sbin/nologin $ranged
grep -q "^$ranged:" /etc/subuid || { echo "rootless.sh: useradd gave $ranged no /etc/subuid range" >&2; exit 1; }
cp "$silo" "$work/silo" && chmod 0755 "$work/silo"
silo=$work/silo
if [ -n "$baseline" ]; then cp "$baseline" "$work/silo-baseline" && chmod 0755 "$work/silo-baseline"; baseline=$work/silo-baseline; fi

gcc -O2 -Wall -o "$work/driver" benchmarks/driver.c
sh rootfs-scripts/busybox.sh "$work/rootfs-root" >/dev/null
for u in $single $ranged; do cp -a "$work/rootfs-root" "$work/rootfs-$u" && chown -R $u: "$work/rootfs-$u"; done
# bwrap's filter: the Docker-like profile compiled as benchmarks/run.sh does when silo cannot export its own.
gcc -O2 -Wall -o "$work/seccomp-gen" benchmarks/seccomp-gen.c -lseccomp
"$work/seccomp-gen" <benchmarks/seccomp-profile.txt >"$work/filter.bpf" 2>/dev/null
chmod 0644 "$work/filter.bpf"

# crun's rootless bundle for the single user: root mapped to it alone, as `crun spec --rootless`.
uid=$(id -u $single) gid=$(id -g $single)
mkdir "$work/bundle" "$work/crun-state"
(cd "$work/bundle" && crun spec --rootless)
/usr/bin/python3 - "$work/bundle/config.json" "$work/rootfs-$single" "$uid" "$gid" <<'EOF'
import json, sys
path, rootfs, uid, gid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1}]
json.dump(c, open(path, "w"), indent=1)
EOF
chown -R $single: "$work/bundle" "$work/crun-state"
# crun 1.8 refuses this hybrid cgroup layout: it runs in a mount namespace without
# /sys/fs/cgroup/unified, as in benchmarks/run.sh (the driver enters it as root, then switches user).
crun_mntns_up "$nsdir"

# The driver switches to the user itself (user=UID:GID), so no line pays for a setpriv.
as() { printf 'user=%s:%s' "$(id -u "$1")" "$(id -g "$1")"; }
caps=""
for c in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
    caps="$caps	--cap-add	CAP_$c"
done
cmds=$work/commands.tsv
{
    printf 'silo (root)\t-\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$silo" "$work/rootfs-root"
    printf 'silo rootless\t%s\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$(as $single)" "$silo" "$work/rootfs-$single"
    printf 'silo rootless + subuid range\t%s\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$(as $ranged)" "$silo" "$work/rootfs-$ranged"
    if [ -n "$baseline" ]; then
        printf 'baseline silo (root)\t-\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$baseline" "$work/rootfs-root"
        printf 'baseline silo rootless\t%s\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$(as $single)" "$baseline" "$work/rootfs-$single"
    fi
    printf 'bwrap rootless\tfd=3:%s,%s\tbwrap\t--unshare-all\t--unshare-user\t--uid\t0\t--gid\t0\t--hostname\tbench\t--ro-bind\t%s\t/\t--proc\t/proc\t--dev\t/dev\t--tmpfs\t/tmp\t--ro-bind\t/sys\t/sys\t--mqueue\t/dev/mqueue\t--cap-drop\tALL%s\t--seccomp\t3\t/bin/true\n' \
        "$work/filter.bpf" "$(as $single)" "$work/rootfs-$single" "$caps"
    printf 'crun rootless\tmntns=%s,%s\tcrun\t--root\t%s\trun\t--bundle\t%s\t{id}\n' "$nsdir/crun.mnt" "$(as $single)" "$work/crun-state" "$work/bundle"
    printf 'silo --version rootless\t%s\t%s\t--version\n' "$(as $single)" "$silo"
    printf '/bin/true (no container)\t%s\t/bin/true\n' "$(as $single)"
} >"$cmds"
export DRIVER_STDERR="$work/stderr.log"
# Every command a few times first, so that a failure shows instead of a time.
cut -f1 "$cmds" | sed 's/^/  /'
(cd /tmp && setsid -w "$work/driver" rounds --rounds 3 --warmup 1 --mode check "$cmds" >"$work/check.csv")
if awk -F, '$NF!=0 {bad=1} END {exit !bad}' "$work/check.csv"; then
    echo "rootless.sh: a command failed:" >&2; cat "$work/check.csv" >&2; tail -n 20 "$work/stderr.log" >&2; exit 1
fi
echo "== $rounds interleaved rounds, warm (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
(cd /tmp && setsid -w "$work/driver" rounds --rounds "$rounds" --warmup 5 --mode warm "$cmds" >"$out/rootless.csv")
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out/rootless.csv" <<'EOF'
import csv, statistics, sys
fields = ["kind", "mode", "label", "run", "ns", "maxrss_kb", "status"]
rows = [r for r in csv.DictReader(open(sys.argv[1]), fieldnames=fields) if r["kind"] == "start"]
by = {}
for r in rows:
    by.setdefault(r["label"], []).append(r)
root = statistics.median(int(r["ns"]) for r in by["silo (root)"])
bwrap = statistics.median(int(r["ns"]) for r in by["bwrap rootless"])
print(f"{'command':34} {'median':>9} {'p90':>9} {'vs silo as root':>15} {'vs bwrap':>9} {'peak RSS':>9} failures")
for label, rs in by.items():
    ns = sorted(int(r["ns"]) for r in rs)
    med, p90 = statistics.median(ns), ns[int(len(ns) * 0.9)]
    rss = statistics.median(int(r["maxrss_kb"]) for r in rs)
    bad = sum(1 for r in rs if r["status"] != "0")
    print(f"{label:34} {med/1e6:7.2f}ms {p90/1e6:7.2f}ms {med/root:14.2f}x {med/bwrap:8.2f}x {rss/1024:7.1f}MiB {bad}")
EOF
echo "samples: $out/rootless.csv"
