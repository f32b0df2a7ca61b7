/// One value for one control file of the container's cgroup.
public struct CgroupWrite: Equatable, Sendable {
    /// The controller whose hierarchy holds the file (v1) or that must be enabled for it (v2).
    public var controller: String
    public var file: String
    public var value: String
    public init(_ controller: String, _ file: String, _ value: String) {
        self.controller = controller
        self.file = file
        self.value = value
    }
}

extension CgroupLimits {
    /// The control-file writes for cgroup v1, in the order they must happen. `swapAccounting` is
    /// whether memory.memsw.* exists (the kernel's swapaccount): without it a swap limit is refused.
    public func v1Writes(swapAccounting: Bool) throws(CgroupError) -> [CgroupWrite] {
        var w: [CgroupWrite] = []
        if let m = memory {
            w.append(.init("memory", "memory.limit_in_bytes", "\(m)"))
            if let s = memorySwap {
                guard swapAccounting else {
                    throw CgroupError("--memory-swap \(s): this host's kernel does not account swap (memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)")
                }
                w.append(.init("memory", "memory.memsw.limit_in_bytes", "\(s)"))
            } else if swapAccounting {
                // docker: without --memory-swap the container may use as much swap as memory.
                w.append(.init("memory", "memory.memsw.limit_in_bytes", "\(m.multipliedReportingOverflow(by: 2).overflow ? -1 : m * 2)"))
            }
        } else if let s = memorySwap, s != -1 {
            throw CgroupError("--memory-swap \(s): needs --memory as well (it is memory plus swap)")
        }
        if let r = memoryReservation { w.append(.init("memory", "memory.soft_limit_in_bytes", "\(r)")) }
        if let p = pidsLimit { w.append(.init("pids", "pids.max", p < 0 ? "max" : "\(p)")) }
        if let p = cpuPeriod { w.append(.init("cpu", "cpu.cfs_period_us", "\(p)")) }
        if let q = cpuQuota { w.append(.init("cpu", "cpu.cfs_quota_us", "\(q)")) }
        if let s = cpuShares ?? cpuWeight.map(Self.shares(fromWeight:)) { w.append(.init("cpu", "cpu.shares", "\(s)")) }
        if let c = cpusetCpus { w.append(.init("cpuset", "cpuset.cpus", c)) }
        if let m = cpusetMems { w.append(.init("cpuset", "cpuset.mems", m)) }
        if let b = blkioWeight { w.append(.init("blkio", "blkio.weight", "\(b)")) }
        for d in deviceReadBps { w.append(.init("blkio", "blkio.throttle.read_bps_device", "\(d.major):\(d.minor) \(d.bytesPerSecond)")) }
        for d in deviceWriteBps { w.append(.init("blkio", "blkio.throttle.write_bps_device", "\(d.major):\(d.minor) \(d.bytesPerSecond)")) }
        if let (file, _) = unified.min(by: { $0.key < $1.key }) {
            throw CgroupError("linux.resources.unified \(file): needs cgroup v2 for that controller, this host has v1")
        }
        return w
    }

    /// The control-file writes for cgroup v2.
    public func v2Writes() -> [CgroupWrite] {
        var w: [CgroupWrite] = []
        if let m = memory { w.append(.init("memory", "memory.max", "\(m)")) }
        // v2's swap.max is swap alone; docker's value is memory plus swap.
        if let s = memorySwap {
            let swap = s < 0 ? "max" : "\(max(0, s - (memory ?? 0)))"
            w.append(.init("memory", "memory.swap.max", swap))
        } else if let m = memory {
            w.append(.init("memory", "memory.swap.max", "\(m)"))
        }
        if let r = memoryReservation { w.append(.init("memory", "memory.low", "\(r)")) }
        if let p = pidsLimit { w.append(.init("pids", "pids.max", p < 0 ? "max" : "\(p)")) }
        if cpuQuota != nil || cpuPeriod != nil {
            let q = cpuQuota.map { $0 < 0 ? "max" : "\($0)" } ?? "max"
            w.append(.init("cpu", "cpu.max", "\(q) \(cpuPeriod ?? Self.cpuPeriod)"))
        }
        if let wt = cpuWeight ?? cpuShares.map(Self.weight(fromShares:)) { w.append(.init("cpu", "cpu.weight", "\(wt)")) }
        if let c = cpusetCpus { w.append(.init("cpuset", "cpuset.cpus", c)) }
        if let m = cpusetMems { w.append(.init("cpuset", "cpuset.mems", m)) }
        if let b = blkioWeight { w.append(.init("io", "io.weight", "default \(Self.ioWeight(fromBlkio: b))")) }
        var io: [String: (r: UInt64?, w: UInt64?)] = [:]
        for d in deviceReadBps { io["\(d.major):\(d.minor)", default: (nil, nil)].r = d.bytesPerSecond }
        for d in deviceWriteBps { io["\(d.major):\(d.minor)", default: (nil, nil)].w = d.bytesPerSecond }
        for (dev, r) in io.sorted(by: { $0.key < $1.key }) {
            let parts = [r.r.map { "rbps=\($0)" }, r.w.map { "wbps=\($0)" }].compactMap { $0 }
            w.append(.init("io", "io.max", "\(dev) \(parts.joined(separator: " "))"))
        }
        for (file, value) in unified.sorted(by: { $0.key < $1.key }) {
            w.append(.init(String(file.prefix { $0 != "." }), file, value))
        }
        return w
    }
}
