#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// Keeps the pty master of a detached `exec -it` open: closing the last master fd hangs the
/// terminal up, which sends SIGHUP to the process's session. A forked process in a session of
/// its own reads and drops what the process writes, so it never blocks on a full pty (docker's
/// daemon drains a detached exec the same way: nothing keeps an exec's output, nothing can
/// attach to it again; docs/terminals.md), and exits when the last slave closes (EIO).
/// Signals are its own again (the relay had them blocked): SIGTERM ends it, hanging the pty up.
public enum PtyHolder {
    /// Returns the holder's pid (nobody waits for it: it is reparented when silo exits).
    public static func start(master: Int32) throws(SyscallError) -> pid_t {
        let previous = NewSession.blockTerminalSignals()
        let pid = fork()
        if pid != 0 {
            let e = SyscallError.last("fork", "pty holder")
            NewSession.restore(previous)
            if pid < 0 { throw e }
            return pid
        }
        // Out of the caller's session before its hangup can reach it (silo exec returns at
        // once, and its caller's terminal may close right away); then no signal blocked: the
        // relay's blocked set is not the holder's.
        var none = sigset_t()
        sigemptyset(&none)
        NewSession.begin(restoring: none)
        let fd = master == 3 ? 3 : dup2(master, 3)
        _ = silo_close_range(4, UInt32.max, 0)
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            for target: Int32 in 0...2 { dup2(null, target) }
            if null > 2 { close(null) }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 || (n < 0 && errno != EINTR) { break }
        }
        Exit.now(0)
    }
}
