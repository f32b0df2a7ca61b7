#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSiloShim

/// A whole filter before compilation: libseccomp architecture names ("x86_64", "x86", "x32")
/// and rules over syscall names libseccomp knows.
public struct SeccompFilter: Equatable, Sendable {
    public var defaultAction: SeccompAction
    public var architectures: [String]
    public var rules: [SeccompRule]
    public init(defaultAction: SeccompAction, architectures: [String], rules: [SeccompRule]) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.rules = rules
    }
}
