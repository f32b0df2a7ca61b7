import Foundation
import SiloSys
import Testing

/// `silo run -dit` and `silo attach` (docs/containers.md, docs/terminals.md "Attach"), driven
/// through a pty this test owns (Tests/Tools/ptydrive.py), each test under a private state root
/// (DetachedTests.Root). Checks what the container's shell saw (its tty, its window size), what
/// the caller's terminal went through, the log, and that `rm` leaves nothing on the host.
@Suite(.serialized, .enabled(if: Host.canRunContainers && PtyDriver.available, "needs real root, the test rootfs and python3"))
struct AttachTests {
    func attach(_ root: DetachedTests.Root, _ id: String, _ options: [String] = []) -> [String] {
        [Silo.binary, "--root", root.path, "attach"] + options + [id]
    }

    func record(_ root: DetachedTests.Root, _ id: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(root.path)/\(id)/state.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Waits until the monitor has an attach client (an established connection on the socket).
    func awaitConnected(_ socket: String) -> Bool {
        for _ in 0..<200 {
            if let r = try? Silo.host("ss -xH state connected src \(socket)"), !r.stdout.isEmpty { return true }
            usleep(25_000)
        }
        return false
    }

    /// With --init the shell is not PID 1 and ^C must still reach its foreground job.
    @Test(arguments: [[], ["--init"]])
    func typeResizeDetachReattachAndExit(_ options: [String]) throws {
        let root = DetachedTests.Root()
        let before = Host.Snapshot.take()
        let id = try root.start(["-it"] + options, ["sh"])
        let socket = "\(root.path)/\(id)/attach.sock"
        var st = stat()
        #expect(stat(socket, &st) == 0 && st.st_mode & S_IFMT == S_IFSOCK && st.st_mode & 0o777 == 0o600, "attach.sock: mode \(String(st.st_mode, radix: 8))")

        let first = try PtyDriver.drive(attach(root, id), rows: 30, cols: 100, steps: [
            ["send": "echo hi-$((6*7))\r"], ["expect": "hi-42\r\n"],
            ["send": "tty; stty size\r"], ["expect": "/dev/pts/[0-9]+\r\n30 100\r\n"],
            ["resize": [40, 120]], ["sleep": 0.3], ["send": "stty size\r"], ["expect": "40 120\r\n"],
            ["send": "sleep 100\r"], ["sleep": 0.5], ["send": "\u{3}"], ["send": "echo x-$?\r"], ["expect": "x-130\r\n"],
            ["modes": "during"], ["send": "\u{10}\u{11}"],
        ])
        #expect(first.failed == nil && first.status == 0, "detached with ctrl-p ctrl-q: \(first)")
        #expect((first.modes["during"]?[3] ?? -1) & (TerminalTests.icanon | TerminalTests.echo) == 0 && first.restored, "\(first.modes)")
        let info = try root.inspect(id)
        let pid = info["pid"] as? Int ?? 0, monitor = try record(root, id)["monitorPid"] as? Int ?? 0
        #expect(info["status"] as? String == "running" && DetachedTests.alive(pid) && DetachedTests.alive(monitor), "\(info)")
        #expect(try root.silo(["ps"]).stdout.contains(String(id.prefix(12))))

        let second = try PtyDriver.drive(attach(root, String(id.prefix(8))), steps: [
            ["send": "echo again-$((1+1))\r"], ["expect": "again-2\r\n"], ["send": "exit 7\r"],
        ])
        #expect(second.failed == nil && second.status == 7, "the shell's status ends the attach: \(second)")
        let row = try root.psJSON().first { $0["id"] as? String == id }
        #expect(row?["status"] as? String == "exited" && row?["exitCode"] as? Int == 7, "\(String(describing: row))")
        let logs = try root.silo(["logs", id]).stdout
        #expect(logs.contains("hi-42") && logs.contains("40 120") && logs.contains("again-2"), "the log holds the session: \(logs)")
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket goes with the container")

        let late = try root.silo(["attach", id])
        #expect(late.status == 125 && late.stderr.contains("not running") && late.stderr.contains("logs"), "\(late)")
        #expect(try root.silo(["rm", id]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(root.path)/\(id)"))
        #expect(!DetachedTests.alive(pid) && !DetachedTests.alive(monitor))
        #expect(Host.Snapshot.take().mounts == before.mounts)
    }

    /// One client at a time: a second attach is refused with the reason (exit 125) and the first
    /// keeps its session; SIGTERM detaches a --no-stdin attach, leaving the container running.
    /// `run -dt` from a terminal: the container's pty has the caller's size from the start, not
    /// 0x0 until the first attach.
    @Test func detachedPtyStartsWithTheCallersWindowSize() throws {
        let root = DetachedTests.Root()
        let run = [Silo.binary, "--root", root.path, "run", "-dt", "--name", "sized", "--rootfs", Silo.rootfs,
                   "--", "sh", "-c", "stty size; exec sleep 100"]
        let started = try PtyDriver.drive(run, rows: 33, cols: 111, steps: [])
        #expect(started.failed == nil && started.status == 0, "\(started)")
        var logs = ""
        for _ in 0..<100 where !logs.contains("\n") {
            logs = try root.silo(["logs", "sized"]).stdout
            usleep(20_000)
        }
        #expect(logs.trimmingCharacters(in: .whitespacesAndNewlines) == "33 111", "\(logs)")
        #expect(try root.silo(["rm", "-f", "sized"]).status == 0)
    }

    @Test func aSecondAttachIsRefused() throws {
        let root = DetachedTests.Root()
        let id = try root.start(["-t"], ["sh", "-c", "while :; do echo tick; sleep 0.2; done"])
        let first = Process()
        first.executableURL = URL(fileURLWithPath: Silo.binary)
        first.arguments = ["--root", root.path, "attach", "--no-stdin", id]
        let out = Pipe()
        first.standardOutput = out
        first.standardInput = FileHandle.nullDevice
        try first.run()
        #expect(awaitConnected("\(root.path)/\(id)/attach.sock"), "the first attach connects")
        let second = try root.silo(["attach", id], stdin: "")
        #expect(second.status == 125 && second.stderr.contains("another silo attach is connected"), "\(second)")
        usleep(500_000)
        first.terminate()
        first.waitUntilExit()
        let seen = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(first.terminationStatus == 0 && seen.contains("tick\r\n"), "the first relayed output, then detached on SIGTERM: \(first.terminationStatus) \(seen.prefix(200))")
        #expect(try root.inspect(id)["status"] as? String == "running")
        // Freed: the next attach gets the session.
        let third = try PtyDriver.drive(attach(root, id, ["--detach-keys", "ctrl-x"]), steps: [["expect": "tick"], ["send": "\u{18}"]])
        #expect(third.failed == nil && third.status == 0, "\(third)")
        #expect(try root.silo(["rm", "-f", id], timeout: 30).status == 0)
    }

    /// A monitor that has the socket but does not answer (stopped here) must not hold attach
    /// for ever: after 5 s it says so in one line, 125. Six at once: the listener's backlog holds
    /// five connections, so the sixth waits in connect(2), which is bounded the same way.
    @Test func aMonitorThatDoesNotAnswerTimesOut() throws {
        let root = DetachedTests.Root()
        let id = try root.start(["-t"], ["sleep", "1000"])
        let monitor = pid_t(try record(root, id)["monitorPid"] as? Int ?? 0)
        try #require(monitor > 0)
        kill(monitor, SIGSTOP)
        defer { kill(monitor, SIGCONT) }
        // Started from here, not from a shell's `&` and `wait`: this process's threads block
        // SIGCHLD, which a spawned shell inherits, and its `wait` then never returns.
        let t0 = Date()
        let clients = try (1...6).map { _ -> (Process, Pipe) in
            let p = Process(), err = Pipe()
            p.executableURL = URL(fileURLWithPath: Silo.binary)
            p.arguments = ["--root", root.path, "attach", "--no-stdin", id]
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = FileHandle.nullDevice
            p.standardError = err
            try p.run()
            return (p, err)
        }
        for (p, _) in clients {
            while p.isRunning && Date().timeIntervalSince(t0) < 60 { usleep(20_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        let took = Date().timeIntervalSince(t0)
        kill(monitor, SIGCONT)
        #expect(took >= 4.5 && took < 30, "in \(took) s")
        for (i, (p, err)) in clients.enumerated() {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationReason == .exit && p.terminationStatus == 125 && text.split(separator: "\n").count == 1
                    && text.hasSuffix("did not answer within 5 s (stopped or stuck?)\n"), "attach \(i): \(p.terminationStatus) \(text)")
        }
        // Running again, the monitor works through the abandoned connections; the next attach gets its session.
        #expect(NetTest.waitUntil(timeout: 20) {
            ((try? PtyDriver.drive(attach(root, id), steps: [["sleep": 0.3], ["send": "\u{10}\u{11}"]], timeout: 10))?.status ?? -1) == 0
        })
        #expect(try root.inspect(id)["status"] as? String == "running")
        #expect(try root.silo(["rm", "-f", id], timeout: 30).status == 0)
    }

    /// Without -t there is no terminal: attach says so and names what works; -d -i alone is
    /// refused at start. A -dt container's output reaches the log with nobody attached.
    @Test func withoutATerminalAttachRefusesClearly() throws {
        let root = DetachedTests.Root()
        let plain = try root.start([], ["sleep", "1000"])
        let r = try root.silo(["attach", plain])
        #expect(r.status == 125 && r.stderr.contains("no terminal to attach to") && r.stderr.contains("exec -it"), "\(r)")
        let di = try Silo.run(["--root", root.path, "run", "-d", "-i", "--rootfs", Silo.rootfs, "--", "true"])
        #expect(di.status == 125 && di.stderr.contains("-dit"), "\(di)")
        let tty = try root.start(["-t"], ["sh", "-c", "tty; echo out-$((2*3)); exec sleep 1000"])
        var logs = ""
        for _ in 0..<100 where !logs.contains("out-6") {
            usleep(50_000)
            logs = try root.silo(["logs", tty]).stdout
        }
        #expect(logs.contains("/dev/pts/0\r\nout-6\r\n"), "\(logs)")
        #expect(try root.silo(["rm", "-f", plain, tty], timeout: 30).status == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }.isEmpty)
    }
}
