#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func strippingBlanks() -> String { String(Substring(self).trimming(" \t")) }
}
