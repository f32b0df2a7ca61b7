#if canImport(Glibc)
import Glibc
#endif

/// The few file operations the cgroup layer needs, behind a protocol so that unit tests can run
/// the whole layer against a fake cgroupfs tree in a temporary directory.
public protocol CgroupFS: Sendable {
    func read(_ path: String) throws(SyscallError) -> String
    /// One value, written in one write(2): cgroupfs parses each write on its own.
    func write(_ path: String, _ value: String) throws(SyscallError)
    func mkdir(_ path: String) throws(SyscallError)
    func rmdir(_ path: String) throws(SyscallError)
    /// Names in a directory (files and subdirectories), without "." and "..".
    func list(_ path: String) throws(SyscallError) -> [String]
    func isDirectory(_ path: String) -> Bool
    func exists(_ path: String) -> Bool
    /// statfs(2)'s f_type: CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC or TMPFS_MAGIC for /sys/fs/cgroup.
    func filesystemType(_ path: String) throws(SyscallError) -> Int64
    /// (major, minor) of a block or character device node.
    func deviceNumber(_ path: String) throws(SyscallError) -> (major: UInt32, minor: UInt32)
    func kill(_ pid: Int32, signal: Int32) throws(SyscallError)
    func sleep(microseconds: UInt32)
}

public enum CgroupMagic {
    public static let cgroup2: Int64 = 0x6367_7270
    public static let cgroup1: Int64 = 0x0027_e0eb
    public static let tmpfs: Int64 = 0x0102_1994
}

/// The real thing: plain open/read/write/mkdir/rmdir on the host's cgroupfs.
public struct HostCgroupFS: CgroupFS {
    public init() {}

    public func read(_ path: String) throws(SyscallError) -> String { try FileIO.read(path, limit: 1 << 20) }

    public func write(_ path: String, _ value: String) throws(SyscallError) {
        // No O_CREAT: a control file that does not exist means the controller is not there, and
        // creating a regular file in cgroupfs is refused anyway.
        try FileIO.write(path, value, flags: O_WRONLY | O_CLOEXEC | O_TRUNC)
    }

    public func mkdir(_ path: String) throws(SyscallError) {
        if Glibc.mkdir(path, 0o755) != 0 { throw SyscallError.last("mkdir", path) }
    }

    public func rmdir(_ path: String) throws(SyscallError) {
        if Glibc.rmdir(path) != 0 { throw SyscallError.last("rmdir", path) }
    }

    public func list(_ path: String) throws(SyscallError) -> [String] { try FileIO.list(path) }
    public func isDirectory(_ path: String) -> Bool { FileIO.isDirectory(path) }
    public func exists(_ path: String) -> Bool { FileIO.exists(path) }

    public func filesystemType(_ path: String) throws(SyscallError) -> Int64 {
        // struct statfs is 120 bytes on 64-bit Linux and starts with f_type (a long).
        var buf = [Int64](repeating: 0, count: 32)
        let r = buf.withUnsafeMutableBytes { silo_cgroup_statfs(path, $0.baseAddress!) }
        if r != 0 { throw SyscallError.last("statfs", path) }
        return buf[0]
    }

    public func deviceNumber(_ path: String) throws(SyscallError) -> (major: UInt32, minor: UInt32) {
        let st = try FileIO.stat(path)
        let kind = st.st_mode & S_IFMT
        if kind != S_IFBLK && kind != S_IFCHR { throw SyscallError("stat", errno: ENOTBLK, object: path) }
        let dev = UInt64(st.st_rdev)
        // glibc's gnu_dev_major/minor, spelled out: they are inline functions Swift does not import everywhere.
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        return (UInt32(truncatingIfNeeded: major), UInt32(truncatingIfNeeded: minor))
    }

    public func kill(_ pid: Int32, signal: Int32) throws(SyscallError) {
        if Glibc.kill(pid, signal) != 0 { throw SyscallError.last("kill", "\(pid)") }
    }

    public func sleep(microseconds: UInt32) { _ = usleep(microseconds) }
}


// <sys/statfs.h> is not in Swift's Glibc module, and the shim header belongs to the refactor under
// way (issue 10): until a `silo_statfs` joins it, glibc's statfs is bound by name. Two pointer
// arguments and an int result pass the same way under Swift's and C's conventions on x86-64 and
// arm64.
@_silgen_name("statfs")
private func silo_cgroup_statfs(_ path: UnsafePointer<CChar>, _ buf: UnsafeMutableRawPointer) -> Int32
