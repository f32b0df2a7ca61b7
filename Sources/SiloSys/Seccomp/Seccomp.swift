#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSiloShim

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
