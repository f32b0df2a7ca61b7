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

    @Test func terminalWithoutConsoleSocketIsRefused() throws {
        let b = try Bundle(script: "true")
        defer { try? b.destroy(["t2", "t3"]) }
        b.spec.process!.terminal = true
        try b.write()
        let c = try b.silo(["create", "t2"])
        #expect(c.status == 1 && c.stderr.contains("cannot allocate tty if silo will detach without setting console socket"), "\(c)")
        let r = try b.silo(["run", "--bundle", b.dir, "t3"])
        #expect(r.status == 1 && r.stderr.contains("process.terminal") && r.stderr.contains("--console-socket"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/t2") && !FileManager.default.fileExists(atPath: b.root + "/t3"))
    }
}
