#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// A process file descriptor (pidfd_open(2)): it names one process for as long as it is open,
/// so a signal sent through it can never reach a process that reused the pid. The fd is closed
/// when the value goes away.
public final class Pidfd {
    public let pid: pid_t
    public let fd: Int32

    private init(pid: pid_t, fd: Int32) {
        self.pid = pid
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    /// ESRCH when no such process exists (a zombie still does), EINVAL for a thread that is not a
    /// thread-group leader.
    public static func open(_ pid: pid_t) throws(SyscallError) -> Pidfd {
        guard pid > 0 else { throw SyscallError("pidfd_open", errno: ESRCH, object: "pid \(pid)") }
        let fd = silo_pidfd_open(pid, 0)
        if fd < 0 { throw SyscallError.last("pidfd_open", "pid \(pid)") }
        // pidfd_open sets close-on-exec itself.
        return Pidfd(pid: pid, fd: fd)
    }

    /// pidfd_send_signal(2); ESRCH once the process has exited (even if not yet reaped).
    public func signal(_ signal: Int32) throws(SyscallError) {
        if silo_pidfd_send_signal(fd, signal, 0) != 0 { throw SyscallError.last("pidfd_send_signal", "pid \(pid)") }
    }

    /// Waits until the process has exited (the pidfd polls readable then, reaped or not).
    /// True when it did within `milliseconds` (negative: no limit).
    public func waitForExit(milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&p, 1, milliseconds)
            if r > 0 { return true }
            if r == 0 { return false }
            if Glibc.errno != EINTR { return false }
        }
    }

    /// Whether the process has exited, without waiting.
    public var hasExited: Bool { waitForExit(milliseconds: 0) }
}
