import SiloSys

/// A fake rtnetlink for unit tests: a `NetlinkTransport` that keeps a small model of one network
/// namespace (links, addresses, routes), answers silo's requests from it the way the kernel does
/// (replies, acks, errno), and records every request. A model rather than a script of canned
/// replies, so a test does not break when a caller reorders harmless requests.
public final class FakeNetlinkKernel: NetlinkTransport {
    /// One request as the fake understood it.
    public struct Request: Equatable, Sendable {
        public var type: UInt16
        public var flags: UInt16
        /// ifi_index (links) or ifa_index (addresses); 0 when none.
        public var index: Int32
        /// The name in IFLA_IFNAME, if any.
        public var name: String?
    }

    public var links: [LinkInfo]
    public var addresses: [AddressInfo] = []
    public var routes: [RouteInfo] = []
    public private(set) var requests: [Request] = []
    /// The next request of this type fails with this errno, once each.
    public var failures: [(type: UInt16, errno: Int32)] = []
    public private(set) var closed = false
    private var nextIndex: Int32 = 100
    private var pending: [[UInt8]] = []

    /// A namespace with `lo` only, up, unless told otherwise.
    public init(links: [LinkInfo] = [LinkInfo(index: 1, name: "lo", flags: 1, kind: nil, master: nil, alias: nil)]) {
        self.links = links
    }

    public func link(named name: String) -> LinkInfo? { links.first { $0.name == name } }

    // MARK: NetlinkTransport

    public func send(_ m: [UInt8]) throws(SyscallError) {
        guard m.count >= 16 else { throw SyscallError("send", errno: Errno.invalidArgument) }
        let type = m.loadLE(UInt16.self, at: 4), flags = m.loadLE(UInt16.self, at: 6), seq = m.loadLE(UInt32.self, at: 8)
        let isLink = type == RT.newLink || type == RT.delLink || type == RT.getLink
        let isAddr = type == RT.newAddr || type == RT.getAddr
        let index: Int32 = (isLink || isAddr) && m.count >= 24 ? Int32(bitPattern: m.loadLE(UInt32.self, at: 20)) : 0
        let attrs = NetlinkParse.attributes(m, from: isLink ? 32 : isAddr ? 24 : 28)
        let name = attrs.first { isLink && $0.type == RT.iflaIfname }.map { NetlinkParse.string($0.payload) }
        requests.append(Request(type: type, flags: flags, index: index, name: name))
        if let i = failures.firstIndex(where: { $0.type == type }) {
            return reply(error: failures.remove(at: i).errno, seq: seq)
        }
        let dump = flags & RT.dump == RT.dump
        switch type {
        case RT.getLink where dump:
            for l in links { pending.append(encode(l, seq: seq, multi: true)) }
            done(seq)
        case RT.getLink:
            guard let l = links.first(where: { $0.name == name || (index != 0 && $0.index == index) }) else { return reply(error: Errno.noSuchDevice, seq: seq) }
            pending.append(encode(l, seq: seq, multi: false))
            reply(error: 0, seq: seq)
        case RT.newLink:
            reply(error: newLink(m, index: index, name: name, flags: flags, attrs: attrs), seq: seq)
        case RT.delLink:
            guard let i = links.firstIndex(where: { (index != 0 && $0.index == index) || (index == 0 && $0.name == name) }) else { return reply(error: 19, seq: seq) }
            let gone = links.remove(at: i)
            addresses.removeAll { $0.index == gone.index }
            reply(error: 0, seq: seq)
        case RT.newAddr:
            let prefix = Int(m[17])
            guard let local = attrs.first(where: { $0.type == RT.ifaLocal }), let ip = IPAddress(bytes: Array(local.payload)),
                  let net = IPNetwork(address: ip, prefix: prefix) else { return reply(error: 22, seq: seq) }
            guard links.contains(where: { $0.index == index }) else { return reply(error: 19, seq: seq) }
            if addresses.contains(AddressInfo(index: index, network: net)) { return reply(error: Errno.fileExists, seq: seq) }
            addresses.append(AddressInfo(index: index, network: net))
            reply(error: 0, seq: seq)
        case RT.getAddr:
            let family = m[16]
            for a in addresses where family == 0 || a.network.address.family == family { pending.append(encode(a, seq: seq)) }
            done(seq)
        case RT.newRoute:
            routes.append(RouteInfo(destination: nil, prefixLength: Int(m[17]), gateway: nil, outputIndex: nil, table: UInt32(m[20])))
            reply(error: 0, seq: seq)
        default:
            if dump { done(seq) } else { reply(error: 0, seq: seq) }
        }
    }

    public func receive(into buffer: inout [UInt8]) throws(SyscallError) -> Int {
        // Nothing was asked.
        guard !pending.isEmpty else { throw SyscallError("recv", errno: Errno.tryAgain) }
        let d = pending.removeFirst()
        for (i, b) in d.enumerated() { buffer[i] = b }
        return d.count
    }

    public func close() { closed = true }

    // MARK: the model

    /// RTM_NEWLINK: create (no index, IFLA_LINKINFO) or change flags, alias, master of a link.
    private func newLink(_ m: [UInt8], index: Int32, name: String?, flags: UInt16, attrs: [NetlinkParse.Attribute]) -> Int32 {
        let ifFlags = m.loadLE(UInt32.self, at: 24), change = m.loadLE(UInt32.self, at: 28)
        let master = attrs.first { $0.type == RT.iflaMaster }.map { Int32(bitPattern: Array($0.payload).loadLE(UInt32.self, at: 0)) }
        let alias = attrs.first { $0.type == RT.iflaIfalias }.map { NetlinkParse.string($0.payload) }
        let group = attrs.first { $0.type == RT.iflaGroup }.map { Array($0.payload).loadLE(UInt32.self, at: 0) }
        let elsewhere = attrs.contains { $0.type == RT.iflaNetNSFD || $0.type == RT.iflaNetNSPid }
        if index == 0, let info = attrs.first(where: { $0.type == RT.iflaLinkinfo }), let name {
            if links.contains(where: { $0.name == name }) { return Errno.fileExists }
            let kind = NetlinkParse.attributes(m, from: info.payload.startIndex, to: info.payload.endIndex)
                .first { $0.type == RT.infoKind }.map { NetlinkParse.string($0.payload) }
            if !elsewhere {
                nextIndex += 1
                // Like the kernel: a group is applied at creation, an alias is not.
                var link = LinkInfo(index: nextIndex, name: name, flags: ifFlags & change, kind: kind,
                                    master: master.flatMap { $0 == 0 ? nil : $0 }, alias: nil)
                link.group = group ?? 0
                links.append(link)
            }
            return 0
        }
        guard let i = links.firstIndex(where: { (index != 0 && $0.index == index) || (index == 0 && $0.name == name) }) else { return 19 }
        links[i].flags = (links[i].flags & ~change) | (ifFlags & change)
        if let alias { links[i].alias = alias }
        if let master { links[i].master = master == 0 ? nil : master }
        return 0
    }

    private func reply(error: Int32, seq: UInt32) {
        var msg = NetlinkMessage(type: RT.msgError, flags: 0)
        var body: [UInt8] = []
        body.appendLE(UInt32(bitPattern: -error))
        body += [UInt8](repeating: 0, count: 16)
        msg.appendRaw(body)
        msg.finish(seq: seq)
        pending.append(msg.bytes)
    }

    private func done(_ seq: UInt32) {
        var msg = NetlinkMessage(type: RT.msgDone, flags: 2 /* NLM_F_MULTI */)
        msg.appendRaw([0, 0, 0, 0])
        msg.finish(seq: seq)
        pending.append(msg.bytes)
    }

    private func encode(_ l: LinkInfo, seq: UInt32, multi: Bool) -> [UInt8] {
        var msg = NetlinkMessage(type: RT.newLink, flags: multi ? 2 : 0)
        msg.appendIfInfo(family: 0, type: 0, index: l.index, flags: l.flags, change: 0)
        msg.appendAttr(type: RT.iflaIfname, string: l.name)
        if let m = l.master { msg.appendAttr(type: RT.iflaMaster, u32: UInt32(bitPattern: m)) }
        if let a = l.alias { msg.appendAttr(type: RT.iflaIfalias, string: a) }
        if l.group != 0 { msg.appendAttr(type: RT.iflaGroup, u32: l.group) }
        if let k = l.kind {
            let info = msg.beginNested(type: RT.iflaLinkinfo)
            msg.appendAttr(type: RT.infoKind, string: k)
            msg.endNested(at: info)
        }
        msg.finish(seq: seq)
        return msg.bytes
    }

    private func encode(_ a: AddressInfo, seq: UInt32) -> [UInt8] {
        var msg = NetlinkMessage(type: RT.newAddr, flags: 2)
        var head: [UInt8] = [a.network.address.family, UInt8(a.network.prefix), 0, 0]
        head.appendLE(UInt32(bitPattern: a.index))
        msg.appendRaw(head)
        msg.appendAttr(type: RT.ifaLocal, a.network.address.bytes)
        msg.appendAttr(type: RT.ifaAddress, a.network.address.bytes)
        msg.finish(seq: seq)
        return msg.bytes
    }
}
