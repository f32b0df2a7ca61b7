#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// The caller's terminal modes, saved before an interactive session puts the terminal in raw
/// mode and put back afterwards: every byte (^C, ^Z, ^\ included) then goes to the container's
/// own pty, whose line discipline turns them into signals for the container's foreground job.
public struct TerminalMode {
    public let fd: Int32
    public let saved: termios
    /// What `makeRaw` set: the guard (TerminalGuard) restores only while the terminal still
    /// has exactly these modes, so it never undoes what the shell set after silo died.
    public private(set) var raw: termios

    /// nil when `fd` is no terminal.
    public init?(fd: Int32) {
        var t = termios()
        guard isatty(fd) != 0, tcgetattr(fd, &t) == 0 else { return nil }
        self.fd = fd
        saved = t
        raw = t
        cfmakeraw(&raw)
    }

    /// cfmakeraw(3): no echo, no line editing, no signals from keys, no output processing.
    /// TCSADRAIN: what silo printed before is written in the old modes.
    public func makeRaw() throws(SyscallError) {
        var r = raw
        if retryingEINTR({ tcsetattr(fd, TCSADRAIN, &r) }) != 0 { throw SyscallError.last("tcsetattr", "raw mode") }
    }

    /// Best effort: there is nobody left to tell when the terminal is gone.
    public func restore() {
        var s = saved
        _ = retryingEINTR { tcsetattr(fd, TCSADRAIN, &s) }
    }

    /// Whether the terminal's modes are still the raw ones this session set.
    public func isStillRaw() -> Bool {
        var now = termios()
        guard tcgetattr(fd, &now) == 0 else { return false }
        return now.c_iflag == raw.c_iflag && now.c_oflag == raw.c_oflag && now.c_lflag == raw.c_lflag
            && now.c_cflag == raw.c_cflag
    }

    /// The window size of the first of `fds` that is a terminal and knows one.
    public static func windowSize(_ fds: [Int32] = [0, 1, 2]) -> (rows: UInt16, columns: UInt16)? {
        for fd in fds {
            var ws = winsize()
            if silo_ioctl_ptr(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0 || ws.ws_col > 0 {
                return (ws.ws_row, ws.ws_col)
            }
        }
        return nil
    }
}
