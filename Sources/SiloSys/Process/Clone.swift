#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// clone(2) into new namespaces, the two ways silo's launcher uses it.
public enum Clone {
    /// A fork-like clone (SIGCHLD as exit signal): 0 in the child. Only while the caller has
    /// exactly one thread (docs/architecture.md, "The thread rule").
    public static func fork(_ flags: CloneFlags) throws(SyscallError) -> pid_t {
        let pid = silo_clone(UInt(flags.rawValue))
        if pid < 0 { throw SyscallError.last("clone") }
        return pid
    }

    /// `fork(_:)` with the child born in a cgroup2 directory (clone3 CLONE_INTO_CGROUP): no
    /// write to cgroup.procs afterwards, whose global lock waits for an RCU grace period after
    /// an idle spell (~12 ms here, docs/performance.md). ENOSYS before Linux 5.7.
    public static func fork(_ flags: CloneFlags, intoCgroup cgroupFD: Int32) throws(SyscallError) -> pid_t {
        let pid = silo_clone3_into_cgroup(UInt(flags.rawValue), cgroupFD)
        if pid < 0 { throw SyscallError.last("clone3", "CLONE_INTO_CGROUP") }
        return pid
    }

    /// clone(2) with CLONE_VM: `entry(argument)` runs on `stackTop` in the caller's memory until
    /// it execs or exits. The pid, or -1 and the errno, read at once (before anything can change it).
    public static func sharingMemory(_ flags: CloneFlags, stackTop: UnsafeMutableRawPointer,
                                     entry: @convention(c) (UnsafeMutableRawPointer) -> Int32,
                                     argument: UnsafeMutableRawPointer) -> (pid: pid_t, errno: Int32) {
        let pid = silo_clone_vm(UInt(flags.rawValue), stackTop, entry, argument)
        return (pid, pid < 0 ? errno : 0)
    }
}
