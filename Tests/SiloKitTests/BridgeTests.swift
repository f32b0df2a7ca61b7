import Testing
@testable import SiloKit
import SiloSys
import SiloSysTesting

/// `Bridge.attach` over a fake rtnetlink: find or make silo's bridge, label it, address it, bring it up.
@Suite struct BridgeTests {
    static func bridge(_ name: String, index: Int32 = 7, up: Bool = true, ours: Bool = true) -> LinkInfo {
        LinkInfo(index: index, name: name, flags: up ? 1 : 0, kind: "bridge", alias: ours ? Bridge.alias : nil)
    }

    @Test func aMissingBridgeIsMadeLabelledAddressedAndUp() throws {
        let kernel = FakeNetlinkKernel()
        let a = try Bridge.attach(Netlink(transport: kernel), name: "silo-t0", requested: nil)
        let made = try #require(kernel.link(named: "silo-t0"))
        #expect(made.kind == "bridge" && made.alias == Bridge.alias && made.isUp)
        #expect(a.index == made.index && a.gateway.description == "10.88.0.1/16")
        #expect(kernel.addresses == [AddressInfo(index: made.index, network: try #require(IPNetwork("10.88.0.1/16")))])
    }

    @Test func aBridgeLeftInSilosGroupWithoutItsAliasIsFinished() throws {
        var half = Self.bridge("silo-t5", up: false, ours: false)
        half.group = Bridge.deviceGroup
        let kernel = FakeNetlinkKernel(links: [half])
        let a = try Bridge.attach(Netlink(transport: kernel), name: "silo-t5", requested: nil)
        let made = try #require(kernel.link(named: "silo-t5"))
        #expect(made.alias == Bridge.alias && made.isUp && a.gateway.description == "10.88.0.1/16")
        #expect(kernel.addresses == [AddressInfo(index: 7, network: try #require(IPNetwork("10.88.0.1/16")))])
    }

    @Test func silosOwnBridgeIsReusedWithItsSubnet() throws {
        let kernel = FakeNetlinkKernel(links: [Self.bridge("silo-t1")])
        kernel.addresses = [AddressInfo(index: 7, network: try #require(IPNetwork("10.89.0.1/24")))]
        let a = try Bridge.attach(Netlink(transport: kernel), name: "silo-t1", requested: nil)
        #expect(a.gateway.description == "10.89.0.1/24")
        #expect(!kernel.requests.contains { $0.type == RT.newLink || $0.type == RT.newAddr })
    }

    @Test func aLinkThatIsNoBridgeIsRefused() {
        let kernel = FakeNetlinkKernel(links: [LinkInfo(index: 3, name: "eth9", flags: 1, kind: "veth")])
        #expect(throws: RuntimeError.self) { try Bridge.attach(Netlink(transport: kernel), name: "eth9", requested: nil) }
        #expect(kernel.link(named: "eth9")?.kind == "veth")
    }

    @Test func anotherSubnetThanTheBridgesIsRefused() throws {
        let kernel = FakeNetlinkKernel(links: [Self.bridge("silo-t2")])
        kernel.addresses = [AddressInfo(index: 7, network: try #require(IPNetwork("10.89.0.1/24")))]
        do {
            _ = try Bridge.attach(Netlink(transport: kernel), name: "silo-t2", requested: IPNetwork("10.90.0.1/24"))
            Issue.record("no error")
        } catch {
            #expect(error.code == .usage && error.message.contains("its subnet is 10.89.0.1/24"), "\(error)")
        }
    }

    @Test func aDownSiloBridgeIsBroughtUpAndSomeoneElsesIsNot() throws {
        let ours = FakeNetlinkKernel(links: [Self.bridge("silo-t3", up: false)])
        ours.addresses = [AddressInfo(index: 7, network: try #require(IPNetwork("10.89.0.1/24")))]
        _ = try Bridge.attach(Netlink(transport: ours), name: "silo-t3", requested: nil)
        #expect(ours.link(named: "silo-t3")?.isUp == true)

        let theirs = FakeNetlinkKernel(links: [Self.bridge("br-x", up: false, ours: false)])
        theirs.addresses = ours.addresses
        #expect(throws: RuntimeError.self) { try Bridge.attach(Netlink(transport: theirs), name: "br-x", requested: nil) }
        #expect(theirs.link(named: "br-x")?.isUp == false)
    }

    @Test func aBridgeItMadeIsDeletedWhenItsAddressFails() {
        let kernel = FakeNetlinkKernel()
        kernel.failures = [(RT.newAddr, 13)]
        #expect(throws: RuntimeError.self) { try Bridge.attach(Netlink(transport: kernel), name: "silo-t4", requested: nil) }
        #expect(kernel.link(named: "silo-t4") == nil)
    }
}
