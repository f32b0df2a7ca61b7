#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as the kernel wants it in netlink attributes: network byte order,
/// 4 or 16 bytes.
public struct IPAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Dotted quad or RFC 4291 text (inet_pton).
    public init?(_ text: String) {
        var buf = [UInt8](repeating: 0, count: 16)
        if text.contains(":") {
            guard inet_pton(AF_INET6, text, &buf) == 1 else { return nil }
            bytes = buf
        } else {
            guard inet_pton(AF_INET, text, &buf) == 1 else { return nil }
            bytes = Array(buf.prefix(4))
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }
    /// AF_INET or AF_INET6.
    public var family: UInt8 { isIPv4 ? UInt8(AF_INET) : UInt8(AF_INET6) }
    public var bitCount: Int { bytes.count * 8 }

    public var description: String {
        var buf = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBytes { b in inet_ntop(isIPv4 ? AF_INET : AF_INET6, b.baseAddress, &buf, 64) } != nil
        guard ok else { return "?" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address plus `n` (wrapping within its width); for walking a subnet.
    public func adding(_ n: UInt32) -> IPAddress {
        var out = bytes
        var carry = UInt64(n)
        var i = out.count - 1
        while carry > 0 && i >= 0 {
            let sum = UInt64(out[i]) + (carry & 0xff)
            out[i] = UInt8(sum & 0xff)
            carry = (carry >> 8) + (sum >> 8)
            i -= 1
        }
        return IPAddress(bytes: out) ?? self
    }
}
