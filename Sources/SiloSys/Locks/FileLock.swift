#if canImport(Glibc)
import Glibc
#endif

public enum FileLock {
    /// An exclusive flock on the file `name` in the directory `dir` (made 0600 if missing); nil
    /// when another process holds it. The lock belongs to the open file description, so a
    /// forked child's copy holds it too, and the kernel drops it when the last copy closes.
    public static func tryLock(_ name: String, in dir: Int32, object: String) throws(SyscallError) -> Int32? {
        let fd = retryingEINTR { openat(dir, name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        if fd < 0 { throw SyscallError.last("open", object) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
        let e = SyscallError.last("flock", object)
        close(fd)
        if e.errno == EWOULDBLOCK { return nil }
        throw e
    }
}
