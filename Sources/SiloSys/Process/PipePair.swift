#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// pipe2(O_CLOEXEC): both ends close-on-exec from the start (pipe2 is a _GNU_SOURCE name
/// Swift's Glibc does not show, hence the shim).
public enum PipePair {
    public static func make(_ object: String = "") throws(SyscallError) -> (read: Int32, write: Int32) {
        var p: [Int32] = [-1, -1]
        if silo_pipe2(&p, O_CLOEXEC) != 0 { throw SyscallError.last("pipe2", object) }
        return (p[0], p[1])
    }
}
