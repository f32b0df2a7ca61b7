#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

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
            case RT.iflaGroup where a.payload.count >= 4: info.group = Array(a.payload).loadLE(UInt32.self, at: 0)
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
