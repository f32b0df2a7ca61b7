import SiloSpec
import SiloSys

/// `linux.resources` of a bundle: the limits `silo run` and `update` share (CgroupLimits, which
/// refuses by name what it cannot honour), plus what only a bundle asks for and runc applies:
/// v1's swappiness and OOM-killer switch, real-time CPU time, hugetlb limits and net_cls/net_prio
/// (CgroupNetHugetlb, shared with `update`), the device rules, and v1's kernel memory limits
/// (written where the files exist: kernels since 5.16 accept memory.kmem.limit_in_bytes and
/// ignore it; the TCP buffer limit still works).
struct BundleResources {
    var swappiness: UInt64?
    var kernel: Int64?
    var kernelTCP: Int64?
    var disableOOMKiller = false
    var realtimePeriod: UInt64?
    var realtimeRuntime: Int64?
    var netHugetlb = CgroupNetHugetlb()
    var devices: [OCISpec.DeviceRule] = []
    /// `linux.devices`: the nodes the container is given are usable (runc allows each).
    var nodes: [OCISpec.DeviceRule] = []

    static func read(_ r: OCISpec.Resources, devices: [OCISpec.Device] = []) throws(RuntimeError) -> (CgroupLimits, BundleResources, [String]) {
        var rest = r, extra = BundleResources(), warnings: [String] = []
        if r.devices.contains(where: { !$0.allow }) {
            extra.nodes = devices.filter { $0.type != "p" }.map {
                OCISpec.DeviceRule(allow: true, type: $0.type == "u" ? "c" : $0.type, major: $0.major, minor: $0.minor, access: "rwm")
            }
        }
        if let m = r.memory {
            extra.kernel = m.kernel
            extra.kernelTCP = m.kernelTCP
            extra.swappiness = m.swappiness
            extra.disableOOMKiller = m.disableOOMKiller == true
            rest.memory?.kernel = nil
            rest.memory?.kernelTCP = nil
            rest.memory?.swappiness = nil
            rest.memory?.disableOOMKiller = nil
        }
        if let c = r.cpu {
            extra.realtimePeriod = c.realtimePeriod
            extra.realtimeRuntime = c.realtimeRuntime
            rest.cpu?.realtimePeriod = nil
            rest.cpu?.realtimeRuntime = nil
        }
        do { extra.netHugetlb = try CgroupNetHugetlb(oci: r) } catch { throw RuntimeError(.usage, "config.json: .\(error.message)") }
        rest.hugepageLimits = []
        rest.network = nil
        extra.devices = r.devices
        rest.devices = []
        do {
            let limits = try CgroupLimits(oci: rest)
            try limits.validate()
            return (limits, extra, warnings)
        } catch { throw RuntimeError(.usage, "config.json: .\(error.message)") }
    }

    /// The v2 controllers these need beyond the limits' own.
    var controllers: [String] {
        netHugetlb.controllers + (realtimeRuntime != nil || realtimePeriod != nil ? ["cpu"] : [])
    }

    /// Before any directory is made: a field whose hierarchy the host lacks is refused.
    func check(_ cg: Cgroup) throws(CgroupError) {
        do { try netHugetlb.check(cg) } catch { throw CgroupError("config.json: .\(error.message)", errno: error.errno) }
    }

    func apply(to cg: Cgroup) throws(CgroupError) -> [String] {
        var warnings: [String] = []
        let v2 = cg.layout.kind == .v2
        func write(_ controller: String, _ file: String, _ value: String) throws(CgroupError) {
            guard let p = cg.place(controller) else { throw CgroupError("cgroup \(cg.name): no \(controller) controller on this host for \(file)") }
            try cg.write(p.directory + "/" + file, value, controller: controller)
        }
        if let s = swappiness {
            if v2 { warnings.append("config.json: .linux.resources.memory.swappiness: cgroup v2 has none; ignored") } else { try write("memory", "memory.swappiness", "\(s)") }
        }
        for (value, file) in [(kernel, "memory.kmem.limit_in_bytes"), (kernelTCP, "memory.kmem.tcp.limit_in_bytes")] {
            guard let value else { continue }
            if let p = cg.place("memory"), !v2, cg.fs.exists(p.directory + "/" + file) {
                try write("memory", file, "\(value)")
            } else {
                warnings.append("config.json: .linux.resources.memory.kernel\(file.contains("tcp") ? "TCP" : ""): no \(file) on this host; ignored")
            }
        }
        if disableOOMKiller {
            if v2 { warnings.append("config.json: .linux.resources.memory.disableOOMKiller: cgroup v2 has no such switch; ignored") } else { try write("memory", "memory.oom_control", "1") }
        }
        // Period first: the kernel checks the runtime against it.
        if let p = realtimePeriod { try write("cpu", "cpu.rt_period_us", "\(p)") }
        if let r = realtimeRuntime { try write("cpu", "cpu.rt_runtime_us", "\(r)") }
        do { try netHugetlb.apply(to: cg) } catch { throw CgroupError("config.json: .\(error.message)", errno: error.errno) }
        if !devices.isEmpty {
            if v2 || cg.place("devices") == nil {
                warnings.append("config.json: .linux.resources.devices: not enforced on this host (cgroup v2 needs an eBPF program); the container's /dev holds only its own nodes")
            } else {
                for rule in devices + Self.defaultDevices(after: devices) + nodes {
                    try write("devices", rule.allow ? "devices.allow" : "devices.deny", Self.line(rule))
                }
            }
        }
        return warnings
    }

    /// "c 1:3 rwm"; a missing type is "a" (every device), missing numbers "*".
    static func line(_ r: OCISpec.DeviceRule) -> String {
        let type = r.type.flatMap { $0.isEmpty ? nil : $0 } ?? "a"
        return "\(type) \(r.major.map(String.init) ?? "*"):\(r.minor.map(String.init) ?? "*") \(r.access.flatMap { $0.isEmpty ? nil : $0 } ?? "rwm")"
    }

    /// After a config's "deny all", the nodes silo always makes stay usable (runc's default
    /// allow list: null, zero, full, random, urandom, tty, console, ptmx, the pts).
    static func defaultDevices(after rules: [OCISpec.DeviceRule]) -> [OCISpec.DeviceRule] {
        guard rules.contains(where: { !$0.allow && ($0.type ?? "a") == "a" }) else { return [] }
        return [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, nil)].map { (ma: Int64, mi: Int64?) in
            var r = OCISpec.DeviceRule(allow: true)
            r.type = "c"
            r.major = ma
            r.minor = mi
            r.access = "rwm"
            return r
        }
    }
}
