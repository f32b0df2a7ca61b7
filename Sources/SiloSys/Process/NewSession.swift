#if canImport(Glibc)
import Glibc
#endif

/// A forked process that must outlive its caller's terminal (the monitor of `run -d`, the pty
/// holder of a detached `exec -it`, the terminal guard of `-t`) leaves the caller's session
/// with setsid(2). Until it has, it is in the caller's process group, so a hangup, ^C or ^Z at
/// the caller's terminal in that window would reach it too: the parent blocks the terminal's
/// signals across fork, and the child, once it leads its own session, drops whichever of them
/// arrived meanwhile.
///
///     let mask = NewSession.blockTerminalSignals()
///     if fork() == 0 { NewSession.begin(restoring: mask); ... }
///     NewSession.restore(mask)
public enum NewSession {
    /// What a terminal sends its foreground process group.
    public static let terminalSignals: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU]

    /// Blocks `terminalSignals`; returns the mask before.
    public static func blockTerminalSignals() -> sigset_t {
        var set = sigset_t(), previous = sigset_t()
        sigemptyset(&set)
        for s in terminalSignals { sigaddset(&set, s) }
        sigprocmask(SIG_BLOCK, &set, &previous)
        return previous
    }

    public static func restore(_ mask: sigset_t) {
        var mask = mask
        sigprocmask(SIG_SETMASK, &mask, nil)
    }

    /// In the child: setsid, then the pending terminal signals discarded (setting SIG_IGN drops
    /// a pending signal; the disposition is put back, since a launcher reads it for its child),
    /// then `mask` as the signal mask.
    public static func begin(restoring mask: sigset_t) {
        _ = setsid()
        var pending = sigset_t()
        sigpending(&pending)
        for s in terminalSignals where sigismember(&pending, s) == 1 {
            signal(s, signal(s, SIG_IGN))
        }
        restore(mask)
    }
}
