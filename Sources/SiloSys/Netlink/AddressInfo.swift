#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// One address from RTM_GETADDR.
public struct AddressInfo: Equatable, Sendable {
    public var index: Int32
    public var network: IPNetwork
    public init(index: Int32, network: IPNetwork) {
        self.index = index
        self.network = network
    }
}
