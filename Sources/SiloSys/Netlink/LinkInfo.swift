#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// One link from RTM_GETLINK.
public struct LinkInfo: Equatable, Sendable {
    public var index: Int32
    public var name: String
    public var flags: UInt32
    /// IFLA_INFO_KIND: "veth", "bridge"..., nil for physical and loopback devices.
    public var kind: String?
    /// The bridge this link is a port of (IFLA_MASTER).
    public var master: Int32?
    public var alias: String?
    /// The device group (IFLA_GROUP, `ip link ... group N`); 0 unless someone set one.
    public var group: UInt32 = 0
    public var isUp: Bool { flags & 1 != 0 }
    public init(index: Int32, name: String, flags: UInt32, kind: String? = nil, master: Int32? = nil, alias: String? = nil) {
        self.index = index
        self.name = name
        self.flags = flags
        self.kind = kind
        self.master = master
        self.alias = alias
    }
}
