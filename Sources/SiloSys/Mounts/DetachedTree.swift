#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// Mounts that exist only as a file descriptor, attached nowhere: made by host root in the
/// parent, then moved into a container with move_mount(2), or used in place through *at()
/// calls. Their fds are close-on-exec.
public enum DetachedTree {
    /// A recursive copy of the mount tree at `path` (open_tree with OPEN_TREE_CLONE), made
    /// read-only on every mount of the copy when asked; the host's own mounts are untouched.
    public static func clone(_ path: String, readOnly: Bool) throws(SyscallError) -> Int32 {
        let fd = silo_open_tree(AT_FDCWD, path, OpenTreeFlags.clone | OpenTreeFlags.cloexec | AtFlags.recursive)
        if fd < 0 { throw SyscallError.last("open_tree", path) }
        if readOnly && silo_mount_setattr(fd, "", AtFlags.emptyPath | AtFlags.recursive, MountAttr.rdonly.rawValue, 0, 0, 0) != 0 {
            let e = SyscallError.last("mount_setattr(MOUNT_ATTR_RDONLY)", path)
            close(fd)
            throw e
        }
        return fd
    }

    /// A new instance of a file system (fsopen, fsconfig CREATE, fsmount) with mount
    /// attributes. The instance belongs to the caller's namespaces: mqueue to its IPC
    /// namespace, sysfs to its network namespace, proc to its PID namespace.
    public static func fresh(_ fsType: String, attributes: MountAttr) throws(SyscallError) -> Int32 {
        let fs = silo_fsopen(fsType, 1 /* FSOPEN_CLOEXEC */)
        if fs < 0 { throw SyscallError.last("fsopen", fsType) }
        defer { close(fs) }
        if silo_fsconfig(fs, 6 /* FSCONFIG_CMD_CREATE */, nil, nil, 0) != 0 { throw SyscallError.last("fsconfig(CREATE)", fsType) }
        let mnt = silo_fsmount(fs, 1 /* FSMOUNT_CLOEXEC */, UInt32(truncatingIfNeeded: attributes.rawValue))
        if mnt < 0 { throw SyscallError.last("fsmount", fsType) }
        return mnt
    }
}
