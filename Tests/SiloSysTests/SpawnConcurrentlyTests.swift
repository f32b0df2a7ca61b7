import Glibc
import Testing
import SiloSys

/// Spawn.runConcurrently: what newuidmap and newgidmap run through on the rootless path.
@Suite struct SpawnConcurrentlyTests {
    @Test func eachCommandsStatusAndOutputComeBackInOrder() throws {
        let r = try Spawn.runConcurrently([["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], ["/bin/true"]])
        #expect(r.map(\.status) == [3, 0])
        #expect(String(decoding: r[0].stderr, as: UTF8.self) == "out\nerr\n")
        #expect(r[1].stderr.isEmpty)
    }

    @Test func theyRunSideBySide() throws {
        // Each waits for the other's file: run one after the other, the first would never end.
        let dir = "/tmp/silo-spawn-test-\(getpid())"
        let script = "mkdir -p \(dir); touch \(dir)/$0; for i in $(seq 100); do [ -e \(dir)/$1 ] && exit 0; sleep 0.05; done; exit 1"
        defer { _ = try? Spawn.run(["/bin/rm", "-rf", dir]) }
        let r = try Spawn.runConcurrently([["/bin/sh", "-c", script, "a", "b"], ["/bin/sh", "-c", script, "b", "a"]])
        #expect(r.map(\.status) == [0, 0])
    }

    @Test func aCommandThatCannotStartIsAnErrorNamingIt() {
        #expect(throws: SyscallError.self) { try Spawn.runConcurrently([["/bin/true"], ["/nonexistent/newuidmap"]]) }
    }
}
