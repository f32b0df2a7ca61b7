#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `--init`: PID 1 stays a small reaper and the command runs as its child, so that signals
/// reach the command (a PID 1 without handlers ignores them) and orphans are reaped.
enum Reaper {
    /// Returns in the command's process; never returns in the reaper.
    static func start(syncFD: Int32, ignoredSignals: UInt64) throws(SyscallError) {
        let pid = fork()
        if pid < 0 { throw SyscallError.last("fork", "init") }
        if pid == 0 {
            try LinuxSyscalls().resetSignals(ignored: ignoredSignals)
            return
        }
        close(syncFD)  // the command's exec alone now decides what the parent reads
        try? LinuxSyscalls().setDumpable(false)
        var set = sigset_t()
        sigemptyset(&set)
        for s in ForwardedSignals.all + [SIGCHLD] { sigaddset(&set, s) }
        Exit.now(SignalForwarder.forward(to: pid, waitingOn: set, reapAll: true))
    }
}
