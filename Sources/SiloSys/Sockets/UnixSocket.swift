#if canImport(Glibc)
import Glibc
#endif

/// AF_UNIX stream sockets by path: the console socket engines (conmon, containerd's shim)
/// listen on and silo connects to; and the socket pairs silo makes before clone.
public enum UnixSocket {
    /// A connected pair of SOCK_SEQPACKET sockets, both close-on-exec: (silo's end, the
    /// child's end) of a sync channel or of a console socket that silo itself answers.
    /// Errors name `object` (none: "").
    public static func seqpacketPair(object: String = "") throws(SyscallError) -> (Int32, Int32) {
        var socks: [Int32] = [-1, -1]
        if socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &socks) != 0 {
            throw SyscallError.last("socketpair", object)
        }
        return (socks[0], socks[1])
    }

    /// A connected socket (close-on-exec) of `type` (SOCK_STREAM unless said). Errors name
    /// `object`, the path by default (a caller that shortened a long path names the real one).
    /// `timeout` (ms) bounds a connect that waits for room in a listener's full backlog (its
    /// owner stopped accepting): EAGAIN then. The socket is blocking again afterwards.
    public static func connect(_ path: String, type: Int32 = Int32(SOCK_STREAM.rawValue),
                               object: String? = nil, timeout: Int32? = nil) throws(SyscallError) -> Int32 {
        let name = object ?? path
        var addr = try address(path)
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SyscallError.last("socket", name) }
        if let timeout { sendTimeout(fd, ms: timeout) }
        defer { if timeout != nil { sendTimeout(fd, ms: 0) } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                retryingEINTR { Glibc.connect(fd, a, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        if rc != 0 {
            let e = SyscallError.last("connect", name)
            close(fd)
            throw e
        }
        return fd
    }

    private static func sendTimeout(_ fd: Int32, ms: Int32) {
        var tv = timeval(tv_sec: Int(ms / 1000), tv_usec: Int(ms % 1000) * 1000)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A listening socket of `type` bound to `path` (close-on-exec), for tests and for a caller
    /// that plays the engine's side. With `umask`, that umask is in force around bind(2), so
    /// the socket file never has a wider mode (the caller is single-threaded).
    public static func listen(_ path: String, type: Int32 = Int32(SOCK_STREAM.rawValue), backlog: Int32 = 8,
                              umask bindMask: mode_t? = nil, object: String? = nil) throws(SyscallError) -> Int32 {
        let name = object ?? path
        var addr = try address(path)
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SyscallError.last("socket", name) }
        let old = bindMask.map { umask($0) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                bind(fd, a, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if let old { umask(old) }
        if rc != 0 || Glibc.listen(fd, backlog) != 0 {
            let e = SyscallError.last(rc != 0 ? "bind" : "listen", name)
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
