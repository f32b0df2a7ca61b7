#if canImport(Glibc)
import Glibc
#endif

public struct CloneFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let newTime = CloneFlags(rawValue: 0x0000_0080)
    public static let newNS = CloneFlags(rawValue: 0x0002_0000)
    public static let newCgroup = CloneFlags(rawValue: 0x0200_0000)
    public static let newUTS = CloneFlags(rawValue: 0x0400_0000)
    public static let newIPC = CloneFlags(rawValue: 0x0800_0000)
    public static let newUser = CloneFlags(rawValue: 0x1000_0000)
    public static let newPID = CloneFlags(rawValue: 0x2000_0000)
    public static let newNet = CloneFlags(rawValue: 0x4000_0000)
}

public struct MountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let rdonly = MountFlags(rawValue: 1)
    public static let nosuid = MountFlags(rawValue: 2)
    public static let nodev = MountFlags(rawValue: 4)
    public static let noexec = MountFlags(rawValue: 8)
    public static let remount = MountFlags(rawValue: 32)
    public static let bind = MountFlags(rawValue: 4096)
    public static let move = MountFlags(rawValue: 8192)
    public static let rec = MountFlags(rawValue: 16384)
    public static let `private` = MountFlags(rawValue: 1 << 18)
    public static let slave = MountFlags(rawValue: 1 << 19)
    public static let shared = MountFlags(rawValue: 1 << 20)
}

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

public enum AtFlags {
    public static let emptyPath: UInt32 = 0x1000
    public static let recursive: UInt32 = 0x8000
    public static let symlinkNoFollow: UInt32 = 0x100
}

public enum OpenTreeFlags {
    public static let clone: UInt32 = 1
    public static let cloexec: UInt32 = UInt32(O_CLOEXEC)
}

public enum MoveMountFlags {
    public static let fEmptyPath: UInt32 = 0x4
    public static let tEmptyPath: UInt32 = 0x40
}
