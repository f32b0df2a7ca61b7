#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// Copies bytes between the caller's stdin/stdout and a pty master while a process runs, with
/// poll(2) and a signalfd in one thread (silo stays single-threaded, so that it can still fork
/// and setns). Signals the caller has blocked arrive through the signalfd: SIGCHLD ends the
/// relay when `pid` exits, SIGWINCH copies the caller's window size to the pty (the kernel then
/// sends SIGWINCH to the pty's foreground job), SIGHUP (the caller's terminal is gone) is passed
/// on and hangs the pty up, and every other one is passed on to `pid` as SignalForwarder does.
public struct PtyRelay {
    public enum Outcome: Equatable {
        /// `pid` exited: its status as a shell reports it (128+signal).
        case exited(Int32)
        /// The detach keys were typed: `pid` runs on; the master is still the caller's.
        case detached
    }

    public var master: Int32
    public var pid: pid_t
    /// Read and sent to the pty; nil: nothing reads the caller's stdin.
    public var input: Int32?
    public var output: Int32 = 1
    /// Where the window size is read on SIGWINCH; nil: none is copied.
    public var windowSource: [Int32] = [0, 1, 2]
    public var detachKeys: DetachKeys?

    public init(master: Int32, pid: pid_t, input: Int32?) {
        self.master = master
        self.pid = pid
        self.input = input
    }

    /// The caller has `signals` (the forwarded ones and SIGCHLD) blocked. Errors only when the
    /// signalfd cannot be made, before anything was relayed.
    public mutating func run(signals: sigset_t) throws(SyscallError) -> Outcome {
        var set = signals
        let sigfd = signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        if sigfd < 0 { throw SyscallError.last("signalfd") }
        defer { close(sigfd) }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        var state = State(input: input)
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            var fds = [pollfd(fd: state.inputOpen && state.pending.isEmpty ? input ?? -1 : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: state.masterOpen ? master : -1, events: Int16(POLLIN) | (state.pending.isEmpty ? 0 : Int16(POLLOUT)), revents: 0),
                       pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 3, -1) < 0 {
                if errno == EINTR { continue }
                throw SyscallError.last("poll", "terminal relay")
            }
            if fds[2].revents != 0, let status = handleSignals(sigfd, &state) {
                drain(&buffer)
                return .exited(status)
            }
            if fds[1].revents & Int16(POLLOUT) != 0 { flushPending(&state) }
            if fds[1].revents & ~Int16(POLLOUT) != 0 && !copyOut(&buffer) { state.masterOpen = false }
            if fds[0].revents != 0, let input, readInput(input, &buffer, &state) { return .detached }
        }
    }

    struct State {
        var inputOpen: Bool
        var masterOpen = true
        /// Input read but not yet taken by the pty (its buffer was full).
        var pending: [UInt8] = []
        init(input: Int32?) { inputOpen = input != nil }
    }

    /// Returns `pid`'s status once it has exited.
    private func handleSignals(_ sigfd: Int32, _ state: inout State) -> Int32? {
        var info = signalfd_siginfo()
        while read(sigfd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            let sig = Int32(info.ssi_signo)
            switch sig {
            case SIGCHLD:
                var st: Int32 = 0
                if waitpid(pid, &st, WNOHANG) == pid { return ProcessWait.decode(st) }
            case SIGWINCH:
                copyWindowSize()
            case SIGHUP:
                // Nobody is left to type or read: hang the pty up too, so that a shell ends on
                // end of file even as the container's PID 1, which ignores a SIGHUP it has no
                // handler for. /dev/null takes the master's place: the caller still owns the fd.
                kill(pid, sig)
                state.inputOpen = false
                state.masterOpen = false
                state.pending = []
                let null = open("/dev/null", O_RDWR | O_CLOEXEC)
                if null >= 0 {
                    dup2(null, master)
                    close(null)
                }
            default:
                kill(pid, sig)
            }
        }
        return nil
    }

    public func copyWindowSize() {
        guard let size = TerminalMode.windowSize(windowSource) else { return }
        var ws = winsize(ws_row: size.rows, ws_col: size.columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = silo_ioctl_ptr(master, UInt(TIOCSWINSZ), &ws)
    }

    /// false once the pty has no slave open any more (EIO) or is gone.
    private func copyOut(_ buffer: inout [UInt8]) -> Bool {
        let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        if n > 0 {
            writeAll(output, buffer[0..<n])
            return true
        }
        return n < 0 && (errno == EAGAIN || errno == EINTR)
    }

    /// Returns true when the detach keys were typed.
    private mutating func readInput(_ fd: Int32, _ buffer: inout [UInt8], _ state: inout State) -> Bool {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return false }
        if n <= 0 {
            // The end of a piped stdin reads as end of file in the pty too (VEOF, ^D by
            // default, in canonical mode), as with `docker run -t -i < file`.
            state.inputOpen = false
            state.pending.append(0x04)
            flushPending(&state)
            return false
        }
        var bytes = Array(buffer[0..<n])
        if detachKeys != nil {
            switch detachKeys!.scan(bytes) {
            case .forward(let b): bytes = b
            case .detach(let before):
                state.pending += before
                flushPending(&state)
                return true
            }
        }
        state.pending += bytes
        flushPending(&state)
        return false
    }

    private func flushPending(_ state: inout State) {
        guard !state.pending.isEmpty else { return }
        let n = state.pending.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        if n > 0 {
            state.pending.removeFirst(n)
        } else if n < 0 && errno != EAGAIN && errno != EINTR {
            state.pending = []
        }
    }

    /// After `pid` exited: what its processes wrote last is still on its way through the tty
    /// layer. Read until the pty reports no slave (EIO) or is quiet for 100 ms: a process
    /// outside the container's PID namespace may hold the slave open for ever.
    private func drain(_ buffer: inout [UInt8]) {
        var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while poll(&p, 1, 100) > 0 {
            let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            writeAll(output, buffer[0..<n])
        }
    }

    /// Blocks until written; a terminal that went away drops the rest.
    private func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                rest = rest.dropFirst(n)
            } else if n < 0 && errno == EAGAIN {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, 1000)
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
