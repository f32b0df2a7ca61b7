#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

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
