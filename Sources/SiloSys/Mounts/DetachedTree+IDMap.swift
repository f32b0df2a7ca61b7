#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

extension DetachedTree {
    /// Idmaps a detached tree with the user namespace of `pid` (its maps must be written). The
    /// call name stays `mount_setattr(MOUNT_ATTR_IDMAP)`: RuntimeError.explain matches on it.
    public static func idmap(_ fd: Int32, userNamespaceOf pid: pid_t, object: String) throws(SyscallError) {
        let nsPath = "/proc/\(pid)/ns/user"
        let userns = open(nsPath, O_RDONLY | O_CLOEXEC)
        if userns < 0 { throw SyscallError.last("open", nsPath) }
        defer { close(userns) }
        if silo_mount_setattr(fd, "", AtFlags.emptyPath | AtFlags.recursive, MountAttr.idmap.rawValue, 0, 0, UInt64(userns)) != 0 {
            throw SyscallError.last("mount_setattr(MOUNT_ATTR_IDMAP)", object)
        }
    }
}
