import Foundation
import SiloSys
import Testing

/// `silo run -t/-i` and `silo exec -t/-i` (docs/terminals.md), driven through a pty this test
/// owns (Tests/Tools/ptydrive.py: silo runs as the foreground job of a session whose terminal
/// is that pty's slave, as under a shell). Checks from inside the container what the kernel
/// gave it, from the test's side what the caller's terminal went through, and the host after.
@Suite(.serialized, .enabled(if: Host.canRunContainers && PtyDriver.available, "needs real root, the test rootfs and python3"))
struct TerminalTests {
    /// `silo run` with a marker hostname, so that `leftovers` finds every silo process it started
    /// (silo itself, its terminal guard) by its command line.
    let marker = "tt\(UInt32.random(in: 0...UInt32.max))"
    func run(_ options: [String], _ command: [String]) -> [String] {
        [Silo.binary, "run", "--rootfs", Silo.rootfs, "--hostname", marker] + options + ["--"] + command
    }

    /// Processes of this test still alive a second after silo's exit (`[t]t...`: the pattern
    /// does not match the shell that runs pgrep).
    func leftovers() throws -> String {
        let pattern = "--hostname [t]" + marker.dropFirst()
        for _ in 0..<100 {
            let r = try Silo.host("pgrep -af -- '\(pattern)' || true")
            if r.stdout.isEmpty { return "" }
            usleep(10_000)
        }
        return try Silo.host("pgrep -af -- '\(pattern)' || true").stdout
    }

    static let icanon = 0o2, echo = 0o10

    @Test func ttyIsAPtyOfTheContainersOwnDevpts() throws {
        let before = Host.Snapshot.take()
        let r = try PtyDriver.drive(run(["-it"], ["sh", "-c", "tty; stat -c %d $(tty); for f in 0 1 2; do readlink /proc/self/fd/$f; done; echo end"]),
                              steps: [["expect": "end"]])
        #expect(r.failed == nil && r.status == 0, "\(r)")
        let l = r.lines
        #expect(l.count > 5 && l[0].hasPrefix("/dev/pts/"), "\(r.output)")
        #expect(l.count > 5 && l[2] == l[0] && l[3] == l[0] && l[4] == l[0], "stdin, stdout and stderr are the pty: \(l)")
        let hostDevpts = try Silo.host("stat -c %d /dev/pts/ptmx").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(l.count > 1 && !l[1].isEmpty && l[1] != hostDevpts, "the container's devpts (\(l)) is not the host's (\(hostDevpts))")
        #expect(try leftovers().isEmpty)
        #expect(Host.Snapshot.take() == before)
    }

    @Test func windowSizeAtStartAndAfterAResize() throws {
        let r = try PtyDriver.drive(run(["-it"], ["sh", "-c", "stty size; read x; stty size"]), rows: 24, cols: 80, steps: [
            ["expect": "24 80\r\n"], ["resize": [40, 100]], ["sleep": 0.3], ["send": "\r"], ["expect": "40 100\r\n"],
        ])
        #expect(r.failed == nil && r.status == 0, "\(r)")
    }

    /// ^C is a byte in raw mode: the container's pty turns it into SIGINT for its foreground
    /// job, the sleep (a signal forwarded by silo would reach the shell only). With --init the
    /// command's group is the foreground one, so the reaper does not get it and pass it on twice.
    @Test(arguments: [[], ["--init"]])
    func ctrlCReachesTheForegroundJob(_ options: [String]) throws {
        let r = try PtyDriver.drive(run(["-it"] + options, ["sh", "-c", "trap 'echo trapped' INT; echo ready; sleep 100; echo after"]), steps: [
            ["expect": "ready"], ["sleep": 0.3], ["send": "\u{3}"], ["expect": "trapped\r\nafter", "timeout": 5],
        ])
        #expect(r.failed == nil && r.status == 0, "\(r)")
        #expect(r.output.components(separatedBy: "trapped").count == 2, "one SIGINT: \(r.output)")
    }

    @Test func rawDuringTheSessionAndRestoredAfterIt() throws {
        let r = try PtyDriver.drive(run(["-it"], ["sh", "-c", "echo ready; read x"]), steps: [
            ["expect": "ready"], ["modes": "during"], ["send": "\r"],
        ])
        #expect(r.failed == nil && r.status == 0, "\(r)")
        let lflag = r.modes["during"]?[3] ?? -1, cooked = r.modes["before"]?[3] ?? -1
        #expect(lflag >= 0 && lflag & (Self.icanon | Self.echo) == 0, "raw during: \(r.modes)")
        #expect(cooked & Self.icanon != 0 && r.restored, "\(r.modes)")
        #expect(try leftovers().isEmpty)
    }

    /// SIGTERM is forwarded (the --init reaper passes it to the command: a PID 1 without a
    /// handler would ignore it), SIGHUP hangs the pty up (an interactive shell as PID 1 ends on
    /// end of file), SIGKILL leaves it to the terminal guard.
    @Test(arguments: [("TERM", ["--init"], 143), ("HUP", [], 0), ("KILL", [], -9)])
    func restoredWhenSiloIsSignalled(_ signal: String, _ options: [String], _ status: Int) throws {
        let command = signal == "HUP" ? ["sh"] : ["sh", "-c", "echo ready; sleep 100"]
        let r = try PtyDriver.drive(run(["-it"] + options, command), steps: [
            ["expect": signal == "HUP" ? "# " : "ready"], ["modes": "during"], ["signal": signal],
        ], timeout: 15)
        #expect(r.failed == nil && r.status == status, "\(r)")
        #expect((r.modes["during"]?[3] ?? -1) & Self.icanon == 0, "\(r.modes)")
        #expect(r.restored, "\(r.modes)")
        #expect(try leftovers().isEmpty)
    }

    @Test func interactiveStdinGoesThroughThePty() throws {
        let r = try PtyDriver.drive(run(["-it"], ["sh", "-c", "read x; echo got:$x"]), steps: [
            ["sleep": 0.3], ["send": "hello\r"], ["expect": "got:hello"],
        ])
        #expect(r.failed == nil && r.status == 0, "\(r)")
        let piped = try Silo.run(["run", "--rootfs", Silo.rootfs, "-i", "--", "sh", "-c", "read x; echo got:$x"], stdin: "piped\n")
        #expect(piped.stdout == "got:piped\n", "\(piped)")
    }

    /// -t alone: a terminal, but nothing reads the caller's; without -i and -t a terminal on
    /// stdin is /dev/null in the container, while a pipe still passes (as before -i existed).
    @Test func nothingReadsTheTerminalWithoutI() throws {
        let t = try PtyDriver.drive(run(["-t"], ["sh", "-c", "echo ready; read -t 1 x; echo rc=$? x=$x"]), steps: [
            ["expect": "ready"], ["send": "typed\r"], ["expect": "rc="],
        ])
        #expect(t.failed == nil && t.status == 0 && !t.output.contains("x=typed"), "\(t)")
        let plain = try PtyDriver.drive(run([], ["sh", "-c", "readlink /proc/self/fd/0; cat; echo rc=$?; cat /dev/tty; echo tty=$?"]),
                                        steps: [["expect": "tty="]])
        #expect(plain.failed == nil && plain.lines.first == "/dev/null", "\(plain)")
        #expect(plain.lines.contains("rc=0") && plain.lines.contains("tty=1"), "no controlling terminal either: \(plain)")
        let i = try PtyDriver.drive(run(["-i"], ["sh", "-c", "readlink /proc/self/fd/0"]), steps: [])
        #expect(i.lines.first?.hasPrefix("/dev/pts/") == true, "-i passes the terminal itself: \(i)")
        let piped = try Silo.run(["run", "--rootfs", Silo.rootfs, "--", "cat"], stdin: "kept\n")
        #expect(piped.stdout == "kept\n", "\(piped)")
    }

    @Test func execInteractiveTerminal() throws {
        let t = try OCIExecTests.Target()
        defer { t.stop() }
        let exec = [Silo.binary, "exec", "--root", t.root, "-it", t.id, "--"]
        let r = try PtyDriver.drive(exec + ["sh", "-c", "tty; stty size; read x; echo got:$x"], rows: 30, cols: 90, steps: [
            ["expect": "30 90"], ["modes": "during"], ["send": "hi\r"], ["expect": "got:hi"],
        ])
        #expect(r.failed == nil && r.status == 0 && r.restored, "\(r)")
        #expect(r.lines.first?.hasPrefix("/dev/pts/") == true, "\(r)")
        #expect((r.modes["during"]?[3] ?? -1) & Self.icanon == 0, "\(r.modes)")
    }

    /// ctrl-p,ctrl-q (or --detach-keys) end the session; the process runs on, its terminal held.
    @Test(arguments: [([], "\u{10}\u{11}"), (["--detach-keys", "ctrl-a,x"], "\u{1}x")])
    func execDetachLeavesTheProcessRunning(_ options: [String], _ keys: String) throws {
        let t = try OCIExecTests.Target()
        defer { t.stop() }
        let pidFile = t.dir.appendingPathComponent("exec.pid").path
        let exec = [Silo.binary, "exec", "--root", t.root, "-it", "--pid-file", pidFile] + options + [t.id, "--"]
        let r = try PtyDriver.drive(exec + ["sh", "-c", "echo ready; while :; do read x && echo got:$x; done"], steps: [
            ["expect": "ready"], ["send": "a\r"], ["expect": "got:a"], ["send": keys],
        ], timeout: 10)
        #expect(r.failed == nil && r.status == 0 && r.restored, "\(r)")
        let pid = pid_t((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "") ?? 0
        usleep(300_000)
        #expect(pid > 0 && kill(pid, 0) == 0 && (try? ProcStat.read(pid))?.hasExited == false, "still running")
        if pid > 0 { kill(pid, SIGKILL) }
        OCIExecTests.Target.awaitGone(pid)
    }

    /// What a docker user expects after detaching from `exec -it` (docs/terminals.md): the
    /// process runs on; what it writes meanwhile is read and dropped (it never blocks on a full
    /// pty, and it is not in the container's log: an exec's terminal is nobody's log); the
    /// holder of its pty goes when the process does.
    @Test func execOutputAfterADetachIsDrainedAndNotKept() throws {
        let root = DetachedTests.Root()
        let id = try root.start(["--name", "quiet"], ["sleep", "1000"])
        // ~200 KiB once detached, more than a pty buffers, then a mark to look for.
        let writer = "echo ready; sleep 1; i=0; while [ $i -lt 3000 ]; do echo detached-line-$i-............................................; i=$((i+1)); done; touch /tmp/wrote-all; exec sleep 1000"
        let r = try PtyDriver.drive([Silo.binary, "--root", root.path, "exec", "-it", "quiet", "sh", "-c", writer], steps: [
            ["expect": "ready"], ["send": "\u{10}\u{11}"],
        ], timeout: 15)
        #expect(r.failed == nil && r.status == 0 && r.restored && !r.output.contains("detached-line"), "\(r)")
        var done = false
        for _ in 0..<100 where !done {
            usleep(100_000)
            done = try root.silo(["exec", "quiet", "test", "-e", "/tmp/wrote-all"]).status == 0
        }
        #expect(done, "the detached process wrote everything: its output was drained")
        #expect(!(try root.silo(["logs", id]).stdout.contains("detached-line")), "not kept in the container's log")
        let holders = { (try? Silo.host("pgrep -f -- '[e]xec -it quiet'").stdout) ?? "" }
        #expect(!holders().isEmpty, "the pty's holder runs while the process does")
        #expect(try root.silo(["rm", "-f", "quiet"], timeout: 30).status == 0)
        #expect(NetTest.waitUntil { holders().isEmpty }, "the holder went with the process: \(holders())")
    }
}

/// Tests/Tools/ptydrive.py, from Swift.
enum PtyDriver {
    static let driver = Silo.packageRoot.appendingPathComponent("Tests/Tools/ptydrive.py").path
    static let available = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")

    struct Report {
        var output: String
        var status: Int
        var modes: [String: [Int]]
        var restored: Bool
        var failed: String?
        var lines: [String] { output.components(separatedBy: "\r\n") }
    }

    /// Runs `argv` on a fresh pty of `rows`x`cols`; `steps` as ptydrive.py documents.
    static func drive(_ argv: [String], rows: Int = 24, cols: Int = 80, steps: [[String: Any]],
                      timeout: Double = 30) throws -> Report {
        let spec: [String: Any] = ["argv": argv, "rows": rows, "cols": cols, "steps": steps, "timeout": timeout]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let r = try Silo.exec("/usr/bin/python3", [driver, json], timeout: timeout + 15)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        let failed = obj["failed"].flatMap { $0 is NSNull ? nil : "\($0)" }
        return Report(output: obj["output"] as? String ?? "driver: \(r)", status: obj["status"] as? Int ?? -1000,
                      modes: obj["modes"] as? [String: [Int]] ?? [:], restored: obj["restored"] as? Bool ?? false,
                      failed: failed)
    }
}
