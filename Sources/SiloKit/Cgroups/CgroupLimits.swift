/// What a container may take, in docker's terms (`--memory 64m`, `--cpus 0.5`, ...). Values are
/// validated when set; how each maps onto v1 or v2 files is `CgroupLimits+Files.swift`.
public struct CgroupLimits: Equatable, Sendable {
    public struct DeviceRate: Equatable, Sendable {
        public var major: UInt32
        public var minor: UInt32
        public var bytesPerSecond: UInt64
        public init(major: UInt32, minor: UInt32, bytesPerSecond: UInt64) {
            self.major = major
            self.minor = minor
            self.bytesPerSecond = bytesPerSecond
        }
    }

    /// The default pids limit of every container (docs/security.md, "Resource limits").
    public static let defaultPidsLimit: Int64 = 2048
    public static let cpuPeriod: UInt64 = 100_000

    /// Bytes.
    public var memory: Int64?
    /// Docker's total of memory plus swap, in bytes; -1 is unlimited swap.
    public var memorySwap: Int64?
    public var memoryReservation: Int64?
    /// -1 is unlimited ("max"); nil leaves the cgroup as created.
    public var pidsLimit: Int64?
    /// True while `pidsLimit` is silo's default rather than the user's choice: a host that cannot
    /// apply it (no pids controller delegated) skips it instead of failing.
    public var pidsLimitIsDefault = false
    /// CFS quota per period, microseconds.
    public var cpuQuota: Int64?
    public var cpuPeriod: UInt64?
    /// v1 cpu.shares (2...262144); converted for v2.
    public var cpuShares: UInt64?
    /// v2 cpu.weight (1...10000); converted for v1.
    public var cpuWeight: UInt64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// 10...1000.
    public var blkioWeight: UInt16?
    public var deviceReadBps: [DeviceRate] = []
    public var deviceWriteBps: [DeviceRate] = []
    /// Not a cgroup setting: /proc/<pid>/oom_score_adj of the container's first process, written by
    /// the launcher. Kept here because docker spells it with the limits.
    public var oomScoreAdj: Int32?
    /// OCI `linux.resources.unified`: cgroup v2 file → value, written as given (v2 only).
    public var unified: [String: String] = [:]

    public init() {}

    /// What every container gets when the user says nothing: its own cgroup (a memory ceiling by
    /// nesting under the caller's) and the default pids limit.
    public static var contained: CgroupLimits {
        var l = CgroupLimits()
        l.pidsLimit = defaultPidsLimit
        l.pidsLimitIsDefault = true
        return l
    }

    /// The default pids limit added unless the user set one; `--pids-limit 0` set it to unlimited.
    public func withDefaults() -> CgroupLimits {
        var l = self
        if l.pidsLimit == nil {
            l.pidsLimit = Self.defaultPidsLimit
            l.pidsLimitIsDefault = true
        }
        return l
    }

    /// Controllers these limits write to; the pids controller only when the user asked for a limit.
    func controllers(includingDefaults: Bool) -> Set<String> {
        var c: Set<String> = []
        if memory != nil || memorySwap != nil || memoryReservation != nil { c.insert("memory") }
        if pidsLimit != nil && (includingDefaults || !pidsLimitIsDefault) { c.insert("pids") }
        if cpuQuota != nil || cpuPeriod != nil || cpuShares != nil || cpuWeight != nil { c.insert("cpu") }
        if cpusetCpus != nil || cpusetMems != nil { c.insert("cpuset") }
        if blkioWeight != nil || !deviceReadBps.isEmpty || !deviceWriteBps.isEmpty { c.insert("io") }
        return c
    }

    // runc's conversions (libcontainer/cgroups/utils.go), so that a value means the same under both.
    public static func weight(fromShares shares: UInt64) -> UInt64 {
        shares == 0 ? 0 : 1 + ((max(2, min(shares, 262_144)) - 2) * 9999) / 262_142
    }

    public static func shares(fromWeight weight: UInt64) -> UInt64 {
        weight == 0 ? 0 : 2 + ((max(1, min(weight, 10_000)) - 1) * 262_142) / 9999
    }

    /// blkio.weight (10...1000) → io.weight (1...10000).
    public static func ioWeight(fromBlkio w: UInt16) -> UInt64 {
        1 + (UInt64(max(10, min(w, 1000))) - 10) * 9999 / 990
    }
}
