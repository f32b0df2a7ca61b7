import Testing
@testable import SiloKit
import SiloSys
#if canImport(Glibc)
import Glibc
#endif

/// Names `silo netns` refuses before touching the system, device names and bridge subnets.
@Suite struct NetnsNameTests {
    @Test func validNames() {
        for ok in ["red", "a", "x.y", "-all", "with space", "ünïcode", String(repeating: "n", count: 255), "..."] {
            #expect(NamedNetns.invalidReason(ok) == nil, "\(ok)")
        }
    }

    @Test func invalidNames() {
        for bad in ["", ".", "..", "a/b", "/", "../x", String(repeating: "n", count: 256), "nul\0byte"] {
            #expect(NamedNetns.invalidReason(bad) != nil, "\(bad)")
        }
        // 255 bytes, not characters: 128 two-byte characters are 256 bytes.
        #expect(NamedNetns.invalidReason(String(repeating: "é", count: 128)) != nil)
    }

    @Test func deviceNames() {
        #expect(VirtualNetwork.invalidDeviceName("veth0") == nil)
        #expect(VirtualNetwork.invalidDeviceName(String(repeating: "v", count: 15)) == nil)
        for bad in ["", ".", "..", "a/b", "a b", "a:b", String(repeating: "v", count: 16)] {
            #expect(VirtualNetwork.invalidDeviceName(bad) != nil, "\(bad)")
        }
    }

    @Test func bridgeSubnets() throws {
        #expect(try Bridge.parseSubnet("10.89.0.0/16").description == "10.89.0.1/16")
        #expect(try Bridge.parseSubnet("10.200.7.1/24").description == "10.200.7.1/24")
        #expect(try Bridge.parseSubnet(Bridge.defaultSubnet).description == "10.88.0.1/16")
        for bad in ["10.89.0.0/31", "10.0.0.0/4", "fd00::/64", "nonsense", "10.89.0.0"] {
            #expect(throws: RuntimeError.self, "\(bad)") { try Bridge.parseSubnet(bad) }
        }
    }

}

/// Container addresses on a bridge: the lowest free one, held by an abstract socket for as long
/// as the fd is open (no netlink needed: the lock is the allocation).
@Suite struct BridgeAllocationTests {
    @Test func lowestFreeAddressUnderALock() throws {
        let name = "silo-unit-\(UInt32.random(in: 0...UInt32.max))"
        let gw = try #require(IPNetwork("10.200.42.1/29"))
        let bridge = Bridge.Attachment(name: name, index: 1, gateway: gw, lock: nil)
        let first = try Bridge.allocate(on: bridge)
        #expect(first.address.description == "10.200.42.2/29")
        let second = try Bridge.allocate(on: bridge)
        #expect(second.address.description == "10.200.42.3/29")
        close(first.lock)
        let again = try Bridge.allocate(on: bridge)
        #expect(again.address.description == "10.200.42.2/29")
        // A /29 holds 8 addresses: network, bridge and broadcast leave 5 for containers.
        var held = [second.lock, again.lock]
        for _ in 0..<3 { held.append(try Bridge.allocate(on: bridge).lock) }
        #expect(throws: RuntimeError.self) { try Bridge.allocate(on: bridge) }
        for fd in held { close(fd) }
    }
}
