#if canImport(Glibc)
import Glibc
#endif

/// pipe(2) with both ends close-on-exec (pipe2 is a _GNU_SOURCE name Swift does not see).
public enum PipePair {
    public static func make(_ object: String = "") throws(SyscallError) -> (read: Int32, write: Int32) {
        var p: [Int32] = [-1, -1]
        if pipe(&p) != 0 { throw SyscallError.last("pipe", object) }
        for fd in p where fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 {
            let e = SyscallError.last("fcntl(FD_CLOEXEC)", object)
            close(p[0])
            close(p[1])
            throw e
        }
        return (p[0], p[1])
    }
}
