#if canImport(Glibc)
import Glibc
#endif

/// A device node or FIFO made inside a container's /dev (OCI `linux.devices`): mknodat in a
/// directory already resolved inside the new root, then the config's mode (not the umask's)
/// and owner. A file already there is replaced: the config names what the path must be.
public enum DeviceNode {
    /// `type`: S_IFCHR, S_IFBLK or S_IFIFO.
    public static func make(in dir: Int32, name: String, type: UInt32, mode: UInt32, major: UInt64, minor: UInt64,
                            uid: UInt32, gid: UInt32, object: String) throws(SyscallError) {
        // <sys/sysmacros.h> makedev, which Swift does not import.
        let dev = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32)
        if mknodat(dir, name, mode_t(type | (mode & 0o7777)), dev_t(dev)) != 0 {
            guard errno == EEXIST, unlinkat(dir, name, 0) == 0, mknodat(dir, name, mode_t(type | (mode & 0o7777)), dev_t(dev)) == 0 else {
                throw SyscallError.last("mknod", object)
            }
        }
        if fchmodat(dir, name, mode_t(mode & 0o7777), 0) != 0 { throw SyscallError.last("chmod", object) }
        if fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw SyscallError.last("chown", object) }
    }
}
