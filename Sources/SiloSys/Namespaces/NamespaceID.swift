#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// A namespace's identity: the device and inode of its nsfs file, as `stat` on
/// /proc/PID/ns/net or on a bind mount of it shows them.
public struct NamespaceID: Hashable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
    public var description: String { "net:[\(inode)]" }
}
