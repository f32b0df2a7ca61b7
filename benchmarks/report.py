#!/usr/bin/python3
"""Helpers for benchmarks/run.sh (Python standard library only):

  report.py bundle DIR ROOTFS HOSTID [SECCOMP_PROFILE]  an OCI bundle (config.json) for crun and runc
  report.py table OUT                                   the results table (markdown) from OUT/*.csv
  report.py plot OUT SVG                                start-up distributions as an SVG strip plot
  report.py breakdown NAME=TRACE [NAME=TRACE...]        stage medians from `driver trace` outputs, side by side
"""
import csv
import glob
import json
import math
import os
import statistics
import sys

DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
# The same lists as Sources/SiloKit/MountPlan.swift.
MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
          "/proc/interrupts", "/sys/firmware", "/sys/devices/virtual/powercap"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def seccomp_json(path):
    """The OCI form of benchmarks/seccomp-profile.txt."""
    allow, rules = [], []
    by_name = {}
    for line in open(path):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if len(f) == 1:
            allow.append(f[0])
        elif f[1] == "errno":
            rules.append({"names": [f[0]], "action": "SCMP_ACT_ERRNO", "errnoRet": int(f[2])})
        else:
            idx = int(f[1][3:])
            op = {"maskedeq": "SCMP_CMP_MASKED_EQ", "eq": "SCMP_CMP_EQ", "ne": "SCMP_CMP_NE"}[f[2]]
            arg = {"index": idx, "value": int(f[3]), "op": op}
            if f[2] == "maskedeq":
                arg["valueTwo"] = int(f[4])
            # Several eq lines for one name mean "any of them": one rule each.
            rules.append({"names": [f[0]], "action": "SCMP_ACT_ALLOW", "args": [arg]})
    rules.insert(0, {"names": allow, "action": "SCMP_ACT_ALLOW"})
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64"], "syscalls": rules}


def bundle(d, rootfs, hostid, profile=None):
    os.makedirs(d, exist_ok=True)
    nosuid = ["nosuid", "noexec", "nodev"]
    config = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/",
            "capabilities": {k: DOCKER_CAPS for k in ("bounding", "effective", "permitted")},
            "noNewPrivileges": True,
        },
        "root": {"path": rootfs, "readonly": True},
        "hostname": "bench",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": nosuid},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": nosuid + ["mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": nosuid},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": nosuid + ["ro"]},
            # The writable layer silo puts over the rootfs; here only /tmp is writable.
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
        ],
        "linux": {
            "uidMappings": [{"containerID": 0, "hostID": hostid, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": hostid, "size": 65536}],
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "user", "mount", "cgroup")],
            "maskedPaths": MASKED,
            "readonlyPaths": READONLY,
        },
    }
    if profile:
        config["linux"]["seccomp"] = seccomp_json(profile)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=1)


def load(out):
    rows = []
    for p in sorted(glob.glob(os.path.join(out, "*.csv"))):
        with open(p) as f:
            for r in csv.DictReader(f, fieldnames=["kind", "mode", "label", "run", "ns", "maxrss", "status"]):
                r["ns"] = int(r["ns"])
                r["maxrss"] = int(r["maxrss"])
                r["status"] = int(r["status"])
                rows.append(r)
    return rows


def ordered_labels(out, rows):
    """The order of OUT/*.tsv (the rounds themselves are shuffled), then any others."""
    labels = []
    for name in ("commands.tsv", "startup.tsv", "netns.tsv"):
        p = os.path.join(out, name)
        if os.path.exists(p):
            labels += [line.split("\t", 1)[0] for line in open(p) if line.strip() and not line.startswith("#")]
    present = {r["label"] for r in rows}
    labels = [l for l in labels if l in present]
    for r in rows:
        if r["label"] not in labels:
            labels.append(r["label"])
    return labels


def ms(ns):
    return ns / 1e6


def fmt(x, digits=2):
    return f"{x:.{digits}f}"


def table(out):
    rows = load(out)
    labels = [l for l in ordered_labels(out, rows) if any(r["label"] == l and r["mode"] == "warm" for r in rows)]
    base = next((l for l in labels if l == "lowerbound"), None)
    crun = next((l for l in labels if l == "crun"), None)
    bursts = sorted({int(r["mode"]) for r in rows if r["kind"] == "burst"})

    def ok_ns(kind, mode, label, per=1):
        return [r["ns"] / per for r in rows
                if r["kind"] == kind and r["mode"] == mode and r["label"] == label and r["status"] == 0]

    def med(values):
        return statistics.median(values) if values else float("nan")

    def loop_per(label):
        return med([r["ns"] / int(r["mode"]) for r in rows if r["kind"] == "loop" and r["label"] == label and r["status"] == 0])

    def ratio(a, b):
        return "" if math.isnan(a) or math.isnan(b) or not b else fmt(a / b) + "x"

    def cell(ns):
        return "" if math.isnan(ns) else fmt(ms(ns)) + " ms"

    head = ["runtime", "median", "min", "max", "÷ lower bound", "÷ crun", "cold median (100 ms idle)",
            "loop: per start", "loop ÷ lower bound"]
    for n in bursts:
        head += [f"{n} at once: per start", f"÷ lower bound ({n})"]
    head += ["peak RSS", "failed runs"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    base_m = med(ok_ns("start", "warm", base)) if base else float("nan")
    crun_m = med(ok_ns("start", "warm", crun)) if crun else float("nan")
    for l in labels:
        mine = [r for r in rows if r["label"] == l and r["kind"] in ("start", "loop", "burst") and r["mode"] not in ("start-up of silo itself",)]
        fails = sum(1 for r in mine if r["status"] != 0)
        warm = ok_ns("start", "warm", l)
        if not warm:
            lines.append(f"| {l} | failed |" + " |" * (len(head) - 3) + f" {fails} |")
            continue
        m = med(warm)
        cells = [l, cell(m), fmt(ms(min(warm))), fmt(ms(max(warm))), ratio(m, base_m), ratio(m, crun_m),
                 cell(med(ok_ns("start", "cold", l))), cell(loop_per(l)), ratio(loop_per(l), loop_per(base) if base else float("nan"))]
        for n in bursts:
            b = med(ok_ns("burst", str(n), l, n))
            cells += [cell(b), ratio(b, med(ok_ns("burst", str(n), base, n)) if base else float("nan"))]
        cells += [fmt(max(r["maxrss"] for r in mine) / 1024, 1) + " MiB", str(fails)]
        lines.append("| " + " | ".join(cells) + " |")
    others = []
    for r in rows:
        if r["kind"] == "start" and r["mode"] not in ("warm", "cold") and r["mode"] not in others:
            others.append(r["mode"])
    for mode in others:
        lines += ["", f"**{mode}**", "", "| command | median | min | max | peak RSS | failed runs |", "|---|---:|---:|---:|---:|---:|"]
        for l in ordered_labels(out, [r for r in rows if r["kind"] == "start" and r["mode"] == mode]):
            s = [r for r in rows if r["kind"] == "start" and r["mode"] == mode and r["label"] == l]
            ok = [r["ns"] for r in s if r["status"] == 0]
            if not ok:
                lines.append(f"| {l} | failed | | | | {len(s)} |")
                continue
            lines.append(f"| {l} | {fmt(ms(statistics.median(ok)), 3)} ms | {fmt(ms(min(ok)), 3)} | {fmt(ms(max(ok)), 3)} "
                         f"| {fmt(max(r['maxrss'] for r in s) / 1024, 1)} MiB | {len(s) - len(ok)} |")
    print("\n".join(lines))


def plot(out, svg):
    """A strip plot per runtime (log time axis): every warm start a dot, the median a bar."""
    rows = [r for r in load(out) if r["kind"] == "start" and r["mode"] in ("warm", "cold") and r["status"] == 0]
    labels = ordered_labels(out, rows)
    modes = [m for m in ("warm", "cold") if any(r["mode"] == m for r in rows)]
    values = [ms(r["ns"]) for r in rows]
    if not values:
        return
    def tick_below(v):
        d = 10 ** math.floor(math.log10(v))
        return max(m * d for m in (1, 2, 5) if m * d <= v)

    def tick_above(v):
        d = 10 ** math.floor(math.log10(v))
        return min(m * d for m in (1, 2, 5, 10) if m * d >= v)

    lo, hi = tick_below(min(values)), tick_above(max(values))
    longest = max(len(f"{l} (cold)") for l in labels)
    W, left, right, row_h, top = 960, 20 + 7 * longest, 30, 30, 40
    H = top + row_h * len(labels) * len(modes) + 50

    def x(v):
        return left + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (W - left - right)

    colors = {"warm": "#1f77b4", "cold": "#d62728"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">Start-up of /bin/true in a busybox rootfs '
             f'(every run a dot, median a bar; log scale)</text>']
    # Grid: 1-2-5 ticks.
    t = 10 ** math.floor(math.log10(lo))
    while t <= hi * 1.0001:
        for m in (1, 2, 5):
            v = t * m
            if lo * 0.999 <= v <= hi * 1.001:
                parts.append(f'<line x1="{x(v):.1f}" y1="{top - 5}" x2="{x(v):.1f}" y2="{H - 40}" stroke="#ddd"/>')
                parts.append(f'<text x="{x(v):.1f}" y="{H - 25}" text-anchor="middle">{v:g}</text>')
        t *= 10
    parts.append(f'<text x="{(left + W - right) / 2}" y="{H - 8}" text-anchor="middle">milliseconds</text>')
    y = top
    for l in labels:
        for mode in modes:
            s = sorted(ms(r["ns"]) for r in rows if r["label"] == l and r["mode"] == mode)
            if not s:
                continue
            cy = y + row_h / 2
            parts.append(f'<text x="{left - 8}" y="{cy + 4:.1f}" text-anchor="end">{l} ({mode})</text>')
            parts.append(f'<g fill="{colors[mode]}" fill-opacity="0.45">')
            for i, v in enumerate(s):
                jitter = ((i * 7919) % 17 - 8) / 8 * (row_h * 0.3)
                parts.append(f'<circle cx="{x(v):.0f}" cy="{cy + jitter:.0f}" r="2"/>')
            parts.append('</g>')
            m = statistics.median(s)
            parts.append(f'<line x1="{x(m):.1f}" y1="{cy - row_h * 0.42:.1f}" x2="{x(m):.1f}" y2="{cy + row_h * 0.42:.1f}" stroke="black" stroke-width="2"/>')
            parts.append(f'<text x="{x(m) + 4:.1f}" y="{cy - row_h * 0.25:.1f}" font-size="10">{m:.2f}</text>')
            y += row_h
    parts.append("</svg>")
    with open(svg, "w") as f:
        f.write("\n".join(parts) + "\n")


PHASES = [
    ("process start (spawn to main)", "(spawn)", "fork + exec + runtime start-up (to main)"),
    ("planning before clone (main to clone)", "fork + exec + runtime start-up (to main)", "socketpair, signals blocked"),
    ("clone to the container's execve", "socketpair, signals blocked", "child: execve"),
    ("execve, /bin/true, its exit and reaping", "child: execve", "container exited"),
    ("runtime exit", "container exited", "process exits, driver's wait4 returns"),
]


def stages_of(path):
    """Per-stage medians (ns) of the runs in one `driver trace` output, in order of first
    appearance. A stage is the time from the previous mark to the mark that names it;
    consecutive marks with one name add up."""
    runs, cur = [], None
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "run":
            cur = []
            runs.append(cur)
        elif f[0] == "spawn":
            cur.append((int(f[1]), "(spawn)"))
        elif f[0] == "exit":
            cur.append((int(f[1]), "process exits, driver's wait4 returns"))
        elif f[0] == "silo-trace":
            label = " ".join(f[3:])
            if label == "main":
                label = "fork + exec + runtime start-up (to main)"
            elif label == "run":
                label = "parse `run` arguments"
            cur.append((int(f[1]), label))
    stages, order, totals = {}, [], []
    phases = {name: [] for name, _, _ in PHASES}
    for run in runs:
        run.sort(key=lambda m: m[0])  # parent and child write concurrently
        at = {}
        for t, label in run:
            at.setdefault(label, t)
        for name, a, b in PHASES:
            if a in at and b in at:
                phases[name].append(at[b] - at[a])
        per = {}
        for (t0, _), (t1, label) in zip(run, run[1:]):
            if label not in per:
                per[label] = 0
                if label not in order:
                    order.append(label)
            per[label] += t1 - t0
        for k, v in per.items():
            stages.setdefault(k, []).append(v)
        totals.append(run[-1][0] - run[0][0])
    return ({k: statistics.median(stages[k]) for k in order}, statistics.median(totals), len(runs),
            {k: statistics.median(v) for k, v in phases.items() if v})


def breakdown(paths, names):
    """Stage medians of silo (first file) and, side by side, of the others (the lower bound)."""
    results = [stages_of(p) for p in paths]
    order = list(results[0][0])
    for r in results[1:]:
        for k in r[0]:
            if k not in order:
                order.append(k)
    print(f"Stage medians in µs over {results[0][2]} traced runs each (SILO_TRACE=1, driver trace).")
    print()
    head = "| stage | " + " | ".join(names) + " |"
    if len(results) > 1:
        head += f" {names[0]} − {names[1]} |"
    print(head)
    print("|---|" + "---:|" * (len(results) + (1 if len(results) > 1 else 0)))
    for k in order:
        vals = [r[0].get(k) for r in results]
        cells = ["" if v is None else f"{v / 1e3:.0f}" for v in vals]
        line = f"| {k} | " + " | ".join(cells) + " |"
        if len(results) > 1:
            d = (vals[0] or 0) - (vals[1] or 0)
            line += f" {d / 1e3:+.0f} |"
        print(line)
    print()
    print("| phase | " + " | ".join(names) + " |" + (f" {names[0]} − {names[1]} |" if len(results) > 1 else ""))
    print("|---|" + "---:|" * (len(results) + (1 if len(results) > 1 else 0)))
    for name, _, _ in PHASES:
        vals = [r[3].get(name) for r in results]
        line = f"| {name} | " + " | ".join("" if v is None else f"{v / 1e3:.0f}" for v in vals) + " |"
        if len(results) > 1 and None not in vals[:2]:
            line += f" {(vals[0] - vals[1]) / 1e3:+.0f} |"
        print(line)
    tot = [r[1] for r in results]
    line = "| **total (median of run totals)** | " + " | ".join(f"**{t / 1e3:.0f}**" for t in tot) + " |"
    if len(results) > 1:
        line += f" **{(tot[0] - tot[1]) / 1e3:+.0f}** |"
    print(line)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "bundle":
        bundle(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)
    elif cmd == "table":
        table(sys.argv[2])
    elif cmd == "plot":
        plot(sys.argv[2], sys.argv[3])
    elif cmd == "breakdown":
        # breakdown NAME=TRACEFILE [NAME=TRACEFILE...]
        pairs = [a.split("=", 1) for a in sys.argv[2:]]
        breakdown([p for _, p in pairs], [n for n, _ in pairs])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
