#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

extension Pidfd {
    /// setns(2) through the pidfd (Linux 5.8): every namespace in `kinds` of the process at
    /// once, atomically (all or none), the user namespace first whatever the order. The caller
    /// must be single-threaded for the user and mount namespaces; the PID and time namespaces
    /// apply to its children, not to itself.
    public func enterNamespaces(_ kinds: CloneFlags) throws(SyscallError) {
        if silo_setns(fd, kinds.rawValue) != 0 { throw SyscallError.last("setns", "pid \(pid)") }
    }
}
