import Testing
@testable import SiloCLI
import SiloKit

/// `silo exec`'s command line: runc's flags over the default process, and what it refuses.
@Suite struct ExecCommandTests {
    static func request(_ args: [String]) throws(RuntimeError) -> (ExecRequest, [String]) {
        try ExecCommand.request(try ExecCommand.parser.parse(args))
    }

    @Test func flagsApplyOverTheDefaultProcess() throws {
        let (r, caps) = try Self.request(["--root", "/tmp/r", "-e", "A=1", "--env=A=2", "-u", "5:6", "--cwd", "/srv",
                                          "--cap", "NET_ADMIN", "-d", "--pid-file", "/tmp/p", "--preserve-fds", "2",
                                          "c1", "--", "sh", "-c", "exit 7"])
        #expect(r.id == "c1" && r.root == "/tmp/r")
        #expect(r.process.args == ["sh", "-c", "exit 7"])
        #expect(r.process.env.filter { $0.hasPrefix("A=") } == ["A=2"])
        #expect(r.process.env.contains { $0.hasPrefix("PATH=") })
        #expect((r.process.user.uid, r.process.user.gid, r.process.cwd) == (5, 6, "/srv"))
        #expect(r.detach && r.pidFile == "/tmp/p" && r.preserveFds == 2)
        #expect(caps == ["NET_ADMIN"])
    }

    @Test func commandWithoutDashDashAndTty() throws {
        let (r, _) = try Self.request(["-t", "--console-socket", "/s", "c1", "ls", "-l"])
        #expect(r.process.args == ["ls", "-l"])
        #expect(r.process.terminal && r.consoleSocket == "/s")
        #expect(r.process.env.contains("TERM=xterm"))
    }

    @Test func interactiveTerminalAndDetachKeys() throws {
        let (r, _) = try Self.request(["-it", "--detach-keys", "ctrl-a,x", "c1", "sh"])
        #expect(r.process.terminal && r.interactive && r.consoleSocket == nil)
        #expect(r.detachKeys?.sequence == [0x01, 0x78])
        #expect(try Self.request(["-t", "c1", "sh"]).0.detachKeys == .default)
        #expect(try Self.request(["-t", "--detach-keys=", "c1", "sh"]).0.detachKeys?.sequence == [])
        #expect(throws: RuntimeError.self) { try Self.request(["-t", "--detach-keys", "ctrl-1", "c1", "sh"]) }
    }

    @Test func refusals() {
        #expect(throws: RuntimeError.self) { try Self.request([]) }
        #expect(throws: RuntimeError.self) { try Self.request(["c1"]) }
        #expect(throws: RuntimeError.self) { try Self.request(["-u", "bob", "c1", "ls"]) }
        #expect(throws: RuntimeError.self) { try Self.request(["-e", "=x", "c1", "ls"]) }
        #expect(throws: RuntimeError.self) { try Self.request(["--preserve-fds", "-1", "c1", "ls"]) }
        #expect(throws: RuntimeError.self) { try Self.request(["--process", "/nonexistent.json", "c1"]) }
        #expect(throws: RuntimeError.self) { try Self.request(["--process", "/etc/hostname", "c1", "ls"]) }
    }
}
