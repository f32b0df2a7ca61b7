#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The per-container lock, exec.fifo, the files kept beside state.json, and the pid file.
extension ContainerStateStore {
    /// Runs `body` holding an exclusive flock on ROOT/ID (the directory itself), so that two
    /// silo processes never change one container at once. The flock belongs to the open file,
    /// which a cloned child shares: a `create` that clones while holding it must close the fd
    /// in the child, or the init holds the lock until it execs.
    public func withLock<R>(id: String, _ body: () throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        let fd = try lock(id: id)
        defer { close(fd) }
        return try body()
    }

    /// The lock's fd (close-on-exec); closing it releases the lock. Fails with does-not-exist
    /// when the container is gone, including when it was deleted while we waited for the lock.
    public func lock(id: String) throws(RuntimeError) -> Int32 {
        try Self.validate(id: id)
        let dir = directory(of: id)
        let fd = retryingEINTR { open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 {
            if errno == ENOENT { throw Self.doesNotExist(id) }
            throw RuntimeError(SyscallError.last("open", dir))
        }
        if retryingEINTR({ flock(fd, LOCK_EX) }) != 0 {
            let e = SyscallError.last("flock", dir)
            close(fd)
            throw RuntimeError(e)
        }
        // A directory removed while we waited has no links left: the holder deleted it.
        var st = stat()
        if fstat(fd, &st) != 0 || st.st_nlink == 0 {
            close(fd)
            throw Self.doesNotExist(id)
        }
        return fd
    }

    /// Makes ROOT/ID/exec.fifo, mode 0622 whatever the umask (the init opens it for writing
    /// as the container's user), owned by `owner` when given (the container's root on the
    /// host, as runc does).
    public func makeExecFifo(id: String, owner: (uid: uid_t, gid: gid_t)? = nil) throws(RuntimeError) {
        let path = fifoPath(of: id)
        if mkfifo(path, 0o622) != 0 { throw RuntimeError(SyscallError.last("mkfifo", path)) }
        if chmod(path, 0o622) != 0 { throw RuntimeError(SyscallError.last("chmod", path)) }
        if let owner, lchown(path, owner.uid, owner.gid) != 0 { throw RuntimeError(SyscallError.last("chown", path)) }
    }

    private static let oPath: Int32 = 0o10000000  // O_PATH (a _GNU_SOURCE macro Swift does not import)

    /// The init's handle on exec.fifo: an O_PATH fd opened before pivot_root (the path is not
    /// reachable afterwards). The init later blocks in open("/proc/self/fd/N", O_WRONLY) until
    /// `start` opens the other end, then writes one byte. Close-on-exec: the user's process
    /// must not inherit it.
    public func openExecFifoForInit(id: String) throws(RuntimeError) -> Int32 {
        let path = fifoPath(of: id)
        let fd = retryingEINTR { open(path, Self.oPath | O_CLOEXEC | O_NOFOLLOW) }
        if fd < 0 { throw RuntimeError(SyscallError.last("open", path)) }
        return fd
    }

    /// Whether exec.fifo exists: it does exactly while the container is "created".
    public func hasExecFifo(id: String) -> Bool {
        var st = stat()
        return lstat(fifoPath(of: id), &st) == 0
    }

    /// `start`'s side of the fifo: opens it for reading, waits for the init's byte or for the
    /// init to die (its pidfd), unlinks it. An init that died before start makes this fail
    /// instead of hanging, as runc's poll of /proc/PID/stat does.
    public func releaseExecFifo(id: String, initProcess: Pidfd, milliseconds: Int32 = -1) throws(RuntimeError) {
        let path = fifoPath(of: id)
        // Non-blocking: open for reading must not wait for a writer that may be dead.
        let fd = retryingEINTR { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW) }
        if fd < 0 {
            if errno == ENOENT { throw RuntimeError(.runtime, "cannot start a container that has already been started") }
            throw RuntimeError(SyscallError.last("open", path))
        }
        defer { close(fd) }
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: initProcess.fd, events: Int16(POLLIN), revents: 0)]
        while true {
            let r = poll(&fds, 2, milliseconds)
            if r < 0 && errno == EINTR { continue }
            if r < 0 { throw RuntimeError(SyscallError.last("poll", path)) }
            if r == 0 { throw RuntimeError(.runtime, "exec fifo \(path): the container's init did not answer") }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var byte: UInt8 = 0
                let n = retryingEINTR { read(fd, &byte, 1) }
                if n == 1 { break }
                if n < 0 && errno == EAGAIN { continue }
            }
            // A writer that opened and closed without a byte, or an init that exited.
            if fds[1].revents != 0 || fds[0].revents & Int16(POLLHUP) != 0 {
                throw RuntimeError(.runtime, "container init exited before start (pid \(initProcess.pid))")
            }
        }
        unlink(path)
    }

    /// Keeps a file of the container's own beside state.json (config.json, seccomp.bpf,
    /// process.json): written once at create, 0600, never over an existing file or a link.
    public func keep(_ name: String, _ bytes: [UInt8], id: String) throws(RuntimeError) {
        let path = directory(of: id) + "/" + name
        do { try FileIO.write(path, bytes: bytes, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o600) } catch {
            throw RuntimeError(error)
        }
    }

    /// A file `keep` wrote; nil when there is none (a record from before it was kept).
    public func kept(_ name: String, id: String, limit: Int = 1 << 20) throws(RuntimeError) -> [UInt8]? {
        let path = directory(of: id) + "/" + name
        do { return try RegularFile.read(path, limit: limit) } catch {
            if case .system(let e) = error, e.errno == ENOENT { return nil }
            throw RuntimeError(.runtime, "state of \(id): \(path): \(error.reason)")
        }
    }

    /// Writes the pid file as runc does: bare decimal digits, no newline, through a temp file
    /// beside it renamed over the name, so a reader never sees it empty or half-written.
    public static func writePidFile(_ path: String, pid: pid_t) throws(RuntimeError) {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tmp = (dir.isEmpty ? "" : dir) + "/." + base + ".tmp"
        var fd: Int32 = -1
        for _ in 0..<2 {
            fd = retryingEINTR { open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
            if fd >= 0 || errno != EEXIST { break }
            unlink(tmp)  // left by a silo killed between open and rename
        }
        if fd < 0 { throw RuntimeError(SyscallError.last("open", "pid file \(path)")) }
        do {
            try FileIO.writeAll(fd: fd, Array(String(pid).utf8), object: "pid file \(path)")
        } catch {
            close(fd)
            unlink(tmp)
            throw RuntimeError(error)
        }
        close(fd)
        if rename(tmp, path) != 0 {
            let e = SyscallError.last("rename", "pid file \(path)")
            unlink(tmp)
            throw RuntimeError(e)
        }
    }
}
