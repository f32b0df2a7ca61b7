import Testing
@testable import SiloSys

/// The requests silo sends, byte for byte against what iproute2 6.1 sends for the same
/// command (captured with `strace -e sendmsg -xx ip ...`), header seq aside.
@Suite struct NetlinkMessageTests {
    /// type, flags and everything after the 16-byte header; length checked against the bytes.
    func body(_ m: NetlinkMessage) -> (type: UInt16, flags: UInt16, payload: [UInt8]) {
        var msg = m
        msg.finish(seq: 7)
        let b = msg.bytes
        #expect(Int(b.loadLE(UInt32.self, at: 0)) == b.count)
        #expect(b.loadLE(UInt32.self, at: 8) == 7)
        return (b.loadLE(UInt16.self, at: 4), b.loadLE(UInt16.self, at: 6), Array(b[16...]))
    }

    @Test func linkUp() {
        // ip link set veth0 up (ifindex 3)
        let m = body(NetlinkRequest.setLink(index: 3, up: true))
        #expect(m.type == 16 && m.flags == 0x0005)
        #expect(m.payload == [0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
        let down = body(NetlinkRequest.setLink(index: 3, up: false))
        #expect(down.payload == [0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])
    }

    @Test func ipv4Address() {
        // ip addr add 10.200.0.1/24 dev veth0
        let net = IPNetwork("10.200.0.1/24")!
        let m = body(NetlinkRequest.newAddress(net, index: 3))
        #expect(m.type == 20 && m.flags == 0x0605)
        #expect(m.payload == [0x02, 0x18, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
                              0x08, 0x00, 0x02, 0x00, 0x0a, 0xc8, 0x00, 0x01,
                              0x08, 0x00, 0x01, 0x00, 0x0a, 0xc8, 0x00, 0x01])
    }

    @Test func ipv6AddressWithoutDAD() {
        // ip addr add fd00:5110::1/64 dev va nodad (ifindex 2)
        let net = IPNetwork("fd00:5110::1/64")!
        let m = body(NetlinkRequest.newAddress(net, index: 2))
        let addr: [UInt8] = [0xfd, 0x00, 0x51, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]
        #expect(m.flags == 0x0605)
        #expect(m.payload == [0x0a, 0x40, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00]
                + [0x14, 0x00, 0x02, 0x00] + addr + [0x14, 0x00, 0x01, 0x00] + addr)
    }

    @Test func onLinkRoute() {
        // ip route add 10.200.0.0/24 dev veth0 (ifindex 3): scope link, main table, proto boot
        let m = body(NetlinkRequest.newRoute(IPNetwork("10.200.0.7/24")!, gateway: nil, index: 3))
        #expect(m.type == 24 && m.flags == 0x0605)
        #expect(m.payload == [0x02, 0x18, 0x00, 0x00, 0xfe, 0x03, 0xfd, 0x01, 0x00, 0x00, 0x00, 0x00,
                              0x08, 0x00, 0x01, 0x00, 0x0a, 0xc8, 0x00, 0x00,
                              0x08, 0x00, 0x04, 0x00, 0x03, 0x00, 0x00, 0x00])
    }

    @Test func defaultRouteViaGateway() {
        let m = body(NetlinkRequest.newRoute(IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.88.0.1"), index: 2))
        #expect(m.payload == [0x02, 0x00, 0x00, 0x00, 0xfe, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                              0x08, 0x00, 0x05, 0x00, 0x0a, 0x58, 0x00, 0x01,
                              0x08, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00])
    }

    @Test func bridge() {
        // ip link add br0 type bridge; silo marks IFLA_LINKINFO NLA_F_NESTED (0x8000), ip does not.
        let m = body(NetlinkRequest.newBridge(name: "br0", up: false))
        #expect(m.type == 16 && m.flags == 0x0605)
        #expect(m.payload == [UInt8](repeating: 0, count: 16)
                + [0x08, 0x00, 0x03, 0x00, 0x62, 0x72, 0x30, 0x00]
                + [0x10, 0x00, 0x12, 0x80, 0x0a, 0x00, 0x01, 0x00, 0x62, 0x72, 0x69, 0x64, 0x67, 0x65, 0x00, 0x00])
    }

    @Test func bridgeInAGroup() {
        // ip link add br0 group 5110 type bridge: IFLA_GROUP (27) rides in the creating request.
        let m = body(NetlinkRequest.newBridge(name: "br0", up: false, group: 5110))
        #expect(m.payload == [UInt8](repeating: 0, count: 16)
                + [0x08, 0x00, 0x03, 0x00, 0x62, 0x72, 0x30, 0x00]
                + [0x08, 0x00, 0x1b, 0x00, 0xf6, 0x13, 0x00, 0x00]
                + [0x10, 0x00, 0x12, 0x80, 0x0a, 0x00, 0x01, 0x00, 0x62, 0x72, 0x69, 0x64, 0x67, 0x65, 0x00, 0x00])
    }

    @Test func delete() {
        // ip link del veth1
        let del = body(NetlinkRequest.deleteLink(index: 2))
        #expect(del.type == 17 && del.flags == 0x0005)
        #expect(del.payload == [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func vethBetweenNamespaces() {
        // ip link add va netns sa type veth peer name vb netns sb (fds 4 and 5)
        let m = body(NetlinkRequest.newVeth(name: "va", peer: "vb", namespace: .fd(4), peerNamespace: .fd(5), master: nil, up: false))
        #expect(m.type == 16 && m.flags == 0x0605)
        let attrs = NetlinkParse.attributes(m.payload, from: 16)
        #expect(attrs.map(\.type) == [3, 28, 18])
        #expect(Array(attrs[0].payload) == Array("va".utf8) + [0])
        #expect(Array(attrs[1].payload) == [4, 0, 0, 0])
        let info = NetlinkParse.attributes(m.payload, from: attrs[2].payload.startIndex, to: attrs[2].payload.endIndex)
        #expect(info.map(\.type) == [1, 2])
        #expect(Array(info[0].payload) == Array("veth".utf8))
        let data = NetlinkParse.attributes(m.payload, from: info[1].payload.startIndex, to: info[1].payload.endIndex)
        #expect(data.map(\.type) == [1])  // VETH_INFO_PEER: struct ifinfomsg, then the peer's attributes
        let peer = data[0].payload
        #expect(peer.count == 16 + 8 + 8)
        #expect(Array(peer.prefix(16)) == [UInt8](repeating: 0, count: 16))
        let peerAttrs = NetlinkParse.attributes(m.payload, from: peer.startIndex + 16, to: peer.endIndex)
        #expect(peerAttrs.map(\.type) == [3, 28])
        #expect(Array(peerAttrs[0].payload) == Array("vb".utf8) + [0])
        #expect(Array(peerAttrs[1].payload) == [5, 0, 0, 0])
    }

    @Test func vethIntoAProcessNamespaceEnslavedAndUp() {
        let m = body(NetlinkRequest.newVeth(name: "veth1a2b3c4d", peer: "eth0", namespace: nil, peerNamespace: .pid(4242), master: 9, up: true))
        #expect(Array(m.payload.prefix(16)) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
        let attrs = NetlinkParse.attributes(m.payload, from: 16)
        #expect(attrs.map(\.type) == [3, 10, 18])
        #expect(Array(attrs[1].payload) == [9, 0, 0, 0])
        let info = NetlinkParse.attributes(m.payload, from: attrs[2].payload.startIndex, to: attrs[2].payload.endIndex)
        let data = NetlinkParse.attributes(m.payload, from: info[1].payload.startIndex, to: info[1].payload.endIndex)
        let peer = data[0].payload
        // The peer is never created up: the kernel would fail with ENOTCONN.
        #expect(Array(peer.prefix(16)) == [UInt8](repeating: 0, count: 16))
        let peerAttrs = NetlinkParse.attributes(m.payload, from: peer.startIndex + 16, to: peer.endIndex)
        #expect(peerAttrs.map(\.type) == [3, 19])
        #expect(Array(peerAttrs[1].payload) == [0x92, 0x10, 0, 0])
    }

    @Test func alias() {
        let alias = body(NetlinkRequest.setAlias(index: 5, alias: "silo"))
        #expect(alias.payload.suffix(12) == [9, 0, 20, 0, 0x73, 0x69, 0x6c, 0x6f, 0, 0, 0, 0])
    }

    @Test func dumpsAndNSID() {
        let links = body(NetlinkRequest.dumpLinks())
        #expect(links.type == 18 && links.flags == 0x0301)
        let addrs = body(NetlinkRequest.dumpAddresses(family: 2))
        #expect(addrs.type == 22 && addrs.flags == 0x0301 && addrs.payload == [2, 0, 0, 0, 0, 0, 0, 0])
        let nsid = body(NetlinkRequest.getNSID(fd: 6))
        #expect(nsid.type == 90)
        #expect(nsid.payload == [0, 0, 0, 0, 8, 0, 3, 0, 6, 0, 0, 0])
    }

    @Test func parsesALinkReply() {
        var m = NetlinkMessage(type: 16, flags: 2)
        m.appendIfInfo(family: 0, type: 1, index: 7, flags: 0x1003, change: 0)
        m.appendAttr(type: 3, string: "silo0")
        m.appendAttr(type: 10, u32: 0)
        m.appendAttr(type: 20, string: "silo")
        let info = m.beginNested(type: 18)
        m.appendAttr(type: 1, string: "bridge")
        m.endNested(at: info)
        m.finish(seq: 1)
        let link = NetlinkParse.link(NetlinkReply(type: 16, bytes: m.bytes))
        #expect(link == LinkInfo(index: 7, name: "silo0", flags: 0x1003, kind: "bridge", master: nil, alias: "silo"))
        #expect(link?.isUp == true)
    }

    @Test func parsesAnAddressReply() {
        var m = NetlinkMessage(type: 20, flags: 2)
        m.appendRaw([2, 16, 0x80, 0, 4, 0, 0, 0])
        m.appendAttr(type: 1, [10, 88, 0, 1])
        m.appendAttr(type: 2, [10, 88, 0, 1])
        m.finish(seq: 1)
        let a = NetlinkParse.address(NetlinkReply(type: 20, bytes: m.bytes))
        #expect(a == AddressInfo(index: 4, network: IPNetwork("10.88.0.1/16")!))
    }

    @Test func truncatedAttributesStopParsing() {
        let bytes: [UInt8] = [8, 0, 3, 0, 0x61, 0, 0, 0, 200, 0, 4, 0, 1]
        #expect(NetlinkParse.attributes(bytes, from: 0).map(\.type) == [3])
    }
}

@Suite struct IPAddressTests {
    @Test func parsesAndPrints() {
        #expect(IPNetwork("10.200.0.1/24")?.description == "10.200.0.1/24")
        #expect(IPNetwork("fd00:5110::1/64")?.description == "fd00:5110::1/64")
        #expect(IPNetwork("10.0.0.1")?.prefix == 32)
        #expect(IPNetwork("::1")?.prefix == 128)
        for bad in ["", "10.0.0.1/33", "10.0.0/24", "10.0.0.1/", "10.0.0.1/x", "fd00::1/129", "10.0.0.1/+8", "host"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func subnetArithmetic() {
        let n = IPNetwork("10.88.3.7/16")!
        #expect(n.base.description == "10.88.0.0")
        #expect(n.size == 65536)
        #expect(n.contains(IPAddress("10.88.255.254")!))
        #expect(!n.contains(IPAddress("10.89.0.1")!))
        #expect(IPAddress("10.88.0.255")!.adding(1).description == "10.88.1.0")
        #expect(IPNetwork("fd00:5110::9/64")!.base.description == "fd00:5110::")
        #expect(IPNetwork("10.0.0.1/0")!.size == UInt32.max)
    }
}
