import Foundation
import Testing
import SiloSpec
@testable import SiloKit

/// Hooks as real processes: a shell script that records what it got.
@Suite(.serialized) final class HooksTests {
    let dir = StateTestSupport.tempDir("hooks")
    deinit { StateTestSupport.removeTree(dir) }
    let state = OCIState(id: "c1", status: .created, pid: 4242, bundle: "/bundle", annotations: ["a": "b"])

    func script(_ name: String, _ body: String) throws -> String {
        // Written through a close-on-exec descriptor: a write descriptor that a process spawned
        // by a parallel test inherits makes exec of the script fail with ETXTBSY.
        let path = dir + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        #expect(fd >= 0)
        let bytes = Array(("#!/bin/sh\n" + body + "\n").utf8)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
        return path
    }

    func contents(_ name: String) -> String {
        (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "<missing>"
    }

    @Test func stateOnStdinArgsAndExactlyTheGivenEnvironment() throws {
        let path = try script("record", """
            cat > \(dir)/stdin
            echo "$1|$2|$3" > \(dir)/args
            env | sort > \(dir)/env
            """)
        let hook = OCISpec.Hook(path: path, args: [path, "a b", "c"], env: ["FOO=bar", "PATH=/usr/bin:/bin"], timeout: 5)
        try Hooks.run([hook], kind: .prestart, state: state)
        #expect(contents("stdin") == String(decoding: state.hookInput, as: UTF8.self))
        #expect(contents("args") == "a b|c|\n")
        // sh adds PWD (and may add SHLVL/_); nothing of the test runner's environment leaks.
        let env = contents("env").split(separator: "\n").filter { !$0.hasPrefix("PWD=") && !$0.hasPrefix("SHLVL=") && !$0.hasPrefix("_=") }
        #expect(env == ["FOO=bar", "PATH=/usr/bin:/bin"])
    }

    /// A script never sees its argv[0] (the kernel puts the script's path there), so these run
    /// /bin/sh itself and read its /proc/PID/cmdline.
    @Test func argsAreTheWholeArgvAndWithoutArgsArgv0IsThePath() throws {
        try Hooks.run(OCISpec.Hook(path: "/bin/sh", args: ["custom0", "-c", "tr '\\0' '|' < /proc/$$/cmdline > \(dir)/cmdline"]),
                      kind: .poststop, input: [])
        #expect(contents("cmdline").hasPrefix("custom0|-c|"))
        // No args: argv is the path alone; sh then reads its script from stdin (the "state").
        try Hooks.run(OCISpec.Hook(path: "/bin/sh"), kind: .poststop,
                      input: Array("tr '\\0' '|' < /proc/$$/cmdline > \(dir)/cmdline0".utf8))
        #expect(contents("cmdline0") == "/bin/sh|")
    }

    @Test func aFailingHookNamesKindPathStatusAndStderrAndStopsTheRest() throws {
        let bad = try script("bad", "cat >/dev/null; echo boom >&2; echo second line >&2; exit 3")
        let after = try script("after", "touch \(dir)/after-ran")
        let e = #expect(throws: RuntimeError.self) {
            try Hooks.run([OCISpec.Hook(path: bad), OCISpec.Hook(path: after)], kind: .poststart, state: state)
        }
        #expect(e?.message == "poststart hook \(bad): exit status 3: boom")
        #expect(!FileManager.default.fileExists(atPath: dir + "/after-ran"))
    }

    @Test func aHookPastItsTimeoutIsKilled() throws {
        let slow = try script("slow", "echo $$ > \(dir)/pid; exec sleep 30")
        let start = Date()
        let e = #expect(throws: RuntimeError.self) { try Hooks.run(OCISpec.Hook(path: slow, timeout: 1), kind: .createRuntime, input: []) }
        let took = Date().timeIntervalSince(start)
        #expect(e?.message == "createRuntime hook \(slow): did not finish within its timeout of 1 s (killed)")
        #expect(took >= 0.9 && took < 5)
        if let pid = pid_t(contents("pid").trimmingCharacters(in: .whitespacesAndNewlines)) {
            #expect(kill(pid, 0) != 0)
        } else {
            Issue.record("the hook did not record its pid")
        }
    }

    @Test func aHookThatIgnoresStdinOrIsKilledOrMissingIsReported() throws {
        // Exits at once without reading a large stdin: no SIGPIPE for the test process.
        let quick = try script("quick", "exit 0")
        try Hooks.run(OCISpec.Hook(path: quick), kind: .createContainer, input: [UInt8](repeating: 0x41, count: 1 << 20))
        let killed = try script("killed", "kill -TERM $$")
        let e = #expect(throws: RuntimeError.self) { try Hooks.run(OCISpec.Hook(path: killed), kind: .startContainer, input: []) }
        #expect(e?.message == "startContainer hook \(killed): killed by signal TERM")
        let missing = #expect(throws: RuntimeError.self) { try Hooks.run(OCISpec.Hook(path: dir + "/nope"), kind: .prestart, input: []) }
        #expect(missing?.message == "prestart hook \(dir)/nope: No such file or directory")
        let relative = #expect(throws: RuntimeError.self) { try Hooks.run(OCISpec.Hook(path: "rel"), kind: .prestart, input: []) }
        #expect(relative?.message == "prestart hook rel: the path must be absolute")
    }

    @Test func aHookDoesNotInheritDescriptorsWithoutCloseOnExec() throws {
        let fd = open("/dev/null", O_RDONLY)  // no O_CLOEXEC, as a --preserve-fds fd
        defer { close(fd) }
        let path = try script("fds", "ls /proc/self/fd > \(dir)/fds")
        try Hooks.run(OCISpec.Hook(path: path), kind: .prestart, input: [])
        let fds = contents("fds").split(separator: "\n").compactMap { Int32($0) }
        #expect(!fds.contains(fd))
    }
}
