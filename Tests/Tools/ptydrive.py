#!/usr/bin/env python3
"""Runs a command on a pty this script owns, as a user at a terminal would, and reports in JSON.

    ptydrive.py '{"argv": [...], "rows": 24, "cols": 80, "steps": [...]}'

The command gets a new session whose controlling terminal is the pty's slave (stdin, stdout and
stderr), as a shell's foreground job does. Steps, in order:
    {"expect": REGEX, "timeout": S}   wait until the output (after the last match) matches
    {"send": TEXT}                    type TEXT (JSON escapes: "\\u0003" is ^C)
    {"resize": [ROWS, COLS]}          TIOCSWINSZ on the master: the kernel sends SIGWINCH
    {"signal": "TERM"}                kill(command, SIGTERM)
    {"modes": NAME}                   record the terminal's modes now
    {"sleep": S}
    {"hangup": true}                  close the master, as a terminal window or ssh session closing:
                                      the kernel hangs the session up (SIGHUP)
The report: output, status (exit status, or -N for signal N), modes (before, the named ones,
after: [iflag, oflag, cflag, lflag]), restored (after == before, polled for 2 s after the exit,
since a guard process may restore them), failed (the first step that failed, or null).
"""
import fcntl, json, os, re, select, signal, struct, subprocess, sys, termios, time

spec = json.loads(sys.argv[1])
master, slave = os.openpty()
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", spec.get("rows", 24), spec.get("cols", 80), 0, 0))


def modes():
    try:
        return termios.tcgetattr(slave)[:4]
    except termios.error:
        return None  # hung up


def take_ctty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


report = {"modes": {"before": modes()}, "failed": None}
proc = subprocess.Popen(spec["argv"], stdin=slave, stdout=slave, stderr=slave,
                        start_new_session=True, preexec_fn=take_ctty, close_fds=True)
out = b""
pos = 0


def pump(timeout):
    global out
    if master < 0:
        time.sleep(timeout)
        return
    r, _, _ = select.select([master], [], [], timeout)
    if r:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass


deadline = time.time() + spec.get("timeout", 30)
for step in spec.get("steps", []):
    if "expect" in step:
        until = time.time() + step.get("timeout", 10)
        rx = re.compile(step["expect"].encode())
        while True:
            m = rx.search(out, pos)
            if m:
                pos = m.end()
                break
            if time.time() > until:
                report["failed"] = step
                break
            pump(0.05)
        if report["failed"]:
            break
    elif "send" in step:
        os.write(master, step["send"].encode())
    elif "resize" in step:
        rows, cols = step["resize"]
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    elif "signal" in step:
        proc.send_signal(getattr(signal, "SIG" + step["signal"]))
    elif "modes" in step:
        report["modes"][step["modes"]] = modes()
    elif "hangup" in step:
        os.close(master)
        master = -1
    elif "sleep" in step:
        end = time.time() + step["sleep"]
        while time.time() < end:
            pump(0.02)

while proc.poll() is None and time.time() < deadline:
    pump(0.05)
if proc.poll() is None:
    report["failed"] = report["failed"] or {"exit": "timeout"}
    proc.kill()
    proc.wait()
for _ in range(5):
    pump(0.02)
end = time.time() + (2 if master >= 0 else 0)
while modes() != report["modes"]["before"] and time.time() < end:
    time.sleep(0.02)
report["modes"]["after"] = modes()
report["restored"] = report["modes"]["after"] == report["modes"]["before"]
report["status"] = proc.returncode
report["output"] = out.decode("utf-8", "replace")
print(json.dumps(report))
