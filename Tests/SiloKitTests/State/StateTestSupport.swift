import Foundation
import SiloSys

/// Temp directories and real child processes for the state tests.
enum StateTestSupport {
    static func tempDir(_ tag: String) -> String {
        let path = NSTemporaryDirectory() + "silo-state-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// A child (not reaped until `reap`) running argv, with default signal handling and an
    /// empty mask whatever the test runner blocked or ignored.
    static func spawn(_ argv: [String]) -> pid_t {
        var pid: pid_t = 0
        let rc = SpawnAttributes.withDefaultSignals { attr in
            CStringArray.with(argv) { a in posix_spawn(&pid, argv[0], nil, attr, UnsafeMutablePointer(mutating: a), environ) }
        }
        precondition(rc == 0, "spawn \(argv): \(rc)")
        return pid
    }

    /// The raw wait status.
    @discardableResult
    static func reap(_ pid: pid_t) -> Int32 {
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        return st
    }

    /// Waits until /proc says the child is a zombie (it exited, nobody reaped it yet).
    static func waitForZombie(_ pid: pid_t) -> Bool {
        for _ in 0..<500 {
            if let s = try? ProcStat.read(pid), s.state == "Z" { return true }
            usleep(10_000)
        }
        return false
    }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
    }
}
