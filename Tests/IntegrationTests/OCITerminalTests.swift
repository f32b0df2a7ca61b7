import Foundation
import SiloKit
import SiloSpec
import SiloSys
import Testing

/// process.terminal for `silo create`: the init's stdio and controlling terminal are a pty of
/// the container's own devpts, whose master arrives over the test's console socket.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct OCITerminalTests {
    typealias Bundle = OCILifecycleTests.Bundle

    /// Reads the master until `marker` was seen or the slave side closed.
    static func drain(_ master: Int32, until marker: String, seconds: Double = 10) -> String {
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 512)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !String(decoding: out, as: UTF8.self).contains(marker) {
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            let n = read(master, &buf, buf.count)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func createSendsThePtyMasterAndTheInitRunsOnItsSlave() throws {
        let script = "tty; readlink /proc/self/fd/1; stty size; stat -c %t:%T /dev/console; "
            + "echo DONE; read line; echo got:$line; sleep 1"
        let b = try Bundle(script: script)
        defer { try? b.destroy(["t1"]) }
        b.spec.process!.terminal = true
        b.spec.process!.consoleSize = OCISpec.ConsoleSize(height: 33, width: 101)
        try b.write()
        let path = b.dir + "/console.sock"
        let listener = try UnixSocket.listen(path)
        defer { close(listener) }

        let c = try b.silo(["create", "--console-socket", path, "--pid-file", b.dir + "/pid", "t1"])
        #expect(c.status == 0, "\(c)")
        var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        try #require(poll(&ready, 1, 5000) == 1, "create never connected to the console socket")
        let conn = accept(listener, nil, nil)
        try #require(conn >= 0, "create never connected")
        defer { close(conn) }
        let (master, payload) = try UnixSocket.receive(over: conn)
        defer { close(master) }
        #expect(payload.count == 1)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(master)")) == "/dev/pts/ptmx")
        var more = [UInt8](repeating: 0, count: 8)
        #expect(recv(conn, &more, more.count, Int32(MSG_DONTWAIT)) <= 0, "exactly one message")

        let pid = pid_t((try? String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? "") ?? 0
        try #require(pid > 0)
        // Before start already: the init holds the slave as fds 0-2 and leads its session.
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/0")) == "/dev/pts/0")
        let devpts = try Silo.host("stat -L -c %d /proc/\(pid)/fd/0; stat -c %d /dev/pts/ptmx").stdout.split(separator: "\n")
        #expect(devpts.count == 2 && devpts[0] != devpts[1], "the pty is not from the container's devpts: \(devpts)")

        let s = try b.silo(["start", "t1"])
        #expect(s.status == 0, "\(s)")
        let first = Self.drain(master, until: "DONE")
        let lines = first.components(separatedBy: "\r\n")
        #expect(lines.prefix(4) == ["/dev/pts/0", "/dev/pts/0", "33 101", "88:0"], "\(lines)")
        // Input goes the other way, through the master.
        _ = "hello\n".withCString { write(master, $0, 6) }
        let rest = Self.drain(master, until: "got:")
        #expect(rest.contains("got:hello"), "\(rest)")
    }

    /// `create` returns and leaves nobody to relay a terminal to: runc's refusal.
    @Test func createWithTerminalWithoutConsoleSocketIsRefused() throws {
        let b = try Bundle(script: "true")
        defer { try? b.destroy(["t2"]) }
        b.spec.process!.terminal = true
        try b.write()
        let c = try b.silo(["create", "t2"])
        #expect(c.status == 1 && c.stderr.contains("cannot allocate tty if silo will detach without setting console socket"), "\(c)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/t2"))
    }

    /// The container's cgroup directories named after `id` (no cgroupsPath: `silo-ID`), anywhere.
    static func cgroups(of id: String) throws -> String {
        try Silo.host("find /sys/fs/cgroup -maxdepth 8 -type d -name 'silo-\(id)' 2>/dev/null || true").stdout
    }

    /// `run --bundle` without --console-socket relays the caller's terminal, as `runc run` in a
    /// shell does: the process's 0-2 are its pty (also /dev/console, of the container's devpts),
    /// sized like the caller's window and resized with it, typed input reaches it, the caller's
    /// terminal is raw meanwhile and restored after, the status passes through, nothing is left.
    @Test(.enabled(if: PtyDriver.available, "needs python3"))
    func runRelaysTheCallersTerminal() throws {
        let id = "tr\(UInt32.random(in: 0...UInt32.max))"
        let script = "for f in 0 1 2; do readlink /proc/self/fd/$f; done; stat -c %t:%T /dev/console; "
            + "stat -L -c %d /proc/self/fd/0 /dev/pts/ptmx; stty size; echo ready; read x; echo got:$x; stty size; exit 7"
        let b = try Bundle(script: script)
        defer { try? b.destroy([id]) }
        b.spec.process!.terminal = true
        b.spec.process!.consoleSize = OCISpec.ConsoleSize(height: 33, width: 101)
        try b.write()
        let r = try PtyDriver.drive([Silo.binary, "--root", b.root, "run", "--bundle", b.dir, id], rows: 30, cols: 90, steps: [
            ["expect": "ready"], ["modes": "during"], ["resize": [40, 100]], ["sleep": 0.3], ["send": "hello\r"],
            ["expect": "40 100\r\n"],
        ])
        #expect(r.failed == nil && r.status == 7, "\(r)")
        let l = r.lines
        #expect(l.count > 6 && l[0] == "/dev/pts/0" && l[1] == l[0] && l[2] == l[0], "stdio is the pty: \(r.output)")
        #expect(l.count > 6 && l[3] == "88:0", "/dev/console is the same pty: \(r.output)")
        let hostDevpts = try Silo.host("stat -c %d /dev/pts/ptmx").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(l.count > 6 && l[4] == l[5] && l[4] != hostDevpts, "the pty is of the container's devpts: \(l), host \(hostDevpts)")
        #expect(l.count > 6 && l[6] == "30 90", "the caller's window size, not consoleSize: \(l)")
        #expect(r.output.contains("got:hello"), "\(r.output)")
        let lflag = r.modes["during"]?[3] ?? -1, cooked = r.modes["before"]?[3] ?? -1
        #expect(lflag >= 0 && lflag & (TerminalTests.icanon | TerminalTests.echo) == 0, "raw during: \(r.modes)")
        #expect(cooked & TerminalTests.icanon != 0 && r.restored, "\(r.modes)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/" + id), "state left")
        #expect(try Self.cgroups(of: id).isEmpty, "cgroup left")
    }

    /// Stdin no terminal (a pipe): still relayed into the pty, nothing to make raw.
    @Test func runRelaysPipedInputToTheTerminal() throws {
        let b = try Bundle(script: "tty; read x; echo got:$x; exit 3")
        defer { try? b.destroy(["t4"]) }
        b.spec.process!.terminal = true
        try b.write()
        let cmd = "echo piped | '\(Silo.binary)' --root '\(b.root)' run --bundle '\(b.dir)' t4 >\(b.dir)/silo.out 2>\(b.dir)/silo.err; echo $?"
        let status = try Silo.host(cmd).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let out = (try? String(contentsOfFile: b.dir + "/silo.out", encoding: .utf8)) ?? ""
        #expect(status == "3" && out.contains("/dev/pts/0\r\n") && out.contains("got:piped\r\n"), "\(status) \(out)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/t4"), "state left")
    }

    /// runc's `exec --process F` with `terminal: true` and no console socket relays the caller's
    /// terminal, stdin included (runc's exec has no -i): typed input reaches the process.
    @Test(.enabled(if: PtyDriver.available, "needs python3"))
    func execProcessFileWithTerminalReadsTheCallersInput() throws {
        let t = try OCIExecTests.Target()
        defer { t.stop() }
        let file = t.dir.appendingPathComponent("process.json")
        let process: [String: Any] = ["terminal": true, "args": ["sh", "-c", "tty; echo ready; read x; echo got:$x; exit 5"],
                                      "env": ["PATH=/bin:/usr/bin"], "cwd": "/", "user": ["uid": 0, "gid": 0]]
        try JSONSerialization.data(withJSONObject: process).write(to: file)
        let r = try PtyDriver.drive([Silo.binary, "exec", "--root", t.root, "--process", file.path, t.id], steps: [
            ["expect": "ready"], ["modes": "during"], ["send": "hi\r"], ["expect": "got:hi"],
        ], timeout: 15)
        #expect(r.failed == nil && r.status == 5 && r.restored, "\(r)")
        #expect(r.lines.first?.hasPrefix("/dev/pts/") == true, "\(r)")
        #expect((r.modes["during"]?[3] ?? -1) & TerminalTests.icanon == 0, "raw during: \(r.modes)")
    }

    /// The caller's terminal comes back whichever way silo ends: SIGTERM is forwarded (the
    /// process traps it and exits 143 by itself), SIGKILL leaves it to the terminal guard.
    @Test(.enabled(if: PtyDriver.available, "needs python3"), arguments: [("TERM", 143), ("KILL", -9)])
    func runRestoresTheCallersTerminal(_ signal: String, _ status: Int) throws {
        let id = "tk\(UInt32.random(in: 0...UInt32.max))"
        let b = try Bundle(script: "trap 'exit 143' TERM; echo ready; while :; do sleep 0.1; done")
        defer { try? b.destroy([id]) }
        b.spec.process!.terminal = true
        try b.write()
        let r = try PtyDriver.drive([Silo.binary, "--root", b.root, "run", "--bundle", b.dir, id], steps: [
            ["expect": "ready"], ["modes": "during"], ["signal": signal],
        ], timeout: 15)
        #expect(r.failed == nil && r.status == status, "\(r)")
        #expect((r.modes["during"]?[3] ?? -1) & TerminalTests.icanon == 0, "\(r.modes)")
        #expect(r.restored, "\(r.modes)")
        if signal == "TERM" {
            #expect(!FileManager.default.fileExists(atPath: b.root + "/" + id), "state left")
            #expect(try Self.cgroups(of: id).isEmpty, "cgroup left")
        }
    }
}
