#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `--init`: PID 1 stays a small reaper and the command runs as its child, so that signals
/// reach the command (a PID 1 without handlers ignores them) and orphans are reaped.
enum Reaper {
    /// Returns in the command's process; never returns in the reaper.
    static func start(syncFD: Int32, ignoredSignals: UInt64, terminal: Bool = false) throws(SyscallError) {
        let pid = fork()
        if pid < 0 { throw SyscallError.last("fork", "init") }
        if pid == 0 {
            // -t: the command's process group is the pty's foreground one, as tini makes it, so
            // that ^C reaches the command once (not also the reaper, which would forward it).
            if terminal { try foreground() }
            try LinuxSyscalls().resetSignals(ignored: ignoredSignals)
            return
        }
        close(syncFD)  // the command's exec alone now decides what the parent reads
        try? LinuxSyscalls().setDumpable(false)
        let set = ForwardedSignals.withChild
        Exit.now(SignalForwarder.forward(to: pid, waitingOn: set, reapAll: true))
    }

    /// A process group of its own made the terminal's foreground one; SIGTTOU (sent to a
    /// background group that changes its terminal) is ignored for the call.
    private static func foreground() throws(SyscallError) {
        if setpgid(0, 0) != 0 { throw SyscallError.last("setpgid", "init") }
        let previous = signal(SIGTTOU, SIG_IGN)
        defer { signal(SIGTTOU, previous) }
        if tcsetpgrp(0, getpid()) != 0 { throw SyscallError.last("tcsetpgrp", "init") }
    }
}
