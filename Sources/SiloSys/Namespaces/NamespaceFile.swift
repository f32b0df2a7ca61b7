#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// A namespace as a file (/proc/PID/ns/KIND, or an nsfs file bound elsewhere, as named network
/// namespaces are): open, enter (setns), identify, bind and detach it.
public enum NamespaceFile {
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

    public static func mkdir(_ path: String, mode: mode_t) throws(SyscallError) {
        if Glibc.mkdir(path, mode) != 0 && Glibc.errno != EEXIST { throw SyscallError.last("mkdir", path) }
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

    /// A detached sysfs mount for the calling thread's current network namespace
    /// (fsopen captures it), read-only, as an fd for move_mount.
    public static func detachedSysfs() throws(SyscallError) -> Int32 {
        try DetachedTree.fresh("sysfs", attributes: [.rdonly, .nosuid, .nodev, .noexec])
    }

}
