#!/usr/bin/env python3
"""The cost of a detached container (docs/containers.md, "What a detached container costs").

  sudo benchmarks/detached-idle.py [--silo BIN] [--count 100] [--idle 60] [--execs 50] [--tty] [--only-idle]

1. One idle container each way, side by side: silo run -d's monitor, and conmon 2.1.6 keeping a
   runc container (crun 1.8 refuses this host's hybrid cgroups; conmon's cost does not depend on
   the runtime below it). Per monitor: RSS, PSS, private memory (smaps_rollup), and its wake-ups
   (context switches) over --idle seconds.
2. --count idle `silo run -d sleep` containers: the monitors' and the commands' RSS/PSS summed,
   the containers' cgroups' memory use, and MemAvailable before and after.
3. `silo exec ID /bin/true` against `runc exec` into the conmon container and `crun exec` into a
   crun container: median and p90 of --execs runs each, interleaved. crun runs in a private mount
   namespace without /sys/fs/cgroup/unified (as benchmarks/run.sh does), entered with nsenter,
   whose own cost (`nsenter ... /bin/true`) is timed beside it.
Everything is made under /tmp/detached-bench.* and removed at the end.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOTFS = "/var/lib/silo/rootfs/busybox"


def rollup(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if v.strip().endswith("kB"):
                out[k] = int(v.split()[0])
    return out


def switches(pid):
    n = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if "ctxt_switches" in line:
                n += int(line.split()[1])
    return n


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])


def silo(args, root, **kw):
    return subprocess.run([A.silo, "--root", root] + args, capture_output=True, text=True, check=True, **kw).stdout


def conmon_container(tmp):
    bundle = f"{tmp}/bundle"
    os.makedirs(bundle)
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    with open(f"{bundle}/config.json") as f:
        c = json.load(f)
    c["root"] = {"path": ROOTFS, "readonly": True}
    c["process"]["args"] = ["sleep", "100000"]
    c["process"]["terminal"] = False
    with open(f"{bundle}/config.json", "w") as f:
        json.dump(c, f)
    for d in ("exits", "sock", "runc"):
        os.makedirs(f"{tmp}/{d}")
    subprocess.run(["conmon", "--api-version", "1", "-c", "bench", "-u", "bench", "-r", shutil.which("runc"), "-b", bundle,
                    "-p", f"{tmp}/pidfile", "-n", "bench", "--exit-dir", f"{tmp}/exits", "--full-attach",
                    "-l", f"k8s-file:{tmp}/ctr.log", "--log-size-max", str(1 << 20), "--log-level", "error",
                    "--runtime-arg", f"--root={tmp}/runc", "-P", f"{tmp}/conmon.pid", "--socket-dir-path", f"{tmp}/sock"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    for _ in range(500):  # conmon returns before the runtime's create has finished
        if os.path.exists(f"{tmp}/pidfile"):
            break
        time.sleep(0.01)
    subprocess.run(["runc", f"--root={tmp}/runc", "start", "bench"], check=True)
    return int(open(f"{tmp}/conmon.pid").read())


def crun_container(tmp):
    """A crun container from the conmon bundle, in a mount namespace kept at tmp/ns/crun.mnt."""
    ns = f"{tmp}/ns"
    os.makedirs(ns)
    subprocess.run(["mount", "--bind", ns, ns], check=True)
    subprocess.run(["mount", "--make-private", ns], check=True)
    open(f"{ns}/crun.mnt", "w").close()
    subprocess.run(["unshare", f"--mount={ns}/crun.mnt", "--propagation", "private", "umount", "-l", "/sys/fs/cgroup/unified"], check=True)
    enter = ["nsenter", f"--mount={ns}/crun.mnt"]
    subprocess.run(enter + ["crun", f"--root={tmp}/crun", "run", "-d", "--bundle", f"{tmp}/bundle", "crunbench"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
    return enter


def crun_cleanup(tmp):
    ns = f"{tmp}/ns"
    if os.path.exists(f"{ns}/crun.mnt"):
        subprocess.run(["nsenter", f"--mount={ns}/crun.mnt", "crun", f"--root={tmp}/crun", "delete", "-f", "crunbench"], capture_output=True)
        subprocess.run(["umount", f"{ns}/crun.mnt"], capture_output=True)
        subprocess.run(["umount", ns], capture_output=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def main():
    tmp = tempfile.mkdtemp(prefix="detached-bench.", dir="/tmp")
    root = f"{tmp}/silo"
    os.makedirs(root, mode=0o711)
    try:
        conmon = conmon_container(tmp)
        cid = silo(["run", "-d", "--rootfs", ROOTFS, "--", "sleep", "100000"], root).strip()
        monitor = json.loads(silo(["inspect", cid], root))["monitor"]["pid"]
        monitors = [("silo monitor", monitor)]
        if A.tty:
            # run -dit: the monitor holds the pty master and the attach socket, nobody attached.
            tid = silo(["run", "-dit", "--rootfs", ROOTFS, "--", "sh"], root).strip()
            monitors.append(("silo -dit", json.loads(silo(["inspect", tid], root))["monitor"]["pid"]))
        monitors.append(("conmon", conmon))
        time.sleep(2)
        print(f"## one idle container (silo {A.silo}; conmon {subprocess.run(['conmon', '--version'], capture_output=True, text=True).stdout.split()[2]})")
        s0 = {p: switches(p) for _, p in monitors}
        time.sleep(A.idle)
        print(f"{'':14}{'RSS kB':>8}{'PSS kB':>8}{'private kB':>11}{'anon kB':>8}  wake-ups in {A.idle} s")
        for name, p in monitors:
            r = rollup(p)
            priv = r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
            print(f"{name:14}{r['Rss']:>8}{r['Pss']:>8}{priv:>11}{r.get('Anonymous', 0):>8}  {switches(p) - s0[p]}")

        if A.only_idle:
            return
        print(f"\n## `exec /bin/true`, {A.execs} runs each, interleaved (ms)")
        enter = crun_container(tmp)
        times = {"silo exec": [], "runc exec": [], "crun exec": [], "(nsenter)": []}
        for _ in range(A.execs):
            t = time.perf_counter()
            subprocess.run(enter + ["crun", f"--root={tmp}/crun", "exec", "crunbench", "/bin/true"], check=True)
            times["crun exec"].append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter(); subprocess.run(enter + ["/bin/true"], check=True); times["(nsenter)"].append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter(); silo(["exec", cid, "/bin/true"], root); times["silo exec"].append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            subprocess.run(["runc", f"--root={tmp}/runc", "exec", "bench", "/bin/true"], check=True)
            times["runc exec"].append((time.perf_counter() - t) * 1e3)
        for k, v in times.items():
            print(f"{k:10} median {statistics.median(v):6.2f}  p90 {pct(v, 0.9):6.2f}")
        print("(crun exec's times include nsenter's, the last row)")
        silo(["rm", "-f", cid], root)

        print(f"\n## {A.count} idle detached containers (sleep)")
        before = mem_available()
        ids = [silo(["run", "-d", "--rootfs", ROOTFS, "--", "sleep", "100000"], root).strip() for _ in range(A.count)]
        time.sleep(3)
        infos = [json.loads(silo(["inspect", i], root)) for i in ids]
        mons = [rollup(i["monitor"]["pid"]) for i in infos]
        cmds = [rollup(i["pid"]) for i in infos]
        cg = 0
        for i in infos:
            d = i["cgroupPaths"].get("memory")
            if d and os.path.exists(d + "/memory.usage_in_bytes"):
                cg += int(open(d + "/memory.usage_in_bytes").read())
        after = mem_available()
        print(f"monitors: RSS {sum(m['Rss'] for m in mons)} kB, PSS {sum(m['Pss'] for m in mons)} kB "
              f"(each: RSS median {statistics.median(m['Rss'] for m in mons)} kB)")
        print(f"commands: RSS {sum(m['Rss'] for m in cmds)} kB, PSS {sum(m['Pss'] for m in cmds)} kB")
        print(f"containers' cgroups (memory.usage_in_bytes, with kernel memory): {cg // 1024} kB")
        print(f"MemAvailable: {before - after} kB less")
        t = time.perf_counter()
        silo(["rm", "-f"] + ids, root)
        print(f"rm -f of {A.count}: {time.perf_counter() - t:.2f} s")
    finally:
        crun_cleanup(tmp)
        subprocess.run(["runc", f"--root={tmp}/runc", "delete", "-f", "bench"], capture_output=True)
        for i in os.listdir(root) if os.path.isdir(root) else []:
            if not i.startswith("."):
                subprocess.run([A.silo, "--root", root, "rm", "-f", i], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--silo", default=".build/release/silo")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--execs", type=int, default=50)
    ap.add_argument("--tty", action="store_true", help="also a run -dit container's monitor (pty, attach socket)")
    ap.add_argument("--only-idle", action="store_true", help="only part 1")
    A = ap.parse_args()
    main()
