import Foundation
import Testing

/// The helpers every integration test leans on (Support.swift) must not be what fails a test.
@Suite struct SupportTests {
    /// A command that exits before it reads its stdin: the write gets EPIPE (and SIGPIPE, which
    /// is the thread's while blocked and then dropped). Without that care the test process dies
    /// here, taking every other test of the run with it.
    @Test(arguments: ["true", "head -c 10 >/dev/null"])
    func aCommandThatDoesNotReadItsStdin(_ command: String) throws {
        let input = String(repeating: "x", count: 1 << 20)
        for _ in 0..<5 {
            let r = try Silo.exec("/bin/sh", ["-c", command], stdin: input, timeout: 30)
            #expect(r.status == 0, "\(r)")
        }
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0, "no SIGPIPE left pending")
    }
}
