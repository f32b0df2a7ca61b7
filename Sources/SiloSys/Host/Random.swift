#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

public enum Random {
    /// `count` bytes from getrandom(2).
    public static func bytes(_ count: Int) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: count)
        _ = b.withUnsafeMutableBytes { silo_getrandom($0.baseAddress!, count) }
        return b
    }
}
