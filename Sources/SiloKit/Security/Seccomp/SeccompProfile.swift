import SiloSpec
import SiloSys

/// A seccomp profile as silo applies it: silo's default (DefaultSeccompProfile) or an OCI /
/// Docker JSON profile (`--seccomp FILE`). Compiled to BPF in the parent.
public struct SeccompProfile: Equatable, Sendable {
    public var defaultAction: SeccompAction
    /// libseccomp architecture names ("x86_64", "x86", "x32").
    public var architectures: [String]
    public var rules: [SeccompRule]
    /// Real syscalls this libseccomp cannot name: their rules were left out, with a warning.
    public var skipped: [Skipped] = []

    public struct Skipped: Equatable, Sendable {
        public var name: String
        public var path: String
    }

    public init(defaultAction: SeccompAction, architectures: [String], rules: [SeccompRule]) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.rules = rules
    }

    /// The calls the child makes after the filter is loaded when something fails: the error
    /// record (write) and _exit (exit_group). A profile can never take them away, or a failed
    /// exec would look like a silent exit.
    public static let errorPath = ["write", "exit_group"]

    /// The filter to compile: the error path allowed without conditions (a rule of the profile
    /// on those calls is replaced; `overridden` names them, for a warning), and rules with two
    /// conditions on one argument split into one rule per condition, as runc does, because
    /// libseccomp takes at most one comparison per argument in a rule.
    public func filter() -> (filter: SeccompFilter, overridden: [String]) {
        var overridden: [String] = []
        var out: [SeccompRule] = []
        for r in rules {
            if SeccompProfile.errorPath.contains(r.syscall) {
                if r.action != .allow || !r.conditions.isEmpty, !overridden.contains(r.syscall) { overridden.append(r.syscall) }
                continue
            }
            let indices = r.conditions.map(\.index)
            if Set(indices).count != indices.count {
                for c in r.conditions { out.append(SeccompRule(r.syscall, r.action, [c])) }
            } else {
                out.append(r)
            }
        }
        for name in SeccompProfile.errorPath where defaultAction != .allow { out.append(SeccompRule(name, .allow)) }
        return (SeccompFilter(defaultAction: defaultAction, architectures: architectures, rules: out), overridden)
    }

    /// One condition per value: the low 32 bits of `argument` equal it. The kernel reads an int
    /// argument (an ioctl request, a socket family, a personality) from the low 32 bits only;
    /// comparing all 64 would let a caller set a high bit and slip past a rule.
    public static func low32(argument: UInt32, in values: [UInt32]) -> [SeccompCondition] {
        var unique: [UInt32] = []
        for v in values where !unique.contains(v) { unique.append(v) }
        return unique.map { SeccompCondition(index: argument, op: .maskedEqual, value: 0xffff_ffff, valueTwo: UInt64($0)) }
    }

    /// `argument >= 0`: true for every value, as the catch-all next to equality tests.
    public static func always(argument: UInt32) -> SeccompCondition {
        SeccompCondition(index: argument, op: .greaterOrEqual, value: 0)
    }

    /// Compiles to BPF; `source` names the profile in messages.
    public func compile(source: String) throws(RuntimeError) -> [UInt8] {
        do {
            return try Seccomp.compile(filter().filter)
        } catch {
            throw RuntimeError(.runtime, "seccomp profile \(source): \(error)")
        }
    }
}
