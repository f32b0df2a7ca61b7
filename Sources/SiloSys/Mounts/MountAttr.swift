#if canImport(Glibc)
import Glibc
#endif

/// mount_setattr(2) attributes.
public struct MountAttr: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static let rdonly = MountAttr(rawValue: 0x1)
    public static let nosuid = MountAttr(rawValue: 0x2)
    public static let nodev = MountAttr(rawValue: 0x4)
    public static let noexec = MountAttr(rawValue: 0x8)
    public static let idmap = MountAttr(rawValue: 0x0010_0000)
}
