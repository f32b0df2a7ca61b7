import SiloSys

/// Capability names and silo's defaults. The container's capabilities live in its own user
/// namespace, so even "ALL" grants nothing over the host; they still decide what the container
/// may do to its own namespaces (mounts, network devices, hostname) and files.
public enum Capabilities {
    /// Bit N is capability N (linux/capability.h), up to CAP_CHECKPOINT_RESTORE (40).
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Docker's default set of 14 (moby daemon/pkg/oci/caps/defaults.go).
    public static let dockerDefault: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// 0x00000000a80425fb
    public static var defaultMask: UInt64 { dockerDefault.reduce(0) { $0 | (1 << UInt64(names.firstIndex(of: $1) ?? 0)) } }

    /// A capability number from any usual spelling: NET_ADMIN, net_admin, CAP_NET_ADMIN, cap_net_admin.
    public static func number(_ spelling: String) -> Int32? {
        var s = spelling.uppercased()
        if !s.hasPrefix("CAP_") { s = "CAP_" + s }
        return names.firstIndex(of: s).map { Int32($0) }
    }

    public static func name(_ cap: Int32) -> String {
        cap >= 0 && Int(cap) < names.count ? names[Int(cap)] : "CAP_\(cap)"
    }

    /// The names of the bits set in `mask`, in number order.
    public static func names(in mask: UInt64) -> [String] {
        (0..<64).filter { mask & (1 << UInt64($0)) != 0 }.map { name(Int32($0)) }
    }

    /// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
    public static func lastCap() -> Int32 {
        guard let text = try? FileIO.read("/proc/sys/kernel/cap_last_cap"),
              let n = Int32(text.split(separator: "\n").first ?? "") else { return Int32(names.count - 1) }
        return min(n, 63)
    }

    /// The set after `--cap-add` / `--cap-drop`, with Docker's rules: ALL in the adds means
    /// every capability minus the drops; ALL in the drops means only the adds; otherwise the
    /// defaults minus the drops plus the adds (an add wins over a drop of the same name).
    public static func resolve(add: [String], drop: [String], lastCap: Int32) throws(RuntimeError) -> UInt64 {
        let all: UInt64 = lastCap >= 63 ? ~0 : (UInt64(1) << UInt64(lastCap + 1)) - 1
        func parse(_ list: [String], _ option: String) throws(RuntimeError) -> (mask: UInt64, all: Bool) {
            var mask: UInt64 = 0
            var hasAll = false
            for spelling in list {
                if spelling.uppercased() == "ALL" {
                    hasAll = true
                    continue
                }
                guard let n = number(spelling) else {
                    throw RuntimeError(.usage, "\(option) \(spelling): unknown capability (expected a name such as NET_ADMIN, cap_net_admin or ALL)")
                }
                guard n <= lastCap else {
                    throw RuntimeError(.usage, "\(option) \(spelling): \(name(n)) is not supported by this kernel (cap_last_cap is \(lastCap))")
                }
                mask |= 1 << UInt64(n)
            }
            return (mask, hasAll)
        }
        let adds = try parse(add, "cap-add")
        let drops = try parse(drop, "cap-drop")
        if adds.all { return all & ~drops.mask }
        if drops.all { return adds.mask }
        return ((defaultMask & all) & ~drops.mask) | adds.mask
    }

    /// The sets the child installs. Inheritable and ambient stay empty: a filled inheritable
    /// set let an exec'd program with file capabilities regain what was dropped (CVE-2022-24769).
    /// A non-root user starts with empty permitted and effective sets, which is also what
    /// execve would leave it (no ambient capabilities); the bounding set stays as configured.
    public static func state(_ mask: UInt64, uid: UInt32, lastCap: Int32) -> CapabilityState {
        let userSets: UInt64 = uid == 0 ? mask : 0
        return CapabilityState(bounding: mask, effective: userSets, permitted: userSets, inheritable: 0, lastCap: lastCap)
    }
}
