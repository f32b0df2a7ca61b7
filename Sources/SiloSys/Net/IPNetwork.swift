#if canImport(Glibc)
import Glibc
#endif

/// An address with a prefix length: `10.200.0.1/24`, `fd00:5110::1/64`.
public struct IPNetwork: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefix: Int

    public init?(address: IPAddress, prefix: Int) {
        guard prefix >= 0 && prefix <= address.bitCount else { return nil }
        self.address = address
        self.prefix = prefix
    }

    /// `ADDRESS/PREFIX`; without `/PREFIX`, a host address (/32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let a = IPAddress(String(parts[0])) else { return nil }
        var p = a.bitCount
        if parts.count == 2 {
            guard let n = Int(parts[1]), String(n) == parts[1] else { return nil }
            p = n
        }
        self.init(address: a, prefix: p)
    }

    public var description: String { "\(address)/\(prefix)" }

    /// The first address of the subnet (host bits cleared).
    public var base: IPAddress {
        var out = address.bytes
        for i in 0..<out.count {
            let bitsHere = max(0, min(8, prefix - i * 8))
            out[i] &= bitsHere == 0 ? 0 : ~UInt8(0) << (8 - bitsHere)
        }
        return IPAddress(bytes: out) ?? address
    }

    public func contains(_ a: IPAddress) -> Bool {
        guard a.bytes.count == address.bytes.count else { return false }
        return IPNetwork(address: a, prefix: prefix)?.base == base
    }

    /// How many addresses the subnet holds, capped at 2^32 - 1.
    public var size: UInt32 {
        let hostBits = address.bitCount - prefix
        return hostBits >= 32 ? UInt32.max : UInt32(1) << UInt32(hostBits)
    }
}
