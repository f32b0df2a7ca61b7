#if canImport(Glibc)
import Glibc
#endif

public enum AtFlags {
    public static let emptyPath: UInt32 = 0x1000
    public static let recursive: UInt32 = 0x8000
}

public enum OpenTreeFlags {
    public static let clone: UInt32 = 1
    public static let cloexec: UInt32 = UInt32(O_CLOEXEC)
}

public enum MoveMountFlags {
    public static let fEmptyPath: UInt32 = 0x4
    public static let tEmptyPath: UInt32 = 0x40
}
