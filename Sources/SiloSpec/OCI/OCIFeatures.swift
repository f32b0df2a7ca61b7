/// `silo features` (runtime-spec features.md, features-linux.md): what this runtime accepts in
/// config.json, for engines that adapt to the runtime they drive. Nil means "not reported",
/// which the spec reads as unknown, not as unsupported.
public struct OCIFeatures: Equatable, Sendable {
    public var ociVersionMin = "1.0.0"
    public var ociVersionMax = OCISpec.version
    public var hooks: [String] = []
    public var mountOptions: [String] = []
    public var namespaces: [String] = []
    public var capabilities: [String] = []
    public var cgroup = Cgroup()
    public var seccomp = Seccomp()
    public var apparmor: Bool?
    public var selinux: Bool?
    public var intelRdt: Bool?
    public var idmapMounts: Bool?
    public var annotations: [String: String] = [:]

    public init() {}

    public struct Cgroup: Equatable, Sendable {
        public var v1: Bool?
        public var v2: Bool?
        public var systemd: Bool?
        public var systemdUser: Bool?
        public var rdma: Bool?
        public init() {}
    }

    public struct Seccomp: Equatable, Sendable {
        public var enabled: Bool?
        public var actions: [String] = []
        public var operators: [String] = []
        public var archs: [String] = []
        public var knownFlags: [String] = []
        public var supportedFlags: [String] = []
        public init() {}
    }

    /// The mount options config.md lists for Linux plus the ones runc and crun add and engines
    /// send (tmpcopyup from podman, idmap/ridmap for idmapped mounts, the recursive rro/rnosuid
    /// forms that mount_setattr applies).
    public static let linuxMountOptions = [
        "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "iversion", "lazytime", "loud",
        "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime",
        "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime", "relatime", "remount",
        "rexec", "ridmap", "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid",
        "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
        "rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync",
        "tmpcopyup", "unbindable",
    ]

    /// What silo supports, as the parser in this module accepts it. The CLI may narrow it with
    /// what the host can do (libseccomp's architectures, its version as an annotation).
    public static var silo: OCIFeatures {
        var f = OCIFeatures()
        f.hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        f.mountOptions = linuxMountOptions
        f.namespaces = OCISpec.NamespaceType.allCases.map(\.rawValue).sorted()
        f.capabilities = OCISpec.knownCapabilities
        f.cgroup.v1 = true
        f.cgroup.v2 = true
        f.cgroup.systemd = false
        f.cgroup.systemdUser = false
        f.cgroup.rdma = false
        f.seccomp.enabled = true
        f.seccomp.actions = OCISpec.seccompActions.filter { $0 != "SCMP_ACT_NOTIFY" }.sorted()
        f.seccomp.operators = OCISpec.seccompOperators.sorted()
        // libseccomp 2.5.4 (Debian 12) knows these.
        f.seccomp.archs = [
            "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
            "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_PPC",
            "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32",
            "SCMP_ARCH_X86", "SCMP_ARCH_X86_64",
        ]
        f.seccomp.knownFlags = OCISpec.seccompFlags
        // TSYNC is moot for silo's single-threaded child; the others change what the filter
        // does and are refused when the filter is compiled.
        f.seccomp.supportedFlags = ["SECCOMP_FILTER_FLAG_TSYNC"]
        f.apparmor = false
        f.selinux = false
        f.intelRdt = false
        f.idmapMounts = true
        return f
    }

    /// Members in the order of runc's output.
    public var json: JSON {
        var m: [JSON.Member] = [.init("ociVersionMin", .string(ociVersionMin)), .init("ociVersionMax", .string(ociVersionMax))]
        if !hooks.isEmpty { m.append(.init("hooks", .strings(hooks))) }
        if !mountOptions.isEmpty { m.append(.init("mountOptions", .strings(mountOptions))) }
        var l: [JSON.Member] = []
        if !namespaces.isEmpty { l.append(.init("namespaces", .strings(namespaces))) }
        if !capabilities.isEmpty { l.append(.init("capabilities", .strings(capabilities))) }
        var c: [JSON.Member] = []
        c.add("v1", cgroup.v1); c.add("v2", cgroup.v2); c.add("systemd", cgroup.systemd)
        c.add("systemdUser", cgroup.systemdUser); c.add("rdma", cgroup.rdma)
        if !c.isEmpty { l.append(.init("cgroup", .object(c))) }
        var s: [JSON.Member] = []
        s.add("enabled", seccomp.enabled)
        for (key, list) in [("actions", seccomp.actions), ("operators", seccomp.operators), ("archs", seccomp.archs),
                            ("knownFlags", seccomp.knownFlags), ("supportedFlags", seccomp.supportedFlags)] where !list.isEmpty {
            s.append(.init(key, .strings(list)))
        }
        if !s.isEmpty { l.append(.init("seccomp", .object(s))) }
        for (key, value) in [("apparmor", apparmor), ("selinux", selinux), ("intelRdt", intelRdt)] {
            if let value { l.append(.init(key, .object([.init("enabled", .bool(value))]))) }
        }
        if let idmapMounts {
            l.append(.init("mountExtensions", .object([.init("idmap", .object([.init("enabled", .bool(idmapMounts))]))])))
        }
        if !l.isEmpty { m.append(.init("linux", .object(l))) }
        if !annotations.isEmpty { m.append(.init("annotations", .stringMap(annotations))) }
        return .object(m)
    }
}
