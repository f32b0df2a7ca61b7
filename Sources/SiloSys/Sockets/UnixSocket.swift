#if canImport(Glibc)
import Glibc
#endif

/// AF_UNIX stream sockets by path: the console socket engines (conmon, containerd's shim)
/// listen on and silo connects to.
public enum UnixSocket {
    /// A connected SOCK_STREAM socket (close-on-exec). Errors name the path.
    public static func connect(_ path: String) throws(SyscallError) -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SyscallError.last("socket", path) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                retryingEINTR { Glibc.connect(fd, a, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        if rc != 0 {
            let e = SyscallError.last("connect", path)
            close(fd)
            throw e
        }
        return fd
    }

    /// A listening SOCK_STREAM socket bound to `path` (close-on-exec), for tests and for a
    /// caller that plays the engine's side.
    public static func listen(_ path: String) throws(SyscallError) -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SyscallError.last("socket", path) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                bind(fd, a, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 || Glibc.listen(fd, 8) != 0 {
            let e = SyscallError.last(rc != 0 ? "bind" : "listen", path)
            close(fd)
            throw e
        }
        return fd
    }

    static func address(_ path: String) throws(SyscallError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        // sun_path holds at most 107 bytes and a NUL: a longer path would be cut, silently
        // naming another socket.
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw SyscallError("connect", errno: ENAMETOOLONG, object: path)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
        }
        return addr
    }
}
