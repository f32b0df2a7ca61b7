#!/usr/bin/env python3
"""The OCI verbs of each runtime given, interleaved round by round (the machine's load moves the
numbers: compare within a run only; the load average is printed before and after).

1. create + start + wait + delete of /bin/true from one bundle.
2. exec of /bin/true into one long-running container per runtime (made from the same bundle with
   `sleep` as its process): `RUNTIME exec ID /bin/true`, or with --process, `RUNTIME exec
   --process FILE ID` (what conmon and containerd's shim do).

crun 1.8 refuses this host's hybrid cgroup layout (a controller on /sys/fs/cgroup/unified), so the
script re-executes itself in a private mount namespace where that mount is detached, and every
runtime runs from there: no nsenter is timed. The runtimes' state roots are on a tmpfs mounted in
that namespace (as /run is on an engine's host; --state-on-disk: on /tmp's file system). This process is a subreaper, as conmon and
containerd's shim are, and gives the runtimes files, never pipes, for stdio (the container
inherits them).

usage: sudo oci-lifecycle.py [-n N] [--execs N] [--process] RUNTIME...
   e.g. sudo benchmarks/oci-lifecycle.py -n 30 /tmp/oci-speed-static/release/silo /usr/bin/crun /usr/bin/runc
A runtime without a `delete` verb (silo before the oci-cli branch) gets its state dir removed
instead, which is what its delete does for a stopped container without hooks or cgroups.
"""
import argparse, ctypes, json, os, shutil, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("-n", type=int, default=30, help="lifecycle rounds (after 3 warm-up rounds)")
ap.add_argument("--execs", type=int, default=None, help="exec rounds (default: -n; 0 skips exec)")
ap.add_argument("--process", action="store_true", help="exec with --process FILE instead of arguments")
ap.add_argument("--rootfs", default="/var/lib/silo/rootfs/busybox")
ap.add_argument("--state-on-disk", action="store_true", help="keep the runtimes' --root dirs on /tmp's file system, not a tmpfs")
ap.add_argument("runtimes", nargs="+")
a = ap.parse_args()
if a.execs is None:
    a.execs = a.n

UNIFIED = "/sys/fs/cgroup/unified"
if not os.environ.get("OCI_BENCH_INNER"):
    env = dict(os.environ, OCI_BENCH_INNER="1")
    detach = "umount -l %s && " % UNIFIED if os.path.ismount(UNIFIED) else ""
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
           detach + 'exec "$@"', "sh", sys.executable] + sys.argv
    os.execvpe("unshare", cmd, env)

ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
names = {}
for rt in a.runtimes:  # two builds of silo side by side get distinct labels
    label = os.path.basename(rt) if rt.startswith("/usr/") else rt
    names[rt] = label


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


base = tempfile.mkdtemp(prefix="silo-bench-oci.")
bundle = os.path.join(base, "bundle")
os.makedirs(bundle)
subprocess.run(["cp", "-a", a.rootfs, os.path.join(bundle, "rootfs")], check=True)
subprocess.run(["runc", "spec"], cwd=bundle, check=True)
with open(os.path.join(bundle, "config.json")) as f:
    cfg = json.load(f)
cfg["process"]["terminal"] = False
cfg["process"]["args"] = ["/bin/true"]
with open(os.path.join(bundle, "config.json"), "w") as f:
    json.dump(cfg, f)
# The exec target: the same bundle with a process that stays (a second config in its own
# directory, the rootfs shared by an absolute root.path).
sleeper = os.path.join(base, "sleeper")
os.makedirs(sleeper)
scfg = json.loads(json.dumps(cfg))
scfg["process"]["args"] = ["/bin/sleep", "100000"]
scfg["root"]["path"] = os.path.join(bundle, "rootfs")
with open(os.path.join(sleeper, "config.json"), "w") as f:
    json.dump(scfg, f)
procfile = os.path.join(base, "process.json")
proc = json.loads(json.dumps(cfg["process"]))
with open(procfile, "w") as f:
    json.dump(proc, f)
out = open(os.path.join(base, "out"), "w+")


def call(rt, root, *args):
    out.seek(0); out.truncate()
    r = subprocess.run([rt, "--root", root] + list(args), stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    if r.returncode != 0:
        out.seek(0)
        raise SystemExit("%s %s: exit %d: %s" % (rt, " ".join(args), r.returncode, out.read()))


def has_delete(rt):
    r = subprocess.run([rt, "delete", "--help"], capture_output=True, text=True)
    return r.returncode == 0


# The state roots on a tmpfs, as engines keep them (/run/containerd/runc, /run/runc, podman's
# /run/...): on this host /run is the root file system (ext4), where a rename over a file costs a
# data flush. The mount is in the private mount namespace and goes with it.
states = os.path.join(base, "state")
os.makedirs(states)
if not a.state_on_disk:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0711", "bench-state", states], check=True)
roots = {rt: os.path.join(states, "root%d" % i) for i, rt in enumerate(a.runtimes)}
deletes = {rt: has_delete(rt) for rt in a.runtimes}
life = {rt: {"total": [], "create": [], "start": [], "wait": [], "delete": []} for rt in a.runtimes}
execs = {rt: [] for rt in a.runtimes}
sleepers = {}
load0 = loadavg()
try:
    for rt in a.runtimes:
        os.makedirs(roots[rt])
    pidf = os.path.join(base, "pid")
    for i in range(a.n + 3):
        for rt in (a.runtimes if i % 2 == 0 else a.runtimes[::-1]):
            root, cid = roots[rt], "b%d" % i
            t0 = time.perf_counter()
            call(rt, root, "create", "--bundle", bundle, "--pid-file", pidf, cid); t1 = time.perf_counter()
            pid = int(open(pidf).read())
            call(rt, root, "start", cid); t2 = time.perf_counter()
            os.waitpid(pid, 0); t3 = time.perf_counter()
            if deletes[rt]:
                call(rt, root, "delete", cid)
            else:
                shutil.rmtree(os.path.join(root, cid))
            t4 = time.perf_counter()
            os.unlink(pidf)
            if i >= 3:
                for k, x, y in (("total", t0, t4), ("create", t0, t1), ("start", t1, t2), ("wait", t2, t3), ("delete", t3, t4)):
                    life[rt][k].append(y - x)
    if a.execs:
        for i, rt in enumerate(a.runtimes):  # distinct ids: two builds of silo name their cgroups alike
            sleepers[rt] = "sleeper%d" % i
            call(rt, roots[rt], "create", "--bundle", sleeper, "--pid-file", pidf, sleepers[rt])
            os.unlink(pidf)
            call(rt, roots[rt], "start", sleepers[rt])
        for i in range(a.execs + 3):
            for rt in (a.runtimes if i % 2 == 0 else a.runtimes[::-1]):
                cid = sleepers[rt]
                args = ["--process", procfile, cid] if a.process else [cid, "/bin/true"]
                t0 = time.perf_counter()
                call(rt, roots[rt], "exec", *args)
                if i >= 3:
                    execs[rt].append(time.perf_counter() - t0)
    load1 = loadavg()
    ms = lambda xs: "%6.1f" % (statistics.median(xs) * 1000)
    crun = next((rt for rt in a.runtimes if os.path.basename(rt) == "crun"), None)
    print("load average before %s, after %s; medians of %d lifecycle and %d exec rounds, interleaved"
          % (" ".join(load0), " ".join(load1), a.n, a.execs))
    for rt in a.runtimes:
        p = life[rt]
        ratio = "  %.2fx crun" % (statistics.median(p["total"]) / statistics.median(life[crun]["total"])) if crun else ""
        print("%-40s lifecycle %s ms (min %.1f)  create %s  start %s  wait %s  delete %s%s%s" % (
            names[rt], ms(p["total"]), min(p["total"]) * 1000, ms(p["create"]), ms(p["start"]), ms(p["wait"]), ms(p["delete"]), ratio,
            "" if deletes[rt] else "  (no delete verb: state dir removed)"))
    if a.execs:
        for rt in a.runtimes:
            ratio = "  %.2fx crun" % (statistics.median(execs[rt]) / statistics.median(execs[crun])) if crun else ""
            p90 = sorted(execs[rt])[int(len(execs[rt]) * 0.9)]
            print("%-40s exec%s %s ms  (min %.1f, p90 %.1f)%s" % (names[rt], " --process" if a.process else "", ms(execs[rt]),
                                                               min(execs[rt]) * 1000, p90 * 1000, ratio))
finally:
    for rt, cid in sleepers.items():
        subprocess.run([rt, "--root", roots[rt], "delete", "--force", cid], capture_output=True)
    if not a.state_on_disk:
        subprocess.run(["umount", "-l", states])
    shutil.rmtree(base, ignore_errors=True)
