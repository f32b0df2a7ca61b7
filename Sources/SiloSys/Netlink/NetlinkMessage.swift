#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

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
