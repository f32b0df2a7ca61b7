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
    /// Not a namespace: the parent sleeps until the child's execve or exit (vfork's handshake).
    public static let vfork = CloneFlags(rawValue: 0x0000_4000)
}
