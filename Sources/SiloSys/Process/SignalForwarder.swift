#if canImport(Glibc)
import Glibc
#endif

/// Waits for a child while passing the caller's blocked signals on to it: the parent of a
/// container and the `--init` reaper (PID 1) do the same thing, one reaping only its child,
/// the other every orphan.
public enum SignalForwarder {
    /// With `set` (the forwarded signals and SIGCHLD) blocked by the caller: passes every signal
    /// but SIGCHLD on to `pid`, reaps on SIGCHLD (every child when `reapAll`, else `pid` only)
    /// and returns `pid`'s status as a shell reports it (128+signal).
    public static func forward(to pid: pid_t, waitingOn set: sigset_t, reapAll: Bool) -> Int32 {
        var set = set
        while true {
            var info = siginfo_t()
            let sig = sigwaitinfo(&set, &info)
            if sig < 0 { continue }  // EINTR
            if sig != SIGCHLD {
                kill(pid, sig)
                continue
            }
            while true {
                var st: Int32 = 0
                let r = waitpid(reapAll ? -1 : pid, &st, WNOHANG)
                if r <= 0 { break }
                if r == pid { return ProcessWait.decode(st) }
            }
        }
    }
}
