#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// `silo attach`'s side of AttachChannel: relays the caller's stdin and stdout to a detached
/// container's pty through its monitor, with the caller's terminal raw for the session (and a
/// TerminalGuard, as TerminalSession), the window size sent at once and on every SIGWINCH.
/// Single-threaded: poll(2) over stdin, the socket and a signalfd.
public struct AttachRelay {
    public enum Outcome: Equatable {
        /// The container exited while attached: its status.
        case exited(Int32)
        /// The detach keys were typed, or silo attach got SIGHUP/SIGTERM (or SIGINT without
        /// stdin): the container runs on.
        case detached
        /// The monitor refused (another attach is connected): its reason.
        case refused(String)
        /// The monitor went away without an exit status (killed).
        case lost
        /// The monitor took the connection but sent no hello within AttachChannel.answerTimeout
        /// (stopped, or stuck): nothing was relayed.
        case unanswered
    }

    public var socket: Int32
    /// false (--no-stdin): stdin is neither read nor made raw.
    public var readInput: Bool
    public var detachKeys: DetachKeys?

    public init(socket: Int32, readInput: Bool, detachKeys: DetachKeys?) {
        self.socket = socket
        self.readInput = readInput
        self.detachKeys = detachKeys
    }

    /// The signals the relay takes over (blocked for its run, through a signalfd).
    static let handled: [Int32] = [SIGWINCH, SIGHUP, SIGTERM, SIGINT, SIGQUIT]

    public mutating func run() throws(SyscallError) -> Outcome {
        var buffer = [UInt8](repeating: 0, count: AttachChannel.maxMessage)
        // The monitor's first message: hello with the container's -i, or busy; bounded, as
        // a monitor that never answers would hold the caller here for ever.
        var hello = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let waited = retryingEINTR { poll(&hello, 1, AttachChannel.answerTimeout) }
        if waited < 0 { throw SyscallError.last("poll", "attach socket") }
        if waited == 0 { return .unanswered }
        let n = buffer.withUnsafeMutableBytes { b in retryingEINTR { recv(socket, b.baseAddress, b.count, 0) } }
        if n < 0 { throw SyscallError.last("recv", "attach socket") }
        if n == 0 { return .lost }
        if buffer[0] == AttachChannel.Kind.busy.rawValue { return .refused(String(decoding: buffer[1..<n], as: UTF8.self)) }
        // Read (and raw) even for a container without -i, whose monitor drops what is typed:
        // the detach keys must still work.
        let input = readInput
        var set = sigset_t()
        sigemptyset(&set)
        for s in Self.handled { sigaddset(&set, s) }
        var previous = sigset_t()
        sigprocmask(SIG_BLOCK, &set, &previous)
        defer { sigprocmask(SIG_SETMASK, &previous, nil) }
        let sigfd = signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        if sigfd < 0 { throw SyscallError.last("signalfd") }
        defer { close(sigfd) }
        sendWindowSize()
        let raw = TerminalGuard.rawSession(enabled: input)
        defer { raw.end() }
        return relay(input: input, sigfd: sigfd, &buffer)
    }

    private mutating func relay(input: Bool, sigfd: Int32, _ buffer: inout [UInt8]) -> Outcome {
        var inputOpen = input
        var status: Int32?
        while true {
            var fds = [pollfd(fd: inputOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: status == nil ? sigfd : -1, events: Int16(POLLIN), revents: 0)]
            // After the exit status, the end of file says the monitor recorded it and exited.
            let rc = poll(&fds, 3, status == nil ? -1 : 5000)
            if rc < 0 { if errno == EINTR { continue }; return status.map { .exited($0) } ?? .lost }
            if rc == 0, let status { return .exited(status) }
            if fds[2].revents != 0 && signalsSayDetach(sigfd, input: input) { return .detached }
            if fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return status.map { .exited($0) } ?? .lost }
                switch AttachChannel.Kind(rawValue: buffer[0]) {
                case .output?: Self.writeAll(1, buffer[1..<n])
                case .exit?: status = Int32(String(decoding: buffer[1..<n], as: UTF8.self)) ?? 125
                default: break
                }
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count - 1) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 {
                    // A piped stdin's end reads as end of file in the pty (VEOF), as with run -it.
                    inputOpen = false
                    AttachChannel.send(.input, [0x04], to: socket)
                    continue
                }
                var bytes = Array(buffer[0..<n])
                if detachKeys != nil {
                    switch detachKeys!.scan(bytes) {
                    case .forward(let b): bytes = b
                    case .detach(let before):
                        if !before.isEmpty { AttachChannel.send(.input, before, to: socket) }
                        return .detached
                    }
                }
                if !bytes.isEmpty { AttachChannel.send(.input, bytes, to: socket) }
            }
        }
    }

    /// SIGWINCH sends the new size; SIGHUP and SIGTERM detach, and so do SIGINT and SIGQUIT
    /// when the terminal is not raw (without stdin; raw, ^C is a byte for the container).
    private func signalsSayDetach(_ sigfd: Int32, input: Bool) -> Bool {
        var info = signalfd_siginfo()
        var detach = false
        while read(sigfd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            if Int32(info.ssi_signo) == SIGWINCH { sendWindowSize() } else { detach = true }
        }
        return detach
    }

    private func sendWindowSize() {
        guard let size = TerminalMode.windowSize() else { return }
        AttachChannel.send(.window, AttachChannel.window(rows: size.rows, columns: size.columns), to: socket)
    }

    private static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { rest = rest.dropFirst(n) } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }
}
