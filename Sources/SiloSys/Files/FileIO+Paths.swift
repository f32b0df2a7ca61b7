#if canImport(Glibc)
import Glibc
#endif

extension FileIO {
    /// Creates an empty file to bind a namespace onto; EEXIST when the name is taken.
    public static func createExclusive(_ path: String) throws(SyscallError) {
        let fd = retryingEINTR { Glibc.open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0) }
        if fd < 0 { throw SyscallError.last("create", path) }
        Glibc.close(fd)
    }

    public static func unlink(_ path: String) throws(SyscallError) {
        if Glibc.unlink(path) != 0 { throw SyscallError.last("unlink", path) }
    }

    /// An exclusive flock on a directory, held until the returned fd is closed.
    public static func lockExclusive(directory path: String) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = flock(fd, LOCK_EX) }
        return fd
    }

    /// True when `path` is mounted read-only (statvfs ST_RDONLY).
    public static func isReadOnlyMount(_ path: String) -> Bool {
        var s = statvfs()
        return statvfs(path, &s) == 0 && s.f_flag & UInt(ST_RDONLY) != 0
    }

    /// realpath(3): every symlink and `..` resolved, on the host.
    public static func realpath(_ path: String) throws(SyscallError) -> String {
        guard let p = Glibc.realpath(path, nil) else { throw SyscallError.last("realpath", path) }
        defer { free(p) }
        return String(cString: p)
    }
}
