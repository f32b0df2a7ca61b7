#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// The kernel calls behind named network namespaces: setns, unshare, bind mounts of nsfs
/// files, and a sysfs made inside a namespace.
public enum NetNamespace {
    /// The calling thread's own netns (thread-self: correct even if other threads exist).
    public static let currentPath = "/proc/thread-self/ns/net"

    public static func open(_ path: String) throws(SyscallError) -> Int32 {
        let fd = retryingEINTR { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw SyscallError.last("open", path) }
        return fd
    }

    /// setns(2) into the namespace `fd` refers to; `kind` must be its kind (CLONE_NEWNET for
    /// a time namespace fails with EINVAL).
    public static func enter(_ fd: Int32, _ kind: NamespaceKind = .net, name: String) throws(SyscallError) {
        if silo_setns(fd, kind.cloneFlag.rawValue) != 0 { throw SyscallError.last("setns", name) }
    }

    public static func unshare(_ flags: CloneFlags) throws(SyscallError) {
        if silo_unshare(flags.rawValue) != 0 { throw SyscallError.last("unshare") }
    }

    public static func identity(_ path: String) throws(SyscallError) -> NamespaceID {
        let st = try FileIO.stat(path)
        return NamespaceID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    public static func identity(fd: Int32, object: String) throws(SyscallError) -> NamespaceID {
        var st = Glibc.stat()
        if fstat(fd, &st) != 0 { throw SyscallError.last("fstat", object) }
        return NamespaceID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    public static func mount(_ source: String, on target: String, type: String?, flags: MountFlags) throws(SyscallError) {
        if Glibc.mount(source, target, type, flags.rawValue, nil) != 0 {
            let e = SyscallError.last("mount")
            let what = type.flatMap { $0 == "none" ? nil : $0 } ?? (source.isEmpty ? nil : source)
            throw SyscallError("mount", errno: e.errno, object: what.map { "\($0) on \(target)" } ?? target)
        }
    }

    /// umount2(MNT_DETACH); the errno, or 0.
    @discardableResult
    public static func detach(_ target: String) -> Int32 {
        umount2(target, Int32(MNT_DETACH)) == 0 ? 0 : Glibc.errno
    }

    /// Creates an empty file to bind a namespace onto; EEXIST when the name is taken.
    public static func createExclusive(_ path: String) throws(SyscallError) {
        let fd = retryingEINTR { Glibc.open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0) }
        if fd < 0 { throw SyscallError.last("create", path) }
        Glibc.close(fd)
    }

    public static func unlink(_ path: String) throws(SyscallError) {
        if Glibc.unlink(path) != 0 { throw SyscallError.last("unlink", path) }
    }

    public static func mkdir(_ path: String, mode: mode_t) throws(SyscallError) {
        if Glibc.mkdir(path, mode) != 0 && Glibc.errno != EEXIST { throw SyscallError.last("mkdir", path) }
    }

    /// An exclusive flock on a directory, held until the returned fd is closed.
    public static func lockDirectory(_ path: String) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = flock(fd, LOCK_EX) }
        return fd
    }

    /// A detached bind mount of the nsfs file at `path` (open_tree with OPEN_TREE_CLONE), for
    /// `attach`: the namespace is held by the fd alone until then, so a process killed in
    /// between leaves nothing.
    public static func detachedBind(_ path: String) throws(SyscallError) -> Int32 {
        let fd = silo_open_tree(AT_FDCWD, path, OpenTreeFlags.clone | OpenTreeFlags.cloexec)
        if fd < 0 { throw SyscallError.last("open_tree", path) }
        return fd
    }

    /// move_mount of a detached tree onto `target`.
    public static func attach(tree fd: Int32, on target: String) throws(SyscallError) {
        if silo_move_mount(fd, "", AT_FDCWD, target, MoveMountFlags.fEmptyPath) != 0 { throw SyscallError.last("move_mount", target) }
    }

    /// The device of nsfs, which every namespace file shares (no statfs in Swift's Glibc
    /// module to read NSFS_MAGIC with).
    static func nsfsDevice() -> UInt64? { try? identity("/proc/self/ns/net").device }

    /// Whether a namespace's nsfs file is bound at `path`.
    public static func isBound(_ path: String) -> Bool {
        guard let id = try? identity(path) else { return false }
        return id.device == nsfsDevice()
    }

    /// Whether `fd` is a namespace's nsfs file.
    public static func isNamespace(fd: Int32) -> Bool {
        guard let id = try? identity(fd: fd, object: "") else { return false }
        return id.device == nsfsDevice()
    }

    /// True when `path` is mounted read-only (statvfs ST_RDONLY).
    public static func isReadOnly(_ path: String) -> Bool {
        var s = statvfs()
        return statvfs(path, &s) == 0 && s.f_flag & UInt(ST_RDONLY) != 0
    }

    /// A detached sysfs mount for the calling thread's current network namespace
    /// (fsopen captures it), read-only, as an fd for move_mount.
    public static func detachedSysfs() throws(SyscallError) -> Int32 {
        try DetachedTree.fresh("sysfs", attributes: [.rdonly, .nosuid, .nodev, .noexec])
    }

    /// execvp: PATH search as the shell does it. Returns only on failure.
    public static func execvp(_ argv: [String]) -> SyscallError {
        var code: Int32 = 0
        CStringArray.with(argv) { cargv in
            _ = Glibc.execvp(argv[0], cargv)
            code = Glibc.errno
        }
        return SyscallError("exec", errno: code, object: argv[0])
    }

    /// Numeric entries of /proc.
    public static func processIDs() -> [Int32] {
        ((try? FileIO.list("/proc")) ?? []).compactMap { Int32($0) }
    }

    /// The short command name of a process (/proc/PID/comm), or "".
    public static func command(of pid: Int32) -> String {
        guard let s = try? FileIO.read("/proc/\(pid)/comm", limit: 64) else { return "" }
        return s.hasSuffix("\n") ? String(s.dropLast()) : s
    }
}
