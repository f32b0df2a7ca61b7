#!/bin/sh
# silo's benchmark, one command (as root, on Debian 12):
#   benchmarks/run.sh            the full run (~3 minutes): builds, then times silo, the C lower
#                                bound, bubblewrap, crun, runc and unshare side by side
#   benchmarks/run.sh --quick    CI's check that everything builds and runs (well under a minute
#                                with packages installed); asserts no time, only that nothing fails
# Options: --out DIR (default benchmarks/out), --silo PATH (use this silo, skip its build),
#          --plot FILE (also write the start-up plot there, e.g. docs/performance-startup.svg)
# Method and results: docs/performance.md.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=0
out=benchmarks/out
silo=""
plot=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --silo) silo=$2; shift ;;
        --plot) plot=$2; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (silo, crun and runc run rootful here)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
say() { printf '\n== %s\n' "$*"; }

# Sizes of each measurement: full, then quick.
if [ $quick = 1 ]; then
    rounds=3 cold_rounds=1 loop_count=5 loop_reps=1 burst_small=3 burst_large=5 burst_reps=1 trace_runs=3 netns_rounds=2
else
    rounds=300 cold_rounds=40 loop_count=100 loop_reps=5 burst_small=10 burst_large=50 burst_reps=5 trace_runs=300 netns_rounds=100
fi

say "packages"
pkgs="bubblewrap crun runc util-linux strace busybox-static iproute2 gcc libc6-dev libseccomp-dev libcap-dev python3"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; }
else
    echo "all present: $pkgs"
fi
py=/usr/bin/python3

say "build"
if [ -z "$silo" ]; then
    if silo=$(scripts/build-release 2>"$out/build.log" | tail -n 1) && [ -x "$silo" ]; then
        echo "silo: static executable, as shipped by scripts/build-release ($silo)"
    else
        tail -5 "$out/build.log"
        echo "silo: the static-executable link failed (above); trying --static-swift-stdlib"
        swift build -c release --static-swift-stdlib --scratch-path .build-bench-static-stdlib >"$out/build.log" 2>&1
        silo=$(swift build -c release --static-swift-stdlib --scratch-path .build-bench-static-stdlib --show-bin-path)/silo
    fi
fi
if ldd "$silo" >/dev/null 2>&1; then echo "silo is dynamically linked: $(ldd "$silo" | wc -l) libraries"; else echo "silo is statically linked"; fi
# How current scripts/silo.order is: listed functions the binary no longer has are ignored by the
# linker; many of them mean the run path changed and benchmarks/link-order.sh should run again.
if [ -s scripts/silo.order ]; then
    sort -u scripts/silo.order >"$out/order.sorted"
    present=$(nm --defined-only "$silo" 2>/dev/null | awk '{print $3}' | sort -u | comm -12 - "$out/order.sorted" | wc -l)
    echo "link order: $present of $(wc -l <scripts/silo.order) functions of scripts/silo.order are in this binary"
fi
gcc -O2 -Wall -static -o "$out/lowerbound" benchmarks/lowerbound.c
gcc -O2 -Wall -o "$out/driver" benchmarks/driver.c
gcc -O2 -Wall -o "$out/seccomp-gen" benchmarks/seccomp-gen.c -lseccomp
driver=$out/driver
lowerbound=$out/lowerbound

say "rootfs and bundles"
rootfs=$out/rootfs
sh rootfs-scripts/busybox.sh "$rootfs" >/dev/null
echo "busybox rootfs: $rootfs (one copy for every runtime; its parents are searchable by the mapped ids)"
# The filter: silo's own when it can export it, else the Docker-like profile compiled here.
filter=$out/filter.bpf
if "$silo" debug seccomp-bpf >"$filter" 2>/dev/null && [ -s "$filter" ] && [ $(( $(stat -c %s "$filter") % 8 )) = 0 ]; then
    filter_src="silo's own filter (silo debug seccomp-bpf)"
else
    "$out/seccomp-gen" <benchmarks/seccomp-profile.txt >"$filter" 2>"$out/seccomp-gen.log"
    filter_src="benchmarks/seccomp-profile.txt ($(cat "$out/seccomp-gen.log" | sed 's/seccomp-gen: //'))"
fi
echo "seccomp filter: $(( $(stat -c %s "$filter") / 8 )) BPF instructions, from $filter_src"
$py benchmarks/report.py bundle "$out/bundle" "$rootfs" 800000000 benchmarks/seccomp-profile.txt

# What silo's defaults do today decides what the lower bound does: the same kernel work.
status=$("$silo" run --rootfs "$rootfs" -- /bin/cat /proc/self/status)
lb_flags=""
silo_has="namespaces, idmapped overlay, /proc /sys /dev, masked paths, lo up, no_new_privs"
if echo "$status" | grep -q '^Seccomp:[[:space:]]*2'; then
    lb_flags="$lb_flags --seccomp-bpf $filter"; silo_has="$silo_has, seccomp"
fi
if echo "$status" | grep -q '^CapBnd:[[:space:]]*00000000a80425fb'; then
    silo_has="$silo_has, Docker's 14 capabilities"
else
    lb_flags="$lb_flags --no-caps"
fi
echo "silo's defaults here: $silo_has"
echo "lowerbound flags:$lb_flags"

say "crun's mount namespace"
# crun 1.8 refuses a hybrid cgroup layout with a controller on the unified hierarchy. It runs
# in a private mount namespace kept at /run/silo-bench/crun.mnt, where
# /sys/fs/cgroup/unified is detached; the driver setns()es into it before exec'ing crun.
nsdir=/run/silo-bench
. "$root/benchmarks/crun-mntns.sh"
cleanup() {
    crun_mntns_down "$nsdir"
    for n in $(ip netns list 2>/dev/null | awk '/^bench-/ {print $1}'); do ip netns delete "$n" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
crun_mntns_up "$nsdir"
echo "crun runs in a private mount namespace without /sys/fs/cgroup/unified ($nsdir/crun.mnt)"

caps=""
for c in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
    caps="$caps	--cap-add	CAP_$c"
done
tab=$(printf '\t')
cmds=$out/commands.tsv
{
    printf 'silo\t-\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$silo" "$rootfs"
    printf 'lowerbound\t-\t%s%s\t--rootfs\t%s\t--\t/bin/true\n' "$lowerbound" "$(echo "$lb_flags" | tr ' ' '\t')" "$rootfs"
    if [ "$lb_flags" != " --seccomp-bpf $filter" ]; then
        printf 'lowerbound+caps+seccomp\t-\t%s\t--seccomp-bpf\t%s\t--rootfs\t%s\t--\t/bin/true\n' "$lowerbound" "$filter" "$rootfs"
    fi
    printf 'lowerbound --minimal\t-\t%s\t--minimal\t--rootfs\t%s\t--\t/bin/true\n' "$lowerbound" "$rootfs"
    printf 'bwrap\tfd=3:%s\tbwrap\t--unshare-all\t--unshare-user\t--uid\t0\t--gid\t0\t--hostname\tbench\t--ro-bind\t%s\t/\t--proc\t/proc\t--dev\t/dev\t--tmpfs\t/tmp\t--ro-bind\t/sys\t/sys\t--mqueue\t/dev/mqueue\t--cap-drop\tALL%s\t--seccomp\t3\t/bin/true\n' "$filter" "$rootfs" "$caps"
    printf 'crun\tmntns=%s\tcrun\trun\t--bundle\t%s\t{id}\n' "$nsdir/crun.mnt" "$out/bundle"
    printf 'runc\t-\trunc\trun\t--bundle\t%s\t{id}\n' "$out/bundle"
    printf 'unshare\t-\tunshare\t--user\t--map-root-user\t--mount\t--pid\t--fork\t--net\t--uts\t--ipc\t--cgroup\t--root=%s\t--mount-proc\t/bin/true\n' "$rootfs"
    printf '/bin/true (no container)\t-\t/bin/true\n'
} >"$cmds"
sed "s/$tab/ /g" "$cmds" | sed 's/^/  /'

rm -f "$out"/*.csv "$out/stderr.log"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
export DRIVER_STDERR="$out/stderr.log"
fail=0
run_driver() {  # run_driver CSV ARGS...: a driver run whose failures are reported, not fatal at once
    csv=$1; shift
    "$driver" "$@" >"$out/$csv" || { fail=1; echo "FAILED: driver $*" >&2; }
}

say "warm starts: $rounds interleaved rounds"
run_driver warm.csv rounds --rounds $rounds --warmup 5 --mode warm "$cmds"
say "cold starts: $cold_rounds interleaved rounds, 100 ms idle before each start"
run_driver cold.csv rounds --rounds $cold_rounds --warmup 0 --idle-ms 100 --mode cold "$cmds"
say "$loop_count starts back to back, $loop_reps times"
run_driver loop.csv loop --count $loop_count --reps $loop_reps "$cmds"
say "$burst_small and $burst_large starts at once, $burst_reps times each"
run_driver burst-small.csv burst --count $burst_small --reps $burst_reps "$cmds"
run_driver burst-large.csv burst --count $burst_large --reps $burst_reps "$cmds"

say "silo's own start-up"
su=$out/startup.tsv
{
    printf 'silo --version (static)\t-\t%s\t--version\n' "$silo"
    printf '/bin/true\t-\t/bin/true\n'
} >"$su"
if [ $quick = 0 ]; then
    # The same silo dynamically linked, with only the Swift stdlib static, and as a static
    # executable without scripts/build-release's metadata flag and link order, for comparison.
    for name in dynamic static-stdlib static-unordered; do
        case $name in
            dynamic) flag="" ;;
            static-stdlib) flag=--static-swift-stdlib ;;
            static-unordered) flag="-Xswiftc -static-executable" ;;
        esac
        # shellcheck disable=SC2086
        if swift build -c release $flag --scratch-path ".build-bench-$name" >"$out/build-$name.log" 2>&1; then
            bin=$(swift build -c release $flag --scratch-path ".build-bench-$name" --show-bin-path)/silo
            printf 'silo --version (%s)\t-\t%s\t--version\n' "$name" "$bin" >>"$su"
            printf 'silo run (%s)\t-\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$name" "$bin" "$rootfs" >>"$su"
        else
            echo "the $name build failed: $out/build-$name.log"
        fi
    done
    printf 'silo run (static)\t-\t%s\trun\t--rootfs\t%s\t--\t/bin/true\n' "$silo" "$rootfs" >>"$su"
fi
run_driver startup.csv rounds --rounds $rounds --warmup 5 --mode "start-up of silo itself" "$su"

say "netns add + delete"
if "$silo" netns add bench-probe >/dev/null 2>&1; then
    "$silo" netns delete bench-probe >/dev/null 2>&1 || ip netns delete bench-probe 2>/dev/null || true
    nc=$out/netns.tsv
    {
        printf 'silo netns add + delete\t-\t/bin/sh\t-c\t"$0" netns add "$1" && "$0" netns delete "$1"\t%s\t{id}\n' "$silo"
        printf 'ip netns add + delete\t-\t/bin/sh\t-c\tip netns add "$0" && ip netns delete "$0"\t{id}\n'
        printf 'sh -c true (shell overhead)\t-\t/bin/sh\t-c\ttrue\n'
    } >"$nc"
    if "$silo" netns link --help >/dev/null 2>&1; then
        {
            printf 'silo netns link (2 netns + veth)\t-\t/bin/sh\t-c\tS=$0; a=$1-a; b=$1-b; $S netns add $a && $S netns add $b && $S netns link $a $b && $S netns delete $a && $S netns delete $b\t%s\t{id}\n' "$silo"
            printf 'ip link add veth (2 netns + veth)\t-\t/bin/sh\t-c\ta=$0-a; b=$0-b; ip netns add $a && ip netns add $b && ip link add v$$ netns $a type veth peer name v$$ netns $b && ip netns delete $a && ip netns delete $b\t{id}\n'
        } >>"$nc"
    fi
    run_driver netns.csv rounds --rounds $netns_rounds --warmup 2 --mode "named network namespaces" "$nc"
else
    msg=$("$silo" netns add bench-probe 2>&1 || true)
    echo "skipped: silo netns is not available yet ($msg)"
fi

say "where silo's time goes"
: >"$out/trace-silo.txt"
: >"$out/trace-lowerbound.txt"
i=0
while [ $i -lt $trace_runs ]; do  # interleaved, one run each
    "$driver" trace --runs 1 -- "$silo" run --rootfs "$rootfs" -- /bin/true >>"$out/trace-silo.txt" || fail=1
    # shellcheck disable=SC2086
    "$driver" trace --runs 1 -- "$lowerbound" $lb_flags --rootfs "$rootfs" -- /bin/true >>"$out/trace-lowerbound.txt" || fail=1
    i=$((i + 1))
done
$py benchmarks/report.py breakdown silo="$out/trace-silo.txt" lowerbound="$out/trace-lowerbound.txt" | tee "$out/breakdown.md"
for who in silo lowerbound; do
    if [ $who = silo ]; then set -- "$silo" run --rootfs "$rootfs" -- /bin/true; else set -- "$lowerbound" $lb_flags --rootfs "$rootfs" -- /bin/true; fi
    strace -f -c -o "$out/strace-$who.txt" "$@" || fail=1
    echo "$who: $(awk '$NF == "total" {print $4 " syscalls, " (NF == 6 ? $5 : 0) " failed"}' "$out/strace-$who.txt") (strace -f -c, the exec'd /bin/true included)"
done

say "results ($out)"
$py benchmarks/report.py table "$out" | tee "$out/table.md"
$py benchmarks/report.py plot "$out" "$out/startup.svg"
[ -n "$plot" ] && cp "$out/startup.svg" "$plot"
echo "plot: $out/startup.svg"
echo "load average at the start of the timings: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "crun ran in a private mount namespace where /sys/fs/cgroup/unified is detached (hybrid cgroups)."
if [ -s "$out/stderr.log" ]; then
    echo "runtime messages (first lines of $out/stderr.log):"
    head -5 "$out/stderr.log" | sed 's/^/  /'
fi
if [ $fail = 1 ]; then
    echo "run.sh: some runs failed (see above and $out/stderr.log)" >&2
    exit 1
fi
echo "run.sh: every run succeeded"
