#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// A network namespace to create or move a link into: an open nsfs fd (IFLA_NET_NS_FD) or the
/// pid of a process inside it (IFLA_NET_NS_PID).
public enum NetnsRef: Equatable, Sendable {
    case fd(Int32)
    case pid(Int32)
}

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
    public var isUp: Bool { flags & 1 != 0 }
}

/// One address from RTM_GETADDR.
public struct AddressInfo: Equatable, Sendable {
    public var index: Int32
    public var network: IPNetwork
}

/// A unicast route: `destination/prefixLength` (nil: default), `via gateway`, `dev outputIndex`.
public struct RouteInfo: Equatable, Sendable {
    public var destination: IPAddress?
    public var prefixLength: Int
    public var gateway: IPAddress?
    public var outputIndex: Int32?
    public var table: UInt32
}

/// rtnetlink numbers (linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/netlink.h).
public enum RT {
    public static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18
    public static let newAddr: UInt16 = 20, getAddr: UInt16 = 22
    public static let newRoute: UInt16 = 24
    public static let newNSID: UInt16 = 88, getNSID: UInt16 = 90

    public static let request: UInt16 = 0x1, ack: UInt16 = 0x4, dump: UInt16 = 0x300
    public static let excl: UInt16 = 0x200, create: UInt16 = 0x400

    public static let msgError: UInt16 = 2, msgDone: UInt16 = 3

    public static let iflaAddress: UInt16 = 1, iflaIfname: UInt16 = 3, iflaMaster: UInt16 = 10
    public static let iflaLinkinfo: UInt16 = 18, iflaNetNSPid: UInt16 = 19, iflaIfalias: UInt16 = 20
    public static let iflaNetNSFD: UInt16 = 28, iflaExtMask: UInt16 = 29
    public static let infoKind: UInt16 = 1, infoData: UInt16 = 2, vethInfoPeer: UInt16 = 1

    public static let ifaAddress: UInt16 = 1, ifaLocal: UInt16 = 2
    public static let ifaFNoDAD: UInt8 = 0x02

    public static let rtaDst: UInt16 = 1, rtaOif: UInt16 = 4, rtaGateway: UInt16 = 5
    public static let tableMain: UInt8 = 254, protoBoot: UInt8 = 3, protoStatic: UInt8 = 4
    public static let scopeUniverse: UInt8 = 0, scopeLink: UInt8 = 253, typeUnicast: UInt8 = 1

    public static let netnsaNSID: UInt16 = 1, netnsaFD: UInt16 = 3

    public static let iffUp: UInt32 = 1
}

/// An rtnetlink (NETLINK_ROUTE) socket in the caller's current network namespace, or in
/// another one (`init(namespace:)`): a socket stays in the namespace it was made in.
/// Requests are sent with NLM_F_ACK and the kernel's error is thrown as a `SyscallError`
/// naming the request and its object (`RTM_NEWLINK veth0: File exists`).
public final class Netlink {
    public let fd: Int32
    private var seq: UInt32 = 1

    public init() throws(SyscallError) {
        fd = try Netlink.openSocket()
    }

    /// A socket in the network namespace `nsFD` refers to: the calling thread enters it, opens
    /// the socket and returns to where it was.
    public init(namespace nsFD: Int32, name: String) throws(SyscallError) {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        if home < 0 { throw SyscallError.last("open", "/proc/thread-self/ns/net") }
        defer { Glibc.close(home) }
        if silo_setns(nsFD, CloneFlags.newNet.rawValue) != 0 { throw SyscallError.last("setns", name) }
        let made = Result { () throws(SyscallError) in try Netlink.openSocket() }
        if silo_setns(home, CloneFlags.newNet.rawValue) != 0 {
            let e = SyscallError.last("setns", "back to the original network namespace")
            if case .success(let s) = made { Glibc.close(s) }
            throw e
        }
        fd = try made.get()
    }

    static func openSocket() throws(SyscallError) -> Int32 {
        let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        if s < 0 { throw SyscallError.last("socket(AF_NETLINK)") }
        return s
    }

    public func close() { Glibc.close(fd) }

    // MARK: links

    /// RTM_NEWLINK on an existing link: set IFF_UP or clear it.
    public func setLink(index: Int32, up: Bool, name: String) throws(SyscallError) {
        try request(NetlinkRequest.setLink(index: index, up: up), call: "RTM_NEWLINK", object: name)
    }

    /// The same, for the link called `name`.
    public func setLink(name: String, up: Bool) throws(SyscallError) {
        try request(NetlinkRequest.setLink(name: name, up: up), call: "RTM_NEWLINK", object: name)
    }

    /// RTM_GETLINK by name; ENODEV when there is none.
    public func link(name: String) throws(SyscallError) -> LinkInfo {
        let replies = try transact(NetlinkRequest.getLink(name: name), call: "RTM_GETLINK", object: name)
        guard let link = replies.lazy.compactMap({ NetlinkParse.link($0) }).first else {
            throw SyscallError("RTM_GETLINK", errno: ENODEV, object: name)
        }
        return link
    }

    public func linkIndex(name: String) throws(SyscallError) -> Int32 {
        try link(name: name).index
    }

    /// Every link in this namespace (RTM_GETLINK dump).
    public func links() throws(SyscallError) -> [LinkInfo] {
        try transact(NetlinkRequest.dumpLinks(), call: "RTM_GETLINK", object: "dump", dump: true).compactMap { NetlinkParse.link($0) }
    }

    /// A veth pair in one request: `name` (in `namespace`, or here) and `peer` (in
    /// `peerNamespace`, or here), `name` optionally enslaved to `master` and up at once.
    /// The peer starts down: the kernel configures it before the pair is joined, and opening
    /// a veth without its peer fails with ENOTCONN. Bring it up from its own namespace.
    public func addVeth(name: String, peer: String, namespace: NetnsRef? = nil, peerNamespace: NetnsRef? = nil,
                        master: Int32? = nil, up: Bool = false) throws(SyscallError) {
        let msg = NetlinkRequest.newVeth(name: name, peer: peer, namespace: namespace, peerNamespace: peerNamespace,
                                         master: master, up: up)
        try request(msg, call: "RTM_NEWLINK", object: name)
    }

    /// A Linux bridge.
    public func addBridge(name: String, up: Bool = true) throws(SyscallError) {
        try request(NetlinkRequest.newBridge(name: name, up: up), call: "RTM_NEWLINK", object: name)
    }

    /// Labels a link (IFLA_IFALIAS, `ip link set NAME alias TEXT`); the kernel ignores an alias
    /// in the request that creates a link, so this is a second request.
    public func setAlias(index: Int32, alias: String, name: String) throws(SyscallError) {
        try request(NetlinkRequest.setAlias(index: index, alias: alias), call: "RTM_NEWLINK", object: name)
    }

    /// Enslaves a link to a bridge (IFLA_MASTER); master 0 releases it.
    public func setMaster(index: Int32, master: Int32, name: String) throws(SyscallError) {
        try request(NetlinkRequest.setMaster(index: index, master: master), call: "RTM_NEWLINK", object: name)
    }

    /// Moves a link into another network namespace.
    public func moveLink(index: Int32, to namespace: NetnsRef, name: String) throws(SyscallError) {
        try request(NetlinkRequest.moveLink(index: index, to: namespace), call: "RTM_NEWLINK", object: name)
    }

    public func deleteLink(index: Int32, name: String) throws(SyscallError) {
        try request(NetlinkRequest.deleteLink(index: index), call: "RTM_DELLINK", object: name)
    }

    public func deleteLink(name: String) throws(SyscallError) {
        try request(NetlinkRequest.deleteLink(name: name), call: "RTM_DELLINK", object: name)
    }

    // MARK: addresses and routes

    /// RTM_NEWADDR; IPv6 addresses skip duplicate address detection so they work at once.
    public func addAddress(_ network: IPNetwork, index: Int32, name: String) throws(SyscallError) {
        try request(NetlinkRequest.newAddress(network, index: index), call: "RTM_NEWADDR", object: "\(network) on \(name)")
    }

    /// Addresses of one family (AF_INET, AF_INET6, or 0 for both), of one link or all.
    public func addresses(family: UInt8 = 0, index: Int32? = nil) throws(SyscallError) -> [AddressInfo] {
        let all = try transact(NetlinkRequest.dumpAddresses(family: family), call: "RTM_GETADDR", object: "dump", dump: true)
            .compactMap { NetlinkParse.address($0) }
        guard let index else { return all }
        return all.filter { $0.index == index }
    }

    /// Unicast routes of every table but `local` (255), which holds the addresses' own routes.
    public func routes() throws(SyscallError) -> [RouteInfo] {
        try transact(NetlinkRequest.dumpRoutes(), call: "RTM_GETROUTE", object: "dump", dump: true)
            .compactMap { NetlinkParse.route($0) }.filter { $0.table != 255 }
    }

    /// RTM_NEWROUTE in the main table: via `gateway`, or on-link (scope link) without one.
    public func addRoute(_ destination: IPNetwork, gateway: IPAddress? = nil, index: Int32, name: String) throws(SyscallError) {
        try request(NetlinkRequest.newRoute(destination, gateway: gateway, index: index),
                    call: "RTM_NEWROUTE", object: "\(destination) dev \(name)")
    }

    /// The id this namespace has given the network namespace behind `nsFD`, if any.
    public func nsid(of nsFD: Int32) -> Int32? {
        guard let replies = try? transact(NetlinkRequest.getNSID(fd: nsFD), call: "RTM_GETNSID", object: "") else { return nil }
        for r in replies where r.type == RT.newNSID {
            for a in NetlinkParse.attributes(r.bytes, from: 20) where a.type == RT.netnsaNSID && a.payload.count >= 4 {
                let id = Int32(bitPattern: Array(a.payload).loadLE(UInt32.self, at: 0))
                return id >= 0 ? id : nil
            }
        }
        return nil
    }

    // MARK: transport

    /// Sends one request and waits for its acknowledgement.
    public func request(_ message: NetlinkMessage, call: String, object: String) throws(SyscallError) {
        _ = try transact(message, call: call, object: object)
    }

    /// Sends one request and collects the replies that carry its sequence number, up to the
    /// acknowledgement (or NLMSG_DONE for a dump). A kernel error is thrown.
    public func transact(_ message: NetlinkMessage, call: String, object: String, dump: Bool = false) throws(SyscallError) -> [NetlinkReply] {
        var msg = message
        let s = seq
        seq &+= 1
        msg.finish(seq: s)
        let sent = msg.bytes.withUnsafeBytes { b in retryingEINTR { send(fd, b.baseAddress, b.count, 0) } }
        if sent < 0 { throw SyscallError.last(call, object) }
        var replies: [NetlinkReply] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { b in retryingEINTR { recv(fd, b.baseAddress, b.count, 0) } }
            if n < 0 { throw SyscallError.last(call, object) }
            var off = 0
            while off + 16 <= n {
                let len = Int(buf.loadLE(UInt32.self, at: off))
                if len < 16 || off + len > n { break }
                let type = buf.loadLE(UInt16.self, at: off + 4)
                let rseq = buf.loadLE(UInt32.self, at: off + 8)
                if rseq == s {
                    if type == RT.msgError {
                        let err = len >= 20 ? Int32(bitPattern: buf.loadLE(UInt32.self, at: off + 16)) : 0
                        if err != 0 { throw SyscallError(call, errno: -err, object: object) }
                        if !dump { return replies }
                    } else if type == RT.msgDone {
                        return replies
                    } else {
                        replies.append(NetlinkReply(type: type, bytes: Array(buf[off..<(off + len)])))
                    }
                }
                off += (len + 3) & ~3
            }
        }
    }
}

/// One message the kernel sent back: its type and all its bytes, header included.
public struct NetlinkReply: Sendable {
    public var type: UInt16
    public var bytes: [UInt8]
}

/// The rtnetlink requests silo sends, built without a socket so that tests can check the bytes.
public enum NetlinkRequest {
    static let modify = RT.request | RT.ack
    static let create = RT.request | RT.ack | RT.create | RT.excl

    public static func setLink(index: Int32, up: Bool) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: up ? RT.iffUp : 0, change: RT.iffUp)
        return msg
    }

    public static func setLink(name: String, up: Bool) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: up ? RT.iffUp : 0, change: RT.iffUp)
        msg.appendAttr(type: RT.iflaIfname, string: name)
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

    public static func newBridge(name: String, up: Bool) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: create)
        msg.appendIfInfo(family: 0, type: 0, index: 0, flags: up ? RT.iffUp : 0, change: up ? RT.iffUp : 0)
        msg.appendAttr(type: RT.iflaIfname, string: name)
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

    public static func setMaster(index: Int32, master: Int32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: 0, change: 0)
        msg.appendAttr(type: RT.iflaMaster, u32: UInt32(bitPattern: master))
        return msg
    }

    public static func moveLink(index: Int32, to namespace: NetnsRef) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: 0, change: 0)
        msg.appendNamespace(namespace)
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

/// Reading attributes back out of the kernel's replies.
public enum NetlinkParse {
    public struct Attribute {
        public var type: UInt16
        public var payload: ArraySlice<UInt8>
    }

    /// The attributes from `offset` to the end of `bytes`; flags (nested, byte order) masked off.
    public static func attributes(_ bytes: [UInt8], from offset: Int, to end: Int? = nil) -> [Attribute] {
        let end = min(end ?? bytes.count, bytes.count)
        var out: [Attribute] = []
        var off = offset
        while off + 4 <= end {
            let len = Int(bytes.loadLE(UInt16.self, at: off))
            let type = bytes.loadLE(UInt16.self, at: off + 2) & 0x3fff
            if len < 4 || off + len > end { break }
            out.append(Attribute(type: type, payload: bytes[(off + 4)..<(off + len)]))
            off += (len + 3) & ~3
        }
        return out
    }

    public static func string(_ p: ArraySlice<UInt8>) -> String {
        String(decoding: p.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An RTM_NEWLINK reply as a `LinkInfo`.
    public static func link(_ r: NetlinkReply) -> LinkInfo? {
        guard r.type == RT.newLink, r.bytes.count >= 32 else { return nil }
        let b = r.bytes
        var info = LinkInfo(index: Int32(bitPattern: b.loadLE(UInt32.self, at: 20)), name: "",
                            flags: b.loadLE(UInt32.self, at: 24))
        for a in attributes(b, from: 32) {
            switch a.type {
            case RT.iflaIfname: info.name = string(a.payload)
            case RT.iflaMaster where a.payload.count >= 4:
                let m = Int32(bitPattern: Array(a.payload).loadLE(UInt32.self, at: 0))
                info.master = m == 0 ? nil : m
            case RT.iflaIfalias: info.alias = string(a.payload)
            case RT.iflaLinkinfo:
                let start = a.payload.startIndex
                for inner in attributes(b, from: start, to: a.payload.endIndex) where inner.type == RT.infoKind {
                    info.kind = string(inner.payload)
                }
            default: break
            }
        }
        return info
    }

    /// An RTM_NEWROUTE reply of type RTN_UNICAST as a `RouteInfo`.
    public static func route(_ r: NetlinkReply) -> RouteInfo? {
        guard r.type == RT.newRoute, r.bytes.count >= 28, r.bytes[23] == 1 /* RTN_UNICAST */ else { return nil }
        let b = r.bytes
        var info = RouteInfo(destination: nil, prefixLength: Int(b[17]), gateway: nil, outputIndex: nil, table: UInt32(b[20]))
        for a in attributes(b, from: 28) {
            switch a.type {
            case 1 /* RTA_DST */: info.destination = IPAddress(bytes: Array(a.payload))
            case 4 /* RTA_OIF */ where a.payload.count >= 4: info.outputIndex = Int32(bitPattern: Array(a.payload).loadLE(UInt32.self, at: 0))
            case 5 /* RTA_GATEWAY */: info.gateway = IPAddress(bytes: Array(a.payload))
            case 15 /* RTA_TABLE */ where a.payload.count >= 4: info.table = Array(a.payload).loadLE(UInt32.self, at: 0)
            default: break
            }
        }
        return info
    }

    /// An RTM_NEWADDR reply as an `AddressInfo` (IFA_LOCAL preferred, as for point-to-point links).
    public static func address(_ r: NetlinkReply) -> AddressInfo? {
        guard r.type == RT.newAddr, r.bytes.count >= 24 else { return nil }
        let b = r.bytes
        let prefix = Int(b[17])
        let index = Int32(bitPattern: b.loadLE(UInt32.self, at: 20))
        var local: IPAddress?
        var address: IPAddress?
        for a in attributes(b, from: 24) {
            if a.type == RT.ifaLocal { local = IPAddress(bytes: Array(a.payload)) }
            if a.type == RT.ifaAddress { address = IPAddress(bytes: Array(a.payload)) }
        }
        guard let ip = local ?? address, let net = IPNetwork(address: ip, prefix: prefix) else { return nil }
        return AddressInfo(index: index, network: net)
    }
}

/// A netlink message under construction: header, fixed part, then attributes.
public struct NetlinkMessage {
    public private(set) var bytes: [UInt8]

    public init(type: UInt16, flags: UInt16) {
        bytes = []
        bytes.appendLE(UInt32(0))  // length, filled by finish()
        bytes.appendLE(type)
        bytes.appendLE(flags)
        bytes.appendLE(UInt32(0))  // seq
        bytes.appendLE(UInt32(0))  // port id
    }

    /// struct ifinfomsg
    public mutating func appendIfInfo(family: UInt8, type: UInt16, index: Int32, flags: UInt32, change: UInt32) {
        bytes.append(family)
        bytes.append(0)
        bytes.appendLE(type)
        bytes.appendLE(UInt32(bitPattern: index))
        bytes.appendLE(flags)
        bytes.appendLE(change)
    }

    public mutating func appendRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
        pad()
    }

    public mutating func appendAttr(type: UInt16, _ payload: [UInt8]) {
        bytes.appendLE(UInt16(4 + payload.count))
        bytes.appendLE(type)
        bytes.append(contentsOf: payload)
        pad()
    }

    /// A string attribute, NUL-terminated unless `terminated` is false (IFLA_INFO_KIND is sent
    /// without the NUL by iproute2; the kernel takes either).
    public mutating func appendAttr(type: UInt16, string: String, terminated: Bool = true) {
        appendAttr(type: type, Array(string.utf8) + (terminated ? [0] : []))
    }

    public mutating func appendAttr(type: UInt16, u32: UInt32) {
        var p: [UInt8] = []
        p.appendLE(u32)
        appendAttr(type: type, p)
    }

    mutating func appendNamespace(_ ns: NetnsRef) {
        switch ns {
        case .fd(let fd): appendAttr(type: RT.iflaNetNSFD, u32: UInt32(bitPattern: fd))
        case .pid(let pid): appendAttr(type: RT.iflaNetNSPid, u32: UInt32(bitPattern: pid))
        }
    }

    /// Starts a nested attribute; close it with `endNested(at:)`.
    public mutating func beginNested(type: UInt16) -> Int {
        let at = bytes.count
        bytes.appendLE(UInt16(0))
        bytes.appendLE(type | 0x8000 /* NLA_F_NESTED */)
        return at
    }

    public mutating func endNested(at start: Int) {
        let len = UInt16(bytes.count - start)
        bytes[start] = UInt8(len & 0xff)
        bytes[start + 1] = UInt8(len >> 8)
    }

    public mutating func finish(seq: UInt32) {
        let len = UInt32(bytes.count)
        for i in 0..<4 { bytes[i] = UInt8((len >> (8 * UInt32(i))) & 0xff) }
        for i in 0..<4 { bytes[8 + i] = UInt8((seq >> (8 * UInt32(i))) & 0xff) }
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }
}

extension Array where Element == UInt8 {
    public mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        var x = v.littleEndian
        Swift.withUnsafeBytes(of: &x) { append(contentsOf: $0) }
    }

    public func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(self[offset + i]) << (8 * i) }
        return v
    }
}
