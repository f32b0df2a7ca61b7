#if canImport(Glibc)
import Glibc
#endif
import CSiloShim
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
        _ = silo_prctl(Prctl.setDumpable, 0, 0, 0, 0)
        var set = sigset_t()
        sigemptyset(&set)
        for s in Launcher.forwardedSignals + [SIGCHLD] { sigaddset(&set, s) }
        while true {
            var info = siginfo_t()
            let sig = sigwaitinfo(&set, &info)
            if sig < 0 { continue }
            if sig != SIGCHLD {
                kill(pid, sig)
                continue
            }
            while true {
                var st: Int32 = 0
                let r = waitpid(-1, &st, WNOHANG)
                if r <= 0 { break }
                if r == pid { silo_exit(ProcessWait.decode(st)) }
            }
        }
    }
}
