#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

public enum AbstractSocketLock {
    /// Binds an abstract unix socket named `name`; nil when another process holds it.
    public static func tryLock(_ name: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { return nil }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8.prefix(100))
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            p[0] = 0  // abstract namespace
            for (i, b) in bytes.enumerated() { p[i + 1] = b }
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        if r != 0 {
            close(fd)
            return nil
        }
        return fd
    }
}
