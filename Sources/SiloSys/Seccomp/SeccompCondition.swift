#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSiloShim

/// The comparisons libseccomp can make on one syscall argument.
public enum SeccompOperator: UInt32, Sendable, CaseIterable {
    case notEqual = 1, lessThan, lessOrEqual, equal, greaterOrEqual, greaterThan
    /// `(arg & value) == valueTwo`: value is the mask, as in the OCI profile and libseccomp.
    case maskedEqual
}

public struct SeccompCondition: Equatable, Hashable, Sendable {
    public var index: UInt32
    public var op: SeccompOperator
    public var value: UInt64
    public var valueTwo: UInt64
    public init(index: UInt32, op: SeccompOperator, value: UInt64, valueTwo: UInt64 = 0) {
        self.index = index
        self.op = op
        self.value = value
        self.valueTwo = valueTwo
    }
}
