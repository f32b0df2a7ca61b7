#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// A short-lived forked child of the demo that does one thing in namespaces of its own
/// (unshare, setns) and reports bytes back through a pipe; the demo itself never changes
/// namespace.
enum DemoProbe {
    static func run(_ body: () -> [UInt8]) -> [UInt8]? {
        guard let (r, w) = try? PipePair.make("probe") else { return nil }
        let p = [r, w]
        let pid = fork()
        if pid < 0 {
            Glibc.close(p[0])
            Glibc.close(p[1])
            return nil
        }
        if pid == 0 {
            Glibc.close(p[0])
            try? FileIO.writeAll(fd: p[1], body())
            Exit.now(0)
        }
        Glibc.close(p[1])
        let bytes = try? FileIO.readAll(fd: p[0])
        Glibc.close(p[0])
        let status = ProcessWait.status(of: pid)
        return status == 0 ? bytes : nil
    }
}
