#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// One message the kernel sent back: its type and all its bytes, header included.
public struct NetlinkReply: Sendable {
    public var type: UInt16
    public var bytes: [UInt8]
}
