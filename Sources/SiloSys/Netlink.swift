#if canImport(Glibc)
import Glibc
#endif

/// An rtnetlink (NETLINK_ROUTE) socket in the caller's current network namespace.
/// Requests are sent with NLM_F_ACK and the kernel's error is thrown as a `SyscallError`
/// naming the request and its object.
public final class Netlink {
    public let fd: Int32
    private var seq: UInt32 = 1

    public init() throws {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        if fd < 0 { throw SyscallError.last("socket(AF_NETLINK)") }
    }

    public func close() { Glibc.close(fd) }

    /// RTM_NEWLINK on an existing link: set IFF_UP or clear it.
    public func setLink(index: Int32, up: Bool, name: String) throws {
        var msg = NetlinkMessage(type: 16 /* RTM_NEWLINK */, flags: 0x1 | 0x4 /* REQUEST|ACK */)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: up ? 1 : 0, change: 1 /* IFF_UP */)
        try request(msg, call: "RTM_NEWLINK", object: name)
    }

    /// Sends one request and waits for its acknowledgement.
    public func request(_ message: NetlinkMessage, call: String, object: String) throws {
        var msg = message
        let s = seq
        seq &+= 1
        msg.finish(seq: s)
        let sent = msg.bytes.withUnsafeBytes { b in retryingEINTR { send(fd, b.baseAddress, b.count, 0) } }
        if sent < 0 { throw SyscallError.last(call, object) }
        var buf = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buf.withUnsafeMutableBytes { b in retryingEINTR { recv(fd, b.baseAddress, b.count, 0) } }
            if n < 0 { throw SyscallError.last(call, object) }
            var off = 0
            while off + 16 <= n {
                let len = Int(buf.loadLE(UInt32.self, at: off))
                let type = buf.loadLE(UInt16.self, at: off + 4)
                let rseq = buf.loadLE(UInt32.self, at: off + 8)
                if type == 2 /* NLMSG_ERROR */ && rseq == s {
                    let err = Int32(bitPattern: buf.loadLE(UInt32.self, at: off + 16))
                    if err == 0 { return }
                    throw SyscallError(call, errno: -err, object: object)
                }
                if len < 16 { break }
                off += (len + 3) & ~3
            }
        }
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

    public mutating func appendAttr(type: UInt16, string: String) {
        appendAttr(type: type, Array(string.utf8) + [0])
    }

    public mutating func appendAttr(type: UInt16, u32: UInt32) {
        var p: [UInt8] = []
        p.appendLE(u32)
        appendAttr(type: type, p)
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

    mutating func finish(seq: UInt32) {
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
