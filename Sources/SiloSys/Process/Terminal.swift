#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

public enum Terminal {
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    /// Whether the process has a controlling terminal: /dev/tty opens (ENXIO: none). Any other
    /// failure counts as having one, the cautious answer.
    public static func hasControllingTerminal() -> Bool {
        let fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        if fd >= 0 {
            close(fd)
            return true
        }
        return errno != ENXIO
    }

    /// The terminal's width in columns, nil when `fd` is no terminal or reports 0.
    public static func columns(of fd: Int32) -> Int? {
        var ws = winsize()
        guard silo_ioctl_ptr(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 else { return nil }
        return Int(ws.ws_col)
    }
}
