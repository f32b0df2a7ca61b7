import Testing
@testable import SiloKit
import SiloSys
import SiloSysTesting

/// The part of `--network bridge` that runs inside the container's netns, over a fake
/// rtnetlink: eth0 gets its address and comes up; a default route only when asked.
@Suite struct ContainerNetworkTests {
    static func kernel() -> FakeNetlinkKernel {
        FakeNetlinkKernel(links: [LinkInfo(index: 1, name: "lo", flags: 0), LinkInfo(index: 2, name: "eth0", flags: 0, kind: "veth")])
    }

    @Test func eth0GetsItsAddressAndComesUp() throws {
        let k = Self.kernel()
        let address = try #require(IPNetwork("10.88.0.5/16"))
        try ContainerNetwork.configureInside(Netlink(transport: k), address: address,
                                             gateway: try #require(IPAddress("10.88.0.1")), defaultRoute: false)
        #expect(k.addresses == [AddressInfo(index: 2, network: address)])
        #expect(k.link(named: "eth0")?.isUp == true)
        #expect(k.link(named: "lo")?.isUp == false)
        #expect(k.routes.isEmpty)
    }

    @Test func aDefaultRouteOnlyWhenAsked() throws {
        let k = Self.kernel()
        try ContainerNetwork.configureInside(Netlink(transport: k), address: try #require(IPNetwork("10.88.0.5/16")),
                                             gateway: try #require(IPAddress("10.88.0.1")), defaultRoute: true)
        #expect(k.routes.map(\.prefixLength) == [0])
    }

    @Test func noEth0IsAnErrorNamingIt() throws {
        let k = FakeNetlinkKernel()
        let e = #expect(throws: SyscallError.self) {
            try ContainerNetwork.configureInside(Netlink(transport: k), address: try #require(IPNetwork("10.88.0.5/16")),
                                                 gateway: try #require(IPAddress("10.88.0.1")), defaultRoute: true)
        }
        #expect(e?.object == "eth0")
        #expect(k.addresses.isEmpty)
    }
}
