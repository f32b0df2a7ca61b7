extension OCISpec {
    /// `linux.resources`: parsed and type-checked here; what each value means for cgroup v1 or
    /// v2 (and whether this host can honour it) is the cgroup layer's decision.
    public struct Resources: Equatable, Sendable {
        public var devices: [DeviceRule] = []
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var blockIO: BlockIO?
        public var hugepageLimits: [HugepageLimit] = []
        public var network: Network?
        /// Device name → limits.
        public var rdma: [String: RDMA] = [:]
        /// cgroup v2 file name → content, written as is.
        public var unified: [String: String] = [:]
        public init() {}
    }

    /// An entry of the device allow/deny list, applied in order.
    public struct DeviceRule: Equatable, Sendable {
        public var allow: Bool
        /// "a", "b" or "c"; nil means all ("a").
        public var type: String?
        /// nil means all (-1 in runc's terms).
        public var major: Int64?
        public var minor: Int64?
        /// Letters of "rwm"; nil means all.
        public var access: String?
        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    public struct Memory: Equatable, Sendable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public var kernel: Int64?
        public var kernelTCP: Int64?
        public var swappiness: UInt64?
        public var disableOOMKiller: Bool?
        public var useHierarchy: Bool?
        public var checkBeforeUpdate: Bool?
        public init() {}
    }

    public struct CPU: Equatable, Sendable {
        public var shares: UInt64?
        public var quota: Int64?
        public var burst: UInt64?
        public var period: UInt64?
        public var realtimeRuntime: Int64?
        public var realtimePeriod: UInt64?
        public var cpus: String?
        public var mems: String?
        public var idle: Int64?
        public init() {}
    }

    public struct Pids: Equatable, Sendable {
        public var limit: Int64?
        public init(limit: Int64? = nil) { self.limit = limit }
    }

    public struct BlockIO: Equatable, Sendable {
        public var weight: UInt16?
        public var leafWeight: UInt16?
        public var weightDevice: [WeightDevice] = []
        public var throttleReadBpsDevice: [ThrottleDevice] = []
        public var throttleWriteBpsDevice: [ThrottleDevice] = []
        public var throttleReadIOPSDevice: [ThrottleDevice] = []
        public var throttleWriteIOPSDevice: [ThrottleDevice] = []
        public init() {}
    }

    public struct WeightDevice: Equatable, Sendable {
        public var major: Int64
        public var minor: Int64
        public var weight: UInt16?
        public var leafWeight: UInt16?
        public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
            self.major = major
            self.minor = minor
            self.weight = weight
            self.leafWeight = leafWeight
        }
    }

    public struct ThrottleDevice: Equatable, Sendable {
        public var major: Int64
        public var minor: Int64
        public var rate: UInt64
        public init(major: Int64, minor: Int64, rate: UInt64) {
            self.major = major
            self.minor = minor
            self.rate = rate
        }
    }

    public struct HugepageLimit: Equatable, Sendable {
        /// "2MB", "1GB", …
        public var pageSize: String
        public var limit: UInt64
        public init(pageSize: String, limit: UInt64) {
            self.pageSize = pageSize
            self.limit = limit
        }
    }

    public struct Network: Equatable, Sendable {
        public var classID: UInt32?
        public var priorities: [InterfacePriority] = []
        public init() {}
    }

    public struct InterfacePriority: Equatable, Sendable {
        public var name: String
        public var priority: UInt32
        public init(name: String, priority: UInt32) {
            self.name = name
            self.priority = priority
        }
    }

    public struct RDMA: Equatable, Sendable {
        public var hcaHandles: UInt32?
        public var hcaObjects: UInt32?
        public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
            self.hcaHandles = hcaHandles
            self.hcaObjects = hcaObjects
        }
    }
}

// MARK: - Reading

extension OCISpec.Resources {
    static func parse(_ n: OCINode) throws(OCIError) -> OCISpec.Resources {
        var r = OCISpec.Resources()
        r.devices = try devices(n)
        if let m = try n["memory"].object() { r.memory = try memory(m) }
        if let c = try n["cpu"].object() { r.cpu = try cpu(c) }
        if let p = try n["pids"].object() {
            r.pids = OCISpec.Pids(limit: try p["limit"].integer(Int64.self))
        }
        if let b = try n["blockIO"].object() { r.blockIO = try blockIO(b) }
        for h in try n["hugepageLimits"].array() ?? [] {
            _ = try h.requiredObject()
            r.hugepageLimits.append(OCISpec.HugepageLimit(pageSize: try h["pageSize"].requiredString(),
                                                          limit: try h["limit"].requiredInteger(UInt64.self)))
        }
        if let net = try n["network"].object() {
            var nw = OCISpec.Network()
            nw.classID = try net["classID"].integer(UInt32.self)
            for p in try net["priorities"].array() ?? [] {
                _ = try p.requiredObject()
                nw.priorities.append(OCISpec.InterfacePriority(name: try p["name"].requiredString(),
                                                               priority: try p["priority"].requiredInteger(UInt32.self)))
            }
            r.network = nw
        }
        for (name, d) in try n["rdma"].members() {
            _ = try d.requiredObject()
            let limit = OCISpec.RDMA(hcaHandles: try d["hcaHandles"].integer(UInt32.self), hcaObjects: try d["hcaObjects"].integer(UInt32.self))
            if limit.hcaHandles == nil && limit.hcaObjects == nil { throw d.fail("needs hcaHandles or hcaObjects") }
            r.rdma[name] = limit
        }
        r.unified = try n["unified"].stringMap() ?? [:]
        return r
    }

    static func devices(_ n: OCINode) throws(OCIError) -> [OCISpec.DeviceRule] {
        var rules: [OCISpec.DeviceRule] = []
        for d in try n["devices"].array() ?? [] {
            _ = try d.requiredObject()
            guard let allow = try d["allow"].bool() else { throw d["allow"].fail("missing (a boolean is required)") }
            var rule = OCISpec.DeviceRule(allow: allow)
            rule.type = try d["type"].oneOf(["a", "b", "c"], "device type")
            rule.major = try d["major"].integer(Int64.self)
            rule.minor = try d["minor"].integer(Int64.self)
            if let access = try d["access"].string() {
                guard access.utf8.allSatisfy({ $0 == UInt8(ascii: "r") || $0 == UInt8(ascii: "w") || $0 == UInt8(ascii: "m") }) else {
                    throw d["access"].fail("must be letters of \"rwm\", found \"\(access)\"")
                }
                rule.access = access
            }
            rules.append(rule)
        }
        return rules
    }

    static func memory(_ m: OCINode) throws(OCIError) -> OCISpec.Memory {
        var mem = OCISpec.Memory()
        mem.limit = try m["limit"].integer(Int64.self)
        mem.reservation = try m["reservation"].integer(Int64.self)
        mem.swap = try m["swap"].integer(Int64.self)
        mem.kernel = try m["kernel"].integer(Int64.self)
        mem.kernelTCP = try m["kernelTCP"].integer(Int64.self)
        mem.swappiness = try m["swappiness"].integer(UInt64.self)
        mem.disableOOMKiller = try m["disableOOMKiller"].bool()
        mem.useHierarchy = try m["useHierarchy"].bool()
        mem.checkBeforeUpdate = try m["checkBeforeUpdate"].bool()
        return mem
    }

    static func cpu(_ c: OCINode) throws(OCIError) -> OCISpec.CPU {
        var cpu = OCISpec.CPU()
        cpu.shares = try c["shares"].integer(UInt64.self)
        cpu.quota = try c["quota"].integer(Int64.self)
        cpu.burst = try c["burst"].integer(UInt64.self)
        cpu.period = try c["period"].integer(UInt64.self)
        cpu.realtimeRuntime = try c["realtimeRuntime"].integer(Int64.self)
        cpu.realtimePeriod = try c["realtimePeriod"].integer(UInt64.self)
        cpu.cpus = try c["cpus"].string()
        cpu.mems = try c["mems"].string()
        cpu.idle = try c["idle"].integer(Int64.self)
        return cpu
    }

    static func blockIO(_ b: OCINode) throws(OCIError) -> OCISpec.BlockIO {
        var io = OCISpec.BlockIO()
        io.weight = try b["weight"].integer(UInt16.self)
        io.leafWeight = try b["leafWeight"].integer(UInt16.self)
        for w in try b["weightDevice"].array() ?? [] {
            _ = try w.requiredObject()
            var wd = OCISpec.WeightDevice(major: try w["major"].requiredInteger(Int64.self), minor: try w["minor"].requiredInteger(Int64.self))
            wd.weight = try w["weight"].integer(UInt16.self)
            wd.leafWeight = try w["leafWeight"].integer(UInt16.self)
            if wd.weight == nil && wd.leafWeight == nil { throw w.fail("needs weight or leafWeight") }
            io.weightDevice.append(wd)
        }
        func throttles(_ key: String) throws(OCIError) -> [OCISpec.ThrottleDevice] {
            var out: [OCISpec.ThrottleDevice] = []
            for t in try b[key].array() ?? [] {
                _ = try t.requiredObject()
                out.append(OCISpec.ThrottleDevice(major: try t["major"].requiredInteger(Int64.self),
                                                  minor: try t["minor"].requiredInteger(Int64.self),
                                                  rate: try t["rate"].requiredInteger(UInt64.self)))
            }
            return out
        }
        io.throttleReadBpsDevice = try throttles("throttleReadBpsDevice")
        io.throttleWriteBpsDevice = try throttles("throttleWriteBpsDevice")
        io.throttleReadIOPSDevice = try throttles("throttleReadIOPSDevice")
        io.throttleWriteIOPSDevice = try throttles("throttleWriteIOPSDevice")
        return io
    }
}

// MARK: - Writing

extension OCISpec.Resources {
    var json: JSON {
        var m: [JSON.Member] = []
        if !devices.isEmpty {
            m.append(.init("devices", .array(devices.map { d in
                var o: [JSON.Member] = [.init("allow", .bool(d.allow))]
                if let t = d.type { o.append(.init("type", .string(t))) }
                if let v = d.major { o.append(.init("major", .integer(v))) }
                if let v = d.minor { o.append(.init("minor", .integer(v))) }
                if let a = d.access { o.append(.init("access", .string(a))) }
                return .object(o)
            })))
        }
        if let mem = memory {
            var o: [JSON.Member] = []
            o.add("limit", mem.limit); o.add("reservation", mem.reservation); o.add("swap", mem.swap)
            o.add("kernel", mem.kernel); o.add("kernelTCP", mem.kernelTCP); o.add("swappiness", mem.swappiness)
            o.add("disableOOMKiller", mem.disableOOMKiller); o.add("useHierarchy", mem.useHierarchy)
            o.add("checkBeforeUpdate", mem.checkBeforeUpdate)
            m.append(.init("memory", .object(o)))
        }
        if let c = cpu {
            var o: [JSON.Member] = []
            o.add("shares", c.shares); o.add("quota", c.quota); o.add("burst", c.burst); o.add("period", c.period)
            o.add("realtimeRuntime", c.realtimeRuntime); o.add("realtimePeriod", c.realtimePeriod)
            o.add("cpus", c.cpus); o.add("mems", c.mems); o.add("idle", c.idle)
            m.append(.init("cpu", .object(o)))
        }
        if let p = pids {
            var o: [JSON.Member] = []
            o.add("limit", p.limit)
            m.append(.init("pids", .object(o)))
        }
        if let b = blockIO {
            var o: [JSON.Member] = []
            o.add("weight", b.weight); o.add("leafWeight", b.leafWeight)
            if !b.weightDevice.isEmpty {
                o.append(.init("weightDevice", .array(b.weightDevice.map { w in
                    var e: [JSON.Member] = [.init("major", .integer(w.major)), .init("minor", .integer(w.minor))]
                    e.add("weight", w.weight); e.add("leafWeight", w.leafWeight)
                    return .object(e)
                })))
            }
            for (key, list) in [("throttleReadBpsDevice", b.throttleReadBpsDevice), ("throttleWriteBpsDevice", b.throttleWriteBpsDevice),
                                ("throttleReadIOPSDevice", b.throttleReadIOPSDevice), ("throttleWriteIOPSDevice", b.throttleWriteIOPSDevice)]
            where !list.isEmpty {
                o.append(.init(key, .array(list.map {
                    .object([.init("major", .integer($0.major)), .init("minor", .integer($0.minor)), .init("rate", .integer($0.rate))])
                })))
            }
            m.append(.init("blockIO", .object(o)))
        }
        if !hugepageLimits.isEmpty {
            m.append(.init("hugepageLimits", .array(hugepageLimits.map {
                .object([.init("pageSize", .string($0.pageSize)), .init("limit", .integer($0.limit))])
            })))
        }
        if let nw = network {
            var o: [JSON.Member] = []
            o.add("classID", nw.classID)
            if !nw.priorities.isEmpty {
                o.append(.init("priorities", .array(nw.priorities.map {
                    .object([.init("name", .string($0.name)), .init("priority", .integer($0.priority))])
                })))
            }
            m.append(.init("network", .object(o)))
        }
        if !rdma.isEmpty {
            m.append(.init("rdma", .object(rdma.keys.sorted().map { k in
                var o: [JSON.Member] = []
                o.add("hcaHandles", rdma[k]!.hcaHandles); o.add("hcaObjects", rdma[k]!.hcaObjects)
                return .init(k, .object(o))
            })))
        }
        if !unified.isEmpty { m.append(.init("unified", .stringMap(unified))) }
        return .object(m)
    }
}

extension [JSON.Member] {
    /// Appends `key` when `value` is set (Go's omitempty on a pointer).
    mutating func add<T: BinaryInteger>(_ key: String, _ value: T?) {
        if let value { append(JSON.Member(key, .integer(value))) }
    }
    mutating func add(_ key: String, _ value: Bool?) {
        if let value { append(JSON.Member(key, .bool(value))) }
    }
    mutating func add(_ key: String, _ value: String?) {
        if let value { append(JSON.Member(key, .string(value))) }
    }
}
