#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// A unicast route: `destination/prefixLength` (nil: default), `via gateway`, `dev outputIndex`.
public struct RouteInfo: Equatable, Sendable {
    public var destination: IPAddress?
    public var prefixLength: Int
    public var gateway: IPAddress?
    public var outputIndex: Int32?
    public var table: UInt32
    public init(destination: IPAddress?, prefixLength: Int, gateway: IPAddress?, outputIndex: Int32?, table: UInt32) {
        self.destination = destination
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.outputIndex = outputIndex
        self.table = table
    }
}
