#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// An rtnetlink (NETLINK_ROUTE) socket in the caller's current network namespace, or in
/// another one (`init(namespace:)`): a socket stays in the namespace it was made in.
/// Requests are sent with NLM_F_ACK and the kernel's error is thrown as a `SyscallError`
/// naming the request and its object (`RTM_NEWLINK veth0: File exists`).
public final class Netlink {
    public let transport: any NetlinkTransport
    private var seq: UInt32 = 1

    public init(transport: any NetlinkTransport) {
        self.transport = transport
    }

    /// A session on a new socket in the caller's network namespace.
    public convenience init() throws(SyscallError) {
        self.init(transport: try NetlinkSocket())
    }

    /// A session on a new socket in the network namespace `nsFD` refers to.
    public convenience init(namespace nsFD: Int32, name: String) throws(SyscallError) {
        self.init(transport: try NetlinkSocket(namespace: nsFD, name: name))
    }

    public func close() { transport.close() }

    // MARK: links

    /// RTM_NEWLINK on an existing link: set IFF_UP or clear it.
    public func setLink(index: Int32, up: Bool, name: String) throws(SyscallError) {
        try request(NetlinkRequest.setLink(index: index, up: up), call: "RTM_NEWLINK", object: name)
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
    public func addBridge(name: String, up: Bool = true, group: UInt32 = 0) throws(SyscallError) {
        try request(NetlinkRequest.newBridge(name: name, up: up, group: group), call: "RTM_NEWLINK", object: name)
    }

    /// Labels a link (IFLA_IFALIAS, `ip link set NAME alias TEXT`); the kernel ignores an alias
    /// in the request that creates a link, so this is a second request.
    public func setAlias(index: Int32, alias: String, name: String) throws(SyscallError) {
        try request(NetlinkRequest.setAlias(index: index, alias: alias), call: "RTM_NEWLINK", object: name)
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
        do throws(SyscallError) { try transport.send(msg.bytes) } catch { throw SyscallError(call, errno: error.errno, object: object) }
        var replies: [NetlinkReply] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            do throws(SyscallError) { n = try transport.receive(into: &buf) } catch { throw SyscallError(call, errno: error.errno, object: object) }
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
