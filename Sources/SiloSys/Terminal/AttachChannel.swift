#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// The socket between a detached container's monitor, which holds its pty master, and
/// `silo attach` (docs/terminals.md, "Attach"). AF_UNIX SOCK_SEQPACKET: every send is one
/// message, so the framing is one leading byte per message and nothing has to be reassembled.
///
///   monitor → attach: `h` + flags (bit 0: the container has stdin, -i; without it the
///                     monitor drops typed input), once, first;
///                     `o` + bytes the container wrote; `x` + its exit status (decimal);
///                     `b` + text: refused (another attach is connected).
///   attach → monitor: `i` + bytes typed; `w` + rows, columns (2 bytes each, big endian).
///
/// The container's exit reaches the client as `x`, then end of file once the monitor has
/// recorded it and exited; detaching is the client closing its end.
public enum AttachChannel {
    public static let socketName = "attach.sock"
    /// The largest message: what one read of the master or of stdin gives, and its type byte.
    public static let maxMessage = 16385

    public enum Kind: UInt8 {
        case hello = 0x68, output = 0x6F, exit = 0x78, busy = 0x62
        case input = 0x69, window = 0x77
    }

    /// Bound to `path` with mode 0600 (the umask is narrowed around bind(2): no moment with a
    /// wider mode), listening, close-on-exec and non-blocking (accept must never block the
    /// monitor). The caller is single-threaded.
    public static func listen(_ path: String) throws(SyscallError) -> Int32 {
        let (short, dir) = try shortened(path)
        defer { if dir >= 0 { close(dir) } }
        return try UnixSocket.listen(short, type: Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                                     backlog: 4, umask: 0o177, object: path)
    }

    /// How long `silo attach` waits for the monitor, to connect and for its hello (ms). A live
    /// monitor answers at once from its poll loop; one that is stopped or stuck never does.
    public static let answerTimeout: Int32 = 5000

    /// Connected, close-on-exec, blocking; EAGAIN after `answerTimeout` when the listener's
    /// backlog is full (its monitor does not accept).
    public static func connect(_ path: String) throws(SyscallError) -> Int32 {
        let (short, dir) = try shortened(path)
        defer { if dir >= 0 { close(dir) } }
        return try UnixSocket.connect(short, type: Int32(SOCK_SEQPACKET.rawValue), object: path, timeout: answerTimeout)
    }

    /// sun_path holds 107 bytes, and a state root of 30 (`--root /tmp/...`) plus the 64-digit id
    /// is past it: a longer path is reached through its directory's fd, /proc/self/fd/N/NAME.
    /// Returns the path to use and the fd to close afterwards (-1: none).
    static func shortened(_ path: String) throws(SyscallError) -> (String, Int32) {
        guard path.utf8.count >= MemoryLayout.size(ofValue: sockaddr_un().sun_path), let slash = path.lastIndex(of: "/") else { return (path, -1) }
        let directory = String(path[..<slash])
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw SyscallError.last("open", directory) }
        return ("/proc/self/fd/\(fd)/" + path[path.index(after: slash)...], fd)
    }

    /// The next client, close-on-exec and non-blocking (Glibc's accept4 is not visible to
    /// Swift; the monitor is single-threaded, so nothing can exec in between). -1: none.
    public static func accept(_ listener: Int32) -> Int32 {
        let fd = Glibc.accept(listener, nil, nil)
        if fd >= 0 {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return fd
    }

    /// One message; false when the peer is gone (or the socket is full and `fd` non-blocking:
    /// a client that does not read loses output rather than stalling the container).
    @discardableResult
    public static func send(_ kind: Kind, _ payload: some Collection<UInt8>, to fd: Int32) -> Bool {
        let message = [kind.rawValue] + Array(payload)
        let n = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return n == message.count || (n < 0 && errno == EAGAIN)
    }

    public static func window(rows: UInt16, columns: UInt16) -> [UInt8] {
        [UInt8(rows >> 8), UInt8(rows & 0xFF), UInt8(columns >> 8), UInt8(columns & 0xFF)]
    }

    public static func window(from payload: ArraySlice<UInt8>) -> (rows: UInt16, columns: UInt16)? {
        guard payload.count == 4 else { return nil }
        let b = Array(payload)
        return (UInt16(b[0]) << 8 | UInt16(b[1]), UInt16(b[2]) << 8 | UInt16(b[3]))
    }

    /// TIOCSWINSZ on the master: the kernel sends SIGWINCH to the pty's foreground job.
    public static func setWindowSize(_ master: Int32, _ size: (rows: UInt16, columns: UInt16)) {
        var ws = winsize(ws_row: size.rows, ws_col: size.columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = silo_ioctl_ptr(master, UInt(TIOCSWINSZ), &ws)
    }
}
