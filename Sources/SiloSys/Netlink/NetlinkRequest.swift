#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// The rtnetlink requests silo sends, built without a socket so that tests can check the bytes.
public enum NetlinkRequest {
    static let modify = RT.request | RT.ack
    static let create = RT.request | RT.ack | RT.create | RT.excl

    public static func setLink(index: Int32, up: Bool) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: up ? RT.iffUp : 0, change: RT.iffUp)
        return msg
    }

    public static func getLink(name: String) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.getLink, flags: RT.request | RT.ack)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: 0, change: 0)
        msg.appendAttr(type: RT.iflaExtMask, u32: 8 /* RTEXT_FILTER_SKIP_STATS */)
        msg.appendAttr(type: RT.iflaIfname, string: name)
        return msg
    }

    public static func dumpLinks() -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.getLink, flags: RT.request | RT.dump)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: 0, change: 0)
        msg.appendAttr(type: RT.iflaExtMask, u32: 8 /* RTEXT_FILTER_SKIP_STATS */)
        return msg
    }

    public static func newVeth(name: String, peer: String, namespace: NetnsRef?, peerNamespace: NetnsRef?,
                               master: Int32?, up: Bool) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: create)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: up ? RT.iffUp : 0, change: up ? RT.iffUp : 0)
        msg.appendAttr(type: RT.iflaIfname, string: name)
        if let namespace { msg.appendNamespace(namespace) }
        if let master { msg.appendAttr(type: RT.iflaMaster, u32: UInt32(bitPattern: master)) }
        let info = msg.beginNested(type: RT.iflaLinkinfo)
        msg.appendAttr(type: RT.infoKind, string: "veth", terminated: false)
        let data = msg.beginNested(type: RT.infoData)
        let peerAttr = msg.beginNested(type: RT.vethInfoPeer)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: 0, change: 0)
        msg.appendAttr(type: RT.iflaIfname, string: peer)
        if let peerNamespace { msg.appendNamespace(peerNamespace) }
        msg.endNested(at: peerAttr)
        msg.endNested(at: data)
        msg.endNested(at: info)
        return msg
    }

    /// A bridge; `group` (IFLA_GROUP) is one of the few attributes the kernel applies in the
    /// request that creates a link, so it can mark the bridge as someone's from its first instant.
    public static func newBridge(name: String, up: Bool, group: UInt32 = 0) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: create)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: up ? RT.iffUp : 0, change: up ? RT.iffUp : 0)
        msg.appendAttr(type: RT.iflaIfname, string: name)
        if group != 0 { msg.appendAttr(type: RT.iflaGroup, u32: group) }
        let info = msg.beginNested(type: RT.iflaLinkinfo)
        msg.appendAttr(type: RT.infoKind, string: "bridge", terminated: false)
        msg.endNested(at: info)
        return msg
    }

    public static func setAlias(index: Int32, alias: String) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: 0, change: 0)
        msg.appendAttr(type: RT.iflaIfalias, string: alias)
        return msg
    }

    public static func deleteLink(index: Int32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.delLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: 0, change: 0)
        return msg
    }

    public static func deleteLink(name: String) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.delLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: 0, change: 0)
        msg.appendAttr(type: RT.iflaIfname, string: name)
        return msg
    }

    /// struct ifaddrmsg + IFA_LOCAL + IFA_ADDRESS, as `ip addr add` sends it.
    public static func newAddress(_ network: IPNetwork, index: Int32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newAddr, flags: create)
        let a = network.address
        msg.appendRaw([a.family, UInt8(network.prefix), a.isIPv4 ? 0 : RT.ifaFNoDAD, RT.scopeUniverse]
                      + le(UInt32(bitPattern: index)))
        msg.appendAttr(type: RT.ifaLocal, a.bytes)
        msg.appendAttr(type: RT.ifaAddress, a.bytes)
        return msg
    }

    /// RTM_GETROUTE dump of both families (struct rtmsg, all zero).
    public static func dumpRoutes() -> NetlinkMessage {
        var msg = NetlinkMessage(type: 26 /* RTM_GETROUTE */, flags: RT.request | RT.dump)
        msg.appendRaw([UInt8](repeating: 0, count: 12))
        return msg
    }

    public static func dumpAddresses(family: UInt8) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.getAddr, flags: RT.request | RT.dump)
        msg.appendRaw([family, 0, 0, 0, 0, 0, 0, 0])
        return msg
    }

    /// struct rtmsg + RTA_DST + RTA_GATEWAY + RTA_OIF.
    public static func newRoute(_ destination: IPNetwork, gateway: IPAddress?, index: Int32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newRoute, flags: create)
        let base = destination.base
        msg.appendRaw([base.family, UInt8(destination.prefix), 0, 0, RT.tableMain, RT.protoBoot,
                       gateway == nil ? RT.scopeLink : RT.scopeUniverse, RT.typeUnicast] + le(UInt32(0)))
        if destination.prefix > 0 { msg.appendAttr(type: RT.rtaDst, base.bytes) }
        if let gateway { msg.appendAttr(type: RT.rtaGateway, gateway.bytes) }
        msg.appendAttr(type: RT.rtaOif, u32: UInt32(bitPattern: index))
        return msg
    }

    public static func getNSID(fd: Int32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.getNSID, flags: RT.request | RT.ack)
        msg.appendRaw([0])  // struct rtgenmsg, padded
        msg.appendAttr(type: RT.netnsaFD, u32: UInt32(bitPattern: fd))
        return msg
    }

    static func le(_ v: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(v)
        return out
    }
}
