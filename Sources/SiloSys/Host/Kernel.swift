#if canImport(Glibc)
import Glibc
#endif

/// What uname(2) and gethostname(2) say about the running kernel and host.
public enum Kernel {
    /// The release, e.g. "6.18.0-1-amd64"; "" when uname fails.
    public static func release() -> String {
        var u = utsname()
        guard uname(&u) == 0 else { return "" }
        return withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// (major, minor) of the release; (0, 0) when it cannot be read.
    public static func version() -> (major: Int, minor: Int) {
        let parts = release().split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : (0, 0)
    }

    /// The hostname of the caller's UTS namespace.
    public static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
