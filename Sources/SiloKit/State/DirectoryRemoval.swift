#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `rm -r` without following links: every directory is opened O_NOFOLLOW relative to its
/// parent's fd, so a link planted inside a container directory cannot redirect the removal.
enum DirectoryRemoval {
    static func remove(_ path: String) throws(SyscallError) {
        let fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 { throw SyscallError.last("open", path) }
        try removeContents(fd, path)
        if rmdir(path) != 0 && errno != ENOENT { throw SyscallError.last("rmdir", path) }
    }

    /// Empties the directory `fd` (closed on return).
    private static func removeContents(_ fd: Int32, _ path: String) throws(SyscallError) {
        guard let dir = fdopendir(fd) else {
            let e = SyscallError.last("fdopendir", path)
            close(fd)
            throw e
        }
        defer { closedir(dir) }
        for name in FileIO.names(in: dir) {
            if unlinkat(fd, name, 0) == 0 || errno == ENOENT { continue }
            guard errno == EISDIR else { throw SyscallError.last("unlink", path + "/" + name) }
            let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub < 0 { throw SyscallError.last("open", path + "/" + name) }
            try removeContents(sub, path + "/" + name)
            if unlinkat(fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT { throw SyscallError.last("rmdir", path + "/" + name) }
        }
    }
}
