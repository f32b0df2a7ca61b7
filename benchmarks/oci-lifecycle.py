#!/usr/bin/env python3
"""create + start + wait + delete of /bin/true from one bundle, for each runtime given, side by
side in one run (the machine's load moves the numbers: compare within a run only).
This process is a subreaper, as conmon and containerd's shim are, and gives the runtimes files,
never pipes, for stdio (the container inherits them).
usage: oci-lifecycle.py [-n N] RUNTIME...      e.g. .build/release/silo /usr/bin/crun /usr/bin/runc
A runtime without a `delete` verb (silo before the oci-cli branch) gets its state dir removed
instead, which is what its delete does for a stopped container without hooks or cgroups.
"""
import argparse, ctypes, json, os, shutil, statistics, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("-n", type=int, default=30)
ap.add_argument("--rootfs", default="/var/lib/silo/rootfs/busybox")
ap.add_argument("runtimes", nargs="+")
a = ap.parse_args()
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER

base = tempfile.mkdtemp(prefix="silo-bench-oci.")
bundle = os.path.join(base, "bundle")
os.makedirs(bundle)
subprocess.run(["cp", "-a", a.rootfs, os.path.join(bundle, "rootfs")], check=True)
subprocess.run(["runc", "spec"], cwd=bundle, check=True)
cfg = json.load(open(os.path.join(bundle, "config.json")))
cfg["process"]["terminal"] = False
cfg["process"]["args"] = ["/bin/true"]
json.dump(cfg, open(os.path.join(bundle, "config.json"), "w"))
out = open(os.path.join(base, "out"), "w+")

def call(rt, root, *args):
    r = subprocess.run([rt, "--root", root] + list(args), stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    if r.returncode != 0:
        out.seek(0)
        raise SystemExit("%s %s: %s" % (rt, " ".join(args), out.read()))

def has_delete(rt):
    r = subprocess.run([rt, "delete", "--help"], capture_output=True, text=True)
    return r.returncode == 0

results = {}
try:
    for rt in a.runtimes:
        root = os.path.join(base, "root-" + os.path.basename(rt))
        os.makedirs(root)
        deletes = has_delete(rt)
        tot, parts = [], {"create": [], "start": [], "wait": [], "delete": []}
        for i in range(a.n + 3):
            cid, pidf = "b%d" % i, os.path.join(base, "pid")
            t0 = time.perf_counter()
            call(rt, root, "create", "--bundle", bundle, "--pid-file", pidf, cid); t1 = time.perf_counter()
            pid = int(open(pidf).read())
            call(rt, root, "start", cid); t2 = time.perf_counter()
            os.waitpid(pid, 0); t3 = time.perf_counter()
            if deletes:
                call(rt, root, "delete", cid)
            else:
                shutil.rmtree(os.path.join(root, cid))
            t4 = time.perf_counter()
            os.unlink(pidf)
            if i >= 3:
                tot.append(t4 - t0)
                for k, x, y in (("create", t0, t1), ("start", t1, t2), ("wait", t2, t3), ("delete", t3, t4)):
                    parts[k].append(y - x)
        results[rt] = (tot, parts, deletes)
    for rt, (tot, parts, deletes) in results.items():
        ms = lambda xs: "%6.1f" % (statistics.median(xs) * 1000)
        print("%-28s total %s ms (median of %d)  create %s  start %s  wait %s  delete %s%s" % (
            rt, ms(tot), len(tot), ms(parts["create"]), ms(parts["start"]), ms(parts["wait"]), ms(parts["delete"]),
            "" if deletes else "  (no delete verb: state dir removed)"))
finally:
    shutil.rmtree(base, ignore_errors=True)
