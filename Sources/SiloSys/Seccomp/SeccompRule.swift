#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSiloShim

/// One syscall, one action, and the conditions that must all hold (AND).
public struct SeccompRule: Equatable, Sendable {
    public var syscall: String
    public var action: SeccompAction
    public var conditions: [SeccompCondition]
    public init(_ syscall: String, _ action: SeccompAction, _ conditions: [SeccompCondition] = []) {
        self.syscall = syscall
        self.action = action
        self.conditions = conditions
    }
}
