#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSiloShim

/// What the kernel does when a filter matches (the SECCOMP_RET_* values libseccomp uses).
public enum SeccompAction: Equatable, Hashable, Sendable, CustomStringConvertible {
    case allow
    case errno(UInt16)
    case killThread
    case killProcess
    case trap
    case trace(UInt16)
    case log

    var raw: UInt32 {
        switch self {
        case .allow: 0x7fff_0000
        case .errno(let e): 0x0005_0000 | UInt32(e)
        case .killThread: 0x0000_0000
        case .killProcess: 0x8000_0000
        case .trap: 0x0003_0000
        case .trace(let e): 0x7ff0_0000 | UInt32(e)
        case .log: 0x7ffc_0000
        }
    }

    public var description: String {
        switch self {
        case .allow: "allow"
        case .errno(let e): "errno \(e)"
        case .killThread: "kill thread"
        case .killProcess: "kill process"
        case .trap: "trap"
        case .trace(let e): "trace \(e)"
        case .log: "log"
        }
    }
}

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

/// libseccomp, used only in the parent: it compiles a filter to classic BPF that the child
/// loads with one seccomp(2) call, without allocating (docs/architecture.md).
public enum Seccomp {
    /// The syscall number on the native architecture, or a libseccomp pseudo number (< 0) for a
    /// syscall that exists only on other architectures; nil when libseccomp does not know the name.
    public static func syscallNumber(_ name: String) -> Int32? {
        let n = seccomp_syscall_resolve_name(name)
        return n == -1 /* __NR_SCMP_ERROR */ ? nil : n
    }

    /// The libseccomp name of the native architecture ("x86_64").
    public static var nativeArchitecture: String {
        let token = seccomp_arch_native()
        for name in ["x86_64", "x86", "x32", "aarch64", "arm", "riscv64", "ppc64le", "ppc64", "ppc", "s390x", "s390",
                     "mips", "mipsel", "mips64", "mipsel64", "mips64n32", "mipsel64n32", "parisc", "parisc64", "loongarch64"]
        where seccomp_arch_resolve_name(name) == token {
            return name
        }
        return "unknown"
    }

    public static func knowsArchitecture(_ name: String) -> Bool {
        seccomp_arch_resolve_name(name) != 0
    }

    /// "2.5.4"
    public static var libraryVersion: String {
        guard let v = seccomp_version() else { return "?" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
    }

    /// Compiles the filter to BPF (an array of struct sock_filter). Rules whose action is the
    /// default action are left out (libseccomp refuses them, and they change nothing).
    public static func compile(_ filter: SeccompFilter) throws(SyscallError) -> [UInt8] {
        guard let ctx = seccomp_init(filter.defaultAction.raw) else {
            throw SyscallError("seccomp_init", errno: EINVAL, object: "default action \(filter.defaultAction)")
        }
        defer { seccomp_release(ctx) }
        // The child sets no_new_privs itself, when asked to; the filter must not imply it.
        try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set(CTL_NNP)")
        // A binary tree over syscall numbers: ~9 comparisons per call instead of hundreds.
        try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2), "seccomp_attr_set(CTL_OPTIMIZE)")
        // A syscall of an architecture the filter does not list ends the process: a clear
        // SIGSYS rather than a program that misreads an errno.
        try check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SeccompAction.killProcess.raw), "seccomp_attr_set(ACT_BADARCH)")
        for arch in filter.architectures {
            let token = seccomp_arch_resolve_name(arch)
            if token == 0 { throw SyscallError("seccomp_arch_add", errno: EINVAL, object: arch) }
            let r = seccomp_arch_add(ctx, token)
            if r != 0 && r != -EEXIST { throw SyscallError("seccomp_arch_add", errno: -r, object: arch) }
        }
        for rule in filter.rules where rule.action != filter.defaultAction {
            guard let nr = syscallNumber(rule.syscall) else {
                throw SyscallError("seccomp_syscall_resolve_name", errno: EINVAL, object: rule.syscall)
            }
            let cmps = rule.conditions.map {
                scmp_arg_cmp(arg: $0.index, op: scmp_compare(rawValue: $0.op.rawValue), datum_a: $0.value, datum_b: $0.valueTwo)
            }
            let r = cmps.withUnsafeBufferPointer { buf in
                seccomp_rule_add_array(ctx, rule.action.raw, nr, UInt32(buf.count), buf.baseAddress)
            }
            if r == -EEXIST {
                // On i386 libseccomp also applies socket rules to socketcall, without the
                // argument conditions; two such rules with different actions collide.
                throw SyscallError("seccomp_rule_add", errno: EEXIST,
                                   object: "\(rule.syscall) (\(rule.action)): conflicts with another rule for the same call and arguments")
            }
            if r < 0 { throw SyscallError("seccomp_rule_add", errno: -r, object: rule.syscall) }
        }
        // libseccomp 2.5 exports only to an fd: a memfd keeps the program off the file system.
        let fd = silo_memfd_create("silo-seccomp", 1 /* MFD_CLOEXEC */)
        if fd < 0 { throw SyscallError.last("memfd_create", "seccomp filter") }
        defer { close(fd) }
        try check(seccomp_export_bpf(ctx, fd), "seccomp_export_bpf")
        if lseek(fd, 0, SEEK_SET) != 0 { throw SyscallError.last("lseek", "seccomp filter") }
        let bpf = try FileIO.readAll(fd: fd, limit: 1 << 20, object: "seccomp filter")
        // BPF_MAXINSNS: the kernel refuses longer programs with EINVAL, late and in the child.
        if bpf.isEmpty || bpf.count % 8 != 0 || bpf.count / 8 > 4096 {
            throw SyscallError("seccomp_export_bpf", errno: E2BIG, object: "\(bpf.count / 8) instructions (the kernel takes at most 4096)")
        }
        return bpf
    }

    static func check(_ r: Int32, _ call: String) throws(SyscallError) {
        if r < 0 { throw SyscallError(call, errno: -r) }
    }
}
