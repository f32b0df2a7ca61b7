#if canImport(Glibc)
import Glibc
#endif

/// Collects a child's stdout and stderr, and feeds its stdin, through pipes driven by poll(2):
/// no threads. Spawn runs it to the end; the demo in steps, with a deadline of its own. The pump
/// owns the fds it is given and closes each at EOF (or on `closeAll`).
public struct PipePump {
    public private(set) var stdout: [UInt8] = []
    public private(set) var stderr: [UInt8] = []
    /// A write to stdin hit EPIPE: the child exited without reading all of its input (and
    /// SIGPIPE was raised, if the caller had not blocked or ignored it).
    public private(set) var raisedPipeSignal = false
    private var fds: [pollfd]
    private let input: [UInt8]
    private var written = 0
    private var buffer: [UInt8]

    public enum Step: Equatable {
        /// Something was read or written, or poll timed out with pipes still open.
        case progress
        /// poll failed (not EINTR): nothing more will come.
        case failed
    }

    /// `stdin` (the write end, made non-blocking by the caller) is fed `input`, then closed.
    public init(stdout: Int32, stderr: Int32, stdin: Int32 = -1, input: [UInt8] = [], bufferSize: Int = 65536) {
        fds = [pollfd(fd: stdout, events: Int16(POLLIN), revents: 0),
               pollfd(fd: stderr, events: Int16(POLLIN), revents: 0),
               pollfd(fd: input.isEmpty ? -1 : stdin, events: Int16(POLLOUT), revents: 0)]
        if input.isEmpty && stdin >= 0 { close(stdin) }
        self.input = input
        buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    public var stdoutOpen: Bool { fds[0].fd >= 0 }
    public var stderrOpen: Bool { fds[1].fd >= 0 }

    /// One poll round of at most `timeoutMillis` (-1: until something happens).
    public mutating func step(timeoutMillis: Int32) -> Step {
        let r = poll(&fds, nfds_t(fds.count), timeoutMillis)
        if r < 0 { return errno == EINTR ? .progress : .failed }
        if r == 0 { return .progress }
        for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
            let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
            if n > 0 {
                if i == 0 { stdout += buffer[0..<n] } else { stderr += buffer[0..<n] }
            } else if n == 0 || errno != EINTR {
                close(fds[i].fd)
                fds[i].fd = -1
            }
        }
        if fds[2].fd >= 0 && fds[2].revents != 0 {
            let n = input.withUnsafeBytes { write(fds[2].fd, $0.baseAddress! + written, $0.count - written) }
            if n > 0 { written += n } else if errno == EPIPE { raisedPipeSignal = true }
            let again = n < 0 && (errno == EAGAIN || errno == EINTR)
            if (n <= 0 && !again) || written == input.count {
                close(fds[2].fd)
                fds[2].fd = -1
            }
        }
        return .progress
    }

    /// Closes whatever is still open: a child blocked on a full pipe then gets EPIPE instead of
    /// waiting forever.
    public mutating func closeAll() {
        for i in fds.indices where fds[i].fd >= 0 {
            close(fds[i].fd)
            fds[i].fd = -1
        }
    }
}
