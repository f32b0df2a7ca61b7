#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// Trimming without Foundation. Not spelled `trimmingCharacters(in:)`: Foundation's would
/// shadow it in files (tests) that import both.
extension Substring {
    public func trimming(_ set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
