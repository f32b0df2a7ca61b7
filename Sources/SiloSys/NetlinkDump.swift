#if canImport(Glibc)
import Glibc
#endif

/// Read-only rtnetlink dumps of the caller's network namespace: the links, addresses and
/// routes that `ip link`, `ip addr` and `ip route` print. A socket of its own per dump.
public enum NetlinkDump {
    public struct Link: Equatable, Sendable {
        public var index: Int32
        public var name: String
        /// ifi_flags: IFF_UP is 0x1, IFF_LOOPBACK 0x8, IFF_LOWER_UP 0x10000.
        public var flags: UInt32
        public var isUp: Bool { flags & 0x1 != 0 }
    }

    public struct Address: Equatable, Sendable {
        public var index: Int32
        public var family: Int32
        public var address: String
        public var prefixLength: UInt8
    }

    public struct Route: Equatable, Sendable {
        public var family: Int32
        public var destination: String?
        public var prefixLength: UInt8
        public var gateway: String?
        public var outputIndex: Int32?
        public var table: UInt32
    }

    public static func links() throws(SyscallError) -> [Link] {
        var out: [Link] = []
        try dump(type: 18 /* RTM_GETLINK */, header: [UInt8](repeating: 0, count: 16), call: "RTM_GETLINK") { type, body in
            guard type == 16 /* RTM_NEWLINK */, body.count >= 16 else { return }
            let index = Int32(bitPattern: body.loadLE(UInt32.self, at: 4))
            let flags = body.loadLE(UInt32.self, at: 8)
            var name = "#\(index)"
            forEachAttribute(body, from: 16) { t, v in if t == 3 /* IFLA_IFNAME */ { name = cString(v) } }
            out.append(Link(index: index, name: name, flags: flags))
        }
        return out
    }

    public static func addresses() throws(SyscallError) -> [Address] {
        var out: [Address] = []
        try dump(type: 22 /* RTM_GETADDR */, header: [UInt8](repeating: 0, count: 8), call: "RTM_GETADDR") { type, body in
            guard type == 20 /* RTM_NEWADDR */, body.count >= 8 else { return }
            let family = Int32(body[0])
            let index = Int32(bitPattern: body.loadLE(UInt32.self, at: 4))
            var address: [UInt8]?, local: [UInt8]?
            forEachAttribute(body, from: 8) { t, v in
                if t == 1 /* IFA_ADDRESS */ { address = v }
                if t == 2 /* IFA_LOCAL */ { local = v }
            }
            // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is always our own.
            guard let raw = local ?? address else { return }
            out.append(Address(index: index, family: family, address: format(raw, family: family), prefixLength: body[1]))
        }
        return out
    }

    /// Unicast routes of every table but `local` (255), which holds the addresses' own routes.
    public static func routes() throws(SyscallError) -> [Route] {
        var out: [Route] = []
        try dump(type: 26 /* RTM_GETROUTE */, header: [UInt8](repeating: 0, count: 12), call: "RTM_GETROUTE") { type, body in
            guard type == 24 /* RTM_NEWROUTE */, body.count >= 12, body[7] == 1 /* RTN_UNICAST */ else { return }
            let family = Int32(body[0])
            var r = Route(family: family, destination: nil, prefixLength: body[1], gateway: nil, outputIndex: nil, table: UInt32(body[4]))
            forEachAttribute(body, from: 12) { t, v in
                switch t {
                case 1 /* RTA_DST */: r.destination = format(v, family: family)
                case 4 /* RTA_OIF */ where v.count >= 4: r.outputIndex = Int32(bitPattern: v.loadLE(UInt32.self, at: 0))
                case 5 /* RTA_GATEWAY */: r.gateway = format(v, family: family)
                case 15 /* RTA_TABLE */ where v.count >= 4: r.table = v.loadLE(UInt32.self, at: 0)
                default: break
                }
            }
            if r.table != 255 { out.append(r) }
        }
        return out
    }

    /// Sends one NLM_F_DUMP request and hands each message's type and body (after the
    /// 16-byte header) to `each`, until NLMSG_DONE.
    static func dump(type: UInt16, header: [UInt8], call: String,
                     _ each: (UInt16, [UInt8]) -> Void) throws(SyscallError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        if fd < 0 { throw SyscallError.last("socket(AF_NETLINK)") }
        defer { close(fd) }
        var msg: [UInt8] = []
        msg.appendLE(UInt32(16 + header.count))
        msg.appendLE(type)
        msg.appendLE(UInt16(0x1 | 0x300))  // NLM_F_REQUEST | NLM_F_DUMP
        msg.appendLE(UInt32(1))  // seq
        msg.appendLE(UInt32(0))  // port: the kernel
        msg += header
        let sent = msg.withUnsafeBytes { b in retryingEINTR { send(fd, b.baseAddress, b.count, 0) } }
        if sent < 0 { throw SyscallError.last(call) }
        var buf = [UInt8](repeating: 0, count: 32768)
        while true {
            let n = buf.withUnsafeMutableBytes { b in retryingEINTR { recv(fd, b.baseAddress, b.count, 0) } }
            if n < 0 { throw SyscallError.last(call) }
            if n == 0 { return }
            var off = 0
            while off + 16 <= n {
                let len = Int(buf.loadLE(UInt32.self, at: off))
                let t = buf.loadLE(UInt16.self, at: off + 4)
                guard len >= 16, off + len <= n else { return }
                if t == 3 /* NLMSG_DONE */ { return }
                if t == 2 /* NLMSG_ERROR */ {
                    let err = len >= 20 ? Int32(bitPattern: buf.loadLE(UInt32.self, at: off + 16)) : 0
                    if err != 0 { throw SyscallError(call, errno: -err) }
                    return
                }
                each(t, Array(buf[(off + 16)..<(off + len)]))
                off += (len + 3) & ~3
            }
        }
    }

    static func forEachAttribute(_ body: [UInt8], from start: Int, _ each: (UInt16, [UInt8]) -> Void) {
        var off = start
        while off + 4 <= body.count {
            let len = Int(body.loadLE(UInt16.self, at: off))
            let t = body.loadLE(UInt16.self, at: off + 2) & 0x3FFF
            guard len >= 4, off + len <= body.count else { return }
            each(t, Array(body[(off + 4)..<(off + len)]))
            off += (len + 3) & ~3
        }
    }

    static func cString(_ v: [UInt8]) -> String {
        String(decoding: v.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Dotted quad for IPv4; RFC 5952 text (inet_ntop) for IPv6.
    public static func format(_ raw: [UInt8], family: Int32) -> String {
        if family == AF_INET && raw.count == 4 { return raw.map { String($0) }.joined(separator: ".") }
        if family == AF_INET6 && raw.count == 16 {
            var text = [CChar](repeating: 0, count: 64)
            let ok = raw.withUnsafeBytes { src in inet_ntop(AF_INET6, src.baseAddress, &text, 64) } != nil
            if ok { return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        return raw.map { String($0) }.joined(separator: ":")
    }
}
