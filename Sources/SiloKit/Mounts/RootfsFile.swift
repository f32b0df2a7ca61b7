#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// Reading a file of the rootfs as host root, before the container exists: the rootfs is not
/// trusted, so its path is resolved inside it, as the container would see it, never on the host.
/// `/etc/passwd -> /etc/shadow` then names the rootfs's own shadow file, `../../..` stops at its
/// root, and /proc/self/fd-style magic links are refused.
public enum RootfsFile {
    /// The size above which a file is refused: ten thousand times a big passwd file, and small
    /// enough that silo never holds much of a hostile rootfs in memory.
    public static let sizeLimit = 4 << 20

    static let oPath: Int32 = 0o10000000  // O_PATH, hidden behind _GNU_SOURCE in Swift's Glibc
    static let resolveNoMagicLinks: UInt64 = 0x02  // RESOLVE_NO_MAGICLINKS
    static let resolveInRoot: UInt64 = 0x10  // RESOLVE_IN_ROOT

    /// The contents of `path` (relative to the rootfs's root), or nil when nothing is there.
    /// Anything other than a regular file of at most `limit` bytes is an error: it is opened
    /// O_PATH first and checked with fstat, so that a FIFO cannot hang silo and a device node
    /// is never opened (opening some devices acts, as /dev/watchdog does).
    public static func read(_ path: String, in rootfs: String, limit: Int = sizeLimit) throws(RuntimeError) -> String? {
        let what = "rootfs \(rootfs == "/" ? "" : rootfs)/\(path)"
        let root = retryingEINTR { open(rootfs, oPath | O_DIRECTORY | O_CLOEXEC) }
        if root < 0 { throw RuntimeError(SyscallError.last("open", "rootfs \(rootfs)")) }
        defer { close(root) }
        let fd = retryingEINTR {
            FileIO.openat2(root, path, flags: oPath | O_CLOEXEC, resolve: resolveInRoot | resolveNoMagicLinks)
        }
        if fd < 0 {
            let e = SyscallError.last("openat2", what)
            if e.errno == ENOENT { return nil }
            throw RuntimeError(e)
        }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw RuntimeError(SyscallError.last("fstat", what)) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw RuntimeError(.runtime, "\(what): not a regular file (\(RegularFile.kind(st.st_mode)))")
        }
        if st.st_size > limit { throw RuntimeError(.runtime, "\(what): larger than \(limit >> 20) MiB") }
        // The O_PATH fd pins the inode just checked: reopening it through /proc cannot land on
        // something swapped in meanwhile.
        let data = retryingEINTR { open("/proc/self/fd/\(fd)", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
        if data < 0 { throw RuntimeError(SyscallError.last("open", what)) }
        defer { close(data) }
        let bytes: [UInt8]
        do throws(SyscallError) { bytes = try FileIO.readAll(fd: data, limit: limit + 1, object: what) } catch { throw RuntimeError(error) }
        if bytes.count > limit { throw RuntimeError(.runtime, "\(what): larger than \(limit >> 20) MiB") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
