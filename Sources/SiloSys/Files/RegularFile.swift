#if canImport(Glibc)
import Glibc
#endif

/// A file named on the command line (`--env-file`, `--seccomp`), read whole or refused: a FIFO
/// would block silo forever, a device such as /dev/zero never ends, and a file cut at a limit
/// would be used half-read.
public enum RegularFile {
    public enum Failure: Error, Equatable {
        case system(SyscallError)
        /// Not a regular file: what it is instead ("a FIFO", "a directory").
        case notRegular(String)
        /// Larger than the limit (bytes).
        case tooLarge(limit: Int)

        /// The cause, in the user's terms: `a FIFO, not a regular file`.
        public var reason: String {
            switch self {
            case .system(let e): e.reason
            case .notRegular(let kind): "\(kind), not a regular file"
            case .tooLarge(let limit): "larger than \(RegularFile.describe(bytes: limit)), the limit"
            }
        }
    }

    /// The whole file, at most `limit` bytes. O_NONBLOCK makes the open of a FIFO without a
    /// writer return at once; the type is checked on the opened fd, so nothing can be swapped in
    /// between the check and the read.
    public static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        if fd < 0 { throw .system(SyscallError.last("open", path)) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw .system(SyscallError.last("fstat", path)) }
        if st.st_mode & S_IFMT != S_IFREG { throw .notRegular(kind(st.st_mode)) }
        if Int(st.st_size) > limit { throw .tooLarge(limit: limit) }
        // One byte past the limit tells a file that grew since the fstat from one that ends there.
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(fd: fd, limit: limit + 1, object: path) } catch { throw .system(error) }
        if bytes.count > limit { throw .tooLarge(limit: limit) }
        return bytes
    }

    /// What a non-regular file is, for messages ("a FIFO, not a regular file").
    public static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    static func describe(bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
