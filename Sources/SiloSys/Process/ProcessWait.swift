#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

public enum ProcessWait {
    /// waitpid, retried on EINTR; the exit status as a shell reports it (128+signal).
    public static func status(of pid: pid_t) -> Int32 {
        var st: Int32 = 0
        let r = retryingEINTR { waitpid(pid, &st, 0) }
        if r < 0 { return 125 }
        return decode(st)
    }

    /// SIGKILL and reap: the one way to be sure a child that went wrong no longer runs.
    public static func killAndReap(_ pid: pid_t) {
        kill(pid, SIGKILL)
        _ = status(of: pid)
    }

    public static func decode(_ st: Int32) -> Int32 {
        if silo_wifexited(st) != 0 { return silo_wexitstatus(st) }
        if silo_wifsignaled(st) != 0 { return 128 + silo_wtermsig(st) }
        return 125
    }
}
