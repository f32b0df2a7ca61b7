import SiloSpec

/// `linux.resources` of an OCI bundle, with runc's reading of each field. Fields silo cannot
/// honour are refused by name rather than dropped: a bundle that asks for a limit must get it.
extension CgroupLimits {
    public init(oci r: OCISpec.Resources) throws(CgroupError) {
        self.init()
        func unsupported(_ field: String) -> CgroupError { CgroupError("linux.resources.\(field): not supported by silo") }
        if let m = r.memory {
            if let v = m.limit, v > 0 { memory = v }
            if let v = m.reservation, v > 0 { memoryReservation = v }
            if let v = m.swap, v != 0 { memorySwap = v < 0 ? -1 : v }
            if m.kernel != nil || m.kernelTCP != nil { throw unsupported("memory.kernel") }
            if m.swappiness != nil { throw unsupported("memory.swappiness") }
            if m.disableOOMKiller == true { throw unsupported("memory.disableOOMKiller") }
        }
        if let c = r.cpu {
            if let v = c.shares, v > 0 {
                guard (2...262_144).contains(v) else { throw CgroupError("linux.resources.cpu.shares \(v): not in 2...262144") }
                cpuShares = v
            }
            if let v = c.quota, v != 0 { cpuQuota = v < 0 ? -1 : v }
            if let v = c.period, v > 0 { cpuPeriod = v }
            if let v = c.cpus, !v.isEmpty {
                guard Self.isCPUList(v) else { throw CgroupError("linux.resources.cpu.cpus \(v): not a list such as 0-3,5") }
                cpusetCpus = v
            }
            if let v = c.mems, !v.isEmpty {
                guard Self.isCPUList(v) else { throw CgroupError("linux.resources.cpu.mems \(v): not a list such as 0-1") }
                cpusetMems = v
            }
            if c.realtimeRuntime != nil || c.realtimePeriod != nil { throw unsupported("cpu.realtime*") }
            if c.burst != nil { throw unsupported("cpu.burst") }
            if c.idle != nil { throw unsupported("cpu.idle") }
        }
        // runc: a positive limit is the limit, a negative one is "max", zero leaves it alone.
        if let p = r.pids?.limit, p != 0 { pidsLimit = p < 0 ? -1 : p }
        if let b = r.blockIO {
            if let w = b.weight, w > 0 {
                guard (10...1000).contains(w) else { throw CgroupError("linux.resources.blockIO.weight \(w): not in 10...1000") }
                blkioWeight = w
            }
            func rates(_ list: [OCISpec.ThrottleDevice], _ field: String) throws(CgroupError) -> [DeviceRate] {
                var out: [DeviceRate] = []
                for d in list {
                    guard let major = UInt32(exactly: d.major), let minor = UInt32(exactly: d.minor) else {
                        throw CgroupError("linux.resources.blockIO.\(field): device \(d.major):\(d.minor) out of range")
                    }
                    out.append(DeviceRate(major: major, minor: minor, bytesPerSecond: d.rate))
                }
                return out
            }
            deviceReadBps = try rates(b.throttleReadBpsDevice, "throttleReadBpsDevice")
            deviceWriteBps = try rates(b.throttleWriteBpsDevice, "throttleWriteBpsDevice")
            if b.leafWeight != nil || !b.weightDevice.isEmpty { throw unsupported("blockIO.weightDevice/leafWeight") }
            if !b.throttleReadIOPSDevice.isEmpty || !b.throttleWriteIOPSDevice.isEmpty { throw unsupported("blockIO.throttle*IOPSDevice") }
        }
        if !r.hugepageLimits.isEmpty { throw unsupported("hugepageLimits") }
        if !r.rdma.isEmpty { throw unsupported("rdma") }
        if r.network != nil { throw unsupported("network") }
        for (file, _) in r.unified where file.contains("/") || file.hasPrefix(".") || !file.contains(".") {
            throw CgroupError("linux.resources.unified \(file): not a cgroup file name")
        }
        unified = r.unified
        // linux.resources.devices is not a cgroup matter for silo: devices are created or bound
        // into the container's /dev by the mount plan, and seccomp + no CAP_MKNOD keep it closed.
    }
}
