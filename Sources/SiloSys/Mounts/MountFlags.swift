#if canImport(Glibc)
import Glibc
#endif

public struct MountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let rdonly = MountFlags(rawValue: 1)
    public static let nosuid = MountFlags(rawValue: 2)
    public static let nodev = MountFlags(rawValue: 4)
    public static let noexec = MountFlags(rawValue: 8)
    public static let bind = MountFlags(rawValue: 4096)
    public static let move = MountFlags(rawValue: 8192)
    public static let rec = MountFlags(rawValue: 16384)
    public static let `private` = MountFlags(rawValue: 1 << 18)
    public static let slave = MountFlags(rawValue: 1 << 19)
    public static let shared = MountFlags(rawValue: 1 << 20)
}
