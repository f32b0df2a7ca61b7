#if canImport(Glibc)
import Glibc
#endif

/// Small-file reads and writes without Foundation (kept off the start-up path).
public enum FileIO {
    public static func read(_ path: String, limit: Int = 1 << 20) throws(SyscallError) -> String {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { throw SyscallError.last("open", path) }
        defer { close(fd) }
        return String(decoding: try readAll(fd: fd, limit: limit, object: path), as: UTF8.self)
    }

    public static func readAll(fd: Int32, limit: Int = 1 << 20, object: String = "") throws(SyscallError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { b in retryingEINTR { Glibc.read(fd, b.baseAddress, b.count) } }
            if n < 0 { throw SyscallError.last("read", object) }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    public static func write(_ path: String, _ contents: String, flags: Int32 = O_WRONLY | O_CLOEXEC | O_TRUNC, mode: mode_t = 0o644) throws(SyscallError) {
        try write(path, bytes: Array(contents.utf8), flags: flags, mode: mode)
    }

    public static func write(_ path: String, bytes: [UInt8], flags: Int32 = O_WRONLY | O_CLOEXEC | O_TRUNC, mode: mode_t = 0o644) throws(SyscallError) {
        let fd = retryingEINTR { open(path, flags, mode) }
        if fd < 0 { throw SyscallError.last("open", path) }
        defer { close(fd) }
        try writeAll(fd: fd, bytes, object: path)
    }

    public static func writeAll(fd: Int32, _ bytes: [UInt8], object: String = "") throws(SyscallError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { b in retryingEINTR { Glibc.write(fd, b.baseAddress! + off, b.count - off) } }
            if n < 0 { throw SyscallError.last("write", object) }
            off += n
        }
    }

    public static func exists(_ path: String) -> Bool {
        var st = Glibc.stat()
        return fstatat(AT_FDCWD, path, &st, 0) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = Glibc.stat()
        return fstatat(AT_FDCWD, path, &st, 0) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func stat(_ path: String) throws(SyscallError) -> Glibc.stat {
        var st = Glibc.stat()
        if fstatat(AT_FDCWD, path, &st, 0) != 0 { throw SyscallError.last("stat", path) }
        return st
    }

    public static func lstat(_ path: String) throws(SyscallError) -> Glibc.stat {
        var st = Glibc.stat()
        if Glibc.lstat(path, &st) != 0 { throw SyscallError.last("lstat", path) }
        return st
    }

    /// The names in a directory, without "." and "..".
    public static func list(_ path: String) throws(SyscallError) -> [String] {
        guard let dir = opendir(path) else { throw SyscallError.last("opendir", path) }
        defer { closedir(dir) }
        return names(in: dir)
    }

    /// The names an open directory stream reads, without "." and ".." (the stream stays open).
    public static func names(in dir: OpaquePointer) -> [String] {
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func readlink(_ path: String) throws(SyscallError) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = Glibc.readlink(path, &buf, buf.count - 1)
        if n < 0 { throw SyscallError.last("readlink", path) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
