#if canImport(Glibc)
import Glibc
#endif

/// The signals silo passes on to the container: the parent forwards them to the container's
/// PID 1 (Launch/Launcher.swift) and the `--init` reaper to the command (Init/Reaper.swift).
/// SIGCHLD is not among them: both wait on it to reap.
enum ForwardedSignals {
    static let all: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]

    /// These and SIGCHLD: the set a forwarding parent blocks, then waits on.
    static var withChild: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in all + [SIGCHLD] { sigaddset(&set, s) }
        return set
    }
}
