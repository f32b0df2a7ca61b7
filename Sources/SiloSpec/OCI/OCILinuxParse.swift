extension OCISpec {
    /// `rootfsPropagation` values: the spec's four, and the recursive forms runc also takes.
    public static let propagations = ["shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"]

    public static let seccompActions = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]

    public static let seccompOperators = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ]

    public static let seccompArchitectures = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
        "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
    ]

    public static let seccompFlags = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]
}

extension OCISpecParser {
    mutating func linux(_ l: OCINode) throws(OCIError) -> OCISpec.Linux {
        var out = OCISpec.Linux()
        for n in try l["namespaces"].array() ?? [] {
            _ = try n.requiredObject()
            guard let name = try n["type"].oneOf(OCISpec.NamespaceType.allCases.map(\.rawValue), "namespace"),
                  let type = OCISpec.NamespaceType(rawValue: name) else { throw n["type"].fail("missing (a string is required)") }
            if out.namespace(type) != nil { throw n["type"].fail("namespace \"\(name)\" is listed twice") }
            // Go writes an empty path as absent (omitempty); both mean "create".
            let path = try n["path"].string()
            if let path, !path.isEmpty, !path.hasPrefix("/") { throw n["path"].fail("must be an absolute path, found \"\(path)\"") }
            out.namespaces.append(OCISpec.Namespace(type, path: path?.isEmpty == false ? path : nil))
        }
        out.uidMappings = try mappings(l["uidMappings"])
        out.gidMappings = try mappings(l["gidMappings"])
        try OCISpecParser.pairedMappings(out.uidMappings, out.gidMappings, l)
        for (clock, o) in try l["timeOffsets"].members() {
            guard clock == "monotonic" || clock == "boottime" else { throw o.fail("unknown clock \"\(clock)\" (monotonic or boottime)") }
            _ = try o.requiredObject()
            out.timeOffsets[clock] = OCISpec.TimeOffset(secs: try o["secs"].integer(Int64.self) ?? 0,
                                                        nanosecs: try o["nanosecs"].integer(UInt32.self, in: 0...999_999_999) ?? 0)
        }
        for d in try l["devices"].array() ?? [] {
            _ = try d.requiredObject()
            guard let path = try d["path"].absolutePath() else { throw d["path"].fail("missing (an absolute path is required)") }
            guard let type = try d["type"].oneOf(["c", "b", "u", "p"], "device type") else { throw d["type"].fail("missing (c, b, u or p)") }
            var dev = OCISpec.Device(path: path, type: type)
            if type != "p" {
                dev.major = try d["major"].requiredInteger(Int64.self)
                dev.minor = try d["minor"].requiredInteger(Int64.self)
            }
            dev.fileMode = try d["fileMode"].integer(UInt32.self)
            dev.uid = try d["uid"].integer(UInt32.self)
            dev.gid = try d["gid"].integer(UInt32.self)
            out.devices.append(dev)
        }
        out.cgroupsPath = try l["cgroupsPath"].nonEmptyString()
        if let r = try l["resources"].object() { out.resources = try OCISpec.Resources.parse(r) }
        out.sysctl = try l["sysctl"].stringMap() ?? [:]
        if let s = try l["seccomp"].object() { out.seccomp = try seccomp(s) }
        out.rootfsPropagation = try l["rootfsPropagation"].oneOf(OCISpec.propagations, "propagation")
        out.maskedPaths = try absolutePaths(l["maskedPaths"])
        out.readonlyPaths = try absolutePaths(l["readonlyPaths"])
        out.mountLabel = try l["mountLabel"].nonEmptyString()
        if let label = out.mountLabel, !label.isEmpty {
            warn(l["mountLabel"], "SELinux is not supported by silo; label \"\(label)\" is not applied")
        }
        if let p = try l["personality"].object() {
            guard let domain = try p["domain"].oneOf(["LINUX", "LINUX32"], "personality domain") else {
                throw p["domain"].fail("missing (LINUX or LINUX32)")
            }
            var pers = OCISpec.Personality(domain: domain)
            // The spec defines no flags yet; one silo cannot name would be applied wrongly.
            pers.flags = try p["flags"].strings() ?? []
            if let f = pers.flags.first { throw p["flags"].fail("unknown personality flag \"\(f)\"") }
            out.personality = pers
        }
        if !l["intelRdt"].isAbsent { throw l["intelRdt"].fail("Intel RDT is not supported by silo") }
        if !l["memoryPolicy"].isAbsent { throw l["memoryPolicy"].fail("not supported by silo") }
        if let devs = try l["netDevices"].object(), !(try devs.members()).isEmpty {
            throw l["netDevices"].fail("moving network devices is not supported by silo")
        }
        return out
    }

    func absolutePaths(_ n: OCINode) throws(OCIError) -> [String] {
        guard let items = try n.array() else { return [] }
        var out: [String] = []
        for item in items {
            guard let p = try item.absolutePath() else { throw item.fail("expected a string, found null") }
            out.append(p)
        }
        return out
    }

    func seccomp(_ s: OCINode) throws(OCIError) -> OCISpec.Seccomp {
        func action(_ n: OCINode) throws(OCIError) -> String {
            guard let a = try n.oneOf(OCISpec.seccompActions, "seccomp action") else { throw n.fail("missing (a string is required)") }
            if a == "SCMP_ACT_NOTIFY" { throw n.fail("SCMP_ACT_NOTIFY needs a seccomp agent, which silo does not support") }
            return a
        }
        /// The spec: an errno with an action that takes none is an error, not ignored.
        func errnoRet(_ n: OCINode, for action: String) throws(OCIError) -> UInt32? {
            guard let e = try n.integer(UInt32.self) else { return nil }
            guard action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE" else {
                throw n.fail("only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not \(action)")
            }
            return e
        }
        var out = OCISpec.Seccomp(defaultAction: try action(s["defaultAction"]))
        out.defaultErrnoRet = try errnoRet(s["defaultErrnoRet"], for: out.defaultAction)
        for a in try s["architectures"].array() ?? [] {
            guard let arch = try a.oneOf(OCISpec.seccompArchitectures, "architecture") else { throw a.fail("expected a string, found null") }
            out.architectures.append(arch)
        }
        for f in try s["flags"].array() ?? [] {
            guard let flag = try f.oneOf(OCISpec.seccompFlags, "seccomp flag") else { throw f.fail("expected a string, found null") }
            out.flags.append(flag)
        }
        out.listenerPath = try s["listenerPath"].nonEmptyString()
        out.listenerMetadata = try s["listenerMetadata"].nonEmptyString()
        if let l = out.listenerPath, !l.isEmpty {
            throw s["listenerPath"].fail("a seccomp agent is not supported by silo")
        }
        if let m = out.listenerMetadata, !m.isEmpty { throw s["listenerMetadata"].fail("must not be set without listenerPath") }
        for e in try s["syscalls"].array() ?? [] {
            _ = try e.requiredObject()
            let namesNode = e["names"]
            guard let names = try namesNode.strings(), !names.isEmpty else { throw namesNode.fail("must be a non-empty array of strings") }
            for (i, name) in names.enumerated() where name.isEmpty {
                throw namesNode.element(i, nil).fail("must not be empty")
            }
            let act = try action(e["action"])
            var rule = OCISpec.Syscall(names: names, action: act, errnoRet: try errnoRet(e["errnoRet"], for: act))
            for a in try e["args"].array() ?? [] {
                _ = try a.requiredObject()
                guard let op = try a["op"].oneOf(OCISpec.seccompOperators, "operator") else { throw a["op"].fail("missing (a string is required)") }
                rule.args.append(OCISpec.SeccompArg(index: try a["index"].requiredInteger(UInt32.self, in: 0...5),
                                                    value: try a["value"].requiredInteger(UInt64.self),
                                                    valueTwo: try a["valueTwo"].integer(UInt64.self) ?? 0, op: op))
            }
            out.syscalls.append(rule)
        }
        return out
    }

    /// Rules that tie fields together: a hostname needs its own UTS namespace, mounts a mount
    /// namespace, maps a user namespace, time offsets a new time namespace, an idmapped mount
    /// some mapping.
    func crossChecks(_ s: OCISpec, _ top: OCINode) throws(OCIError) {
        let linux = s.linux ?? OCISpec.Linux()
        let l = top["linux"]
        for key in ["hostname", "domainname"] {
            let value = key == "hostname" ? s.hostname : s.domainname
            if let v = value, !v.isEmpty, linux.namespace(.uts) == nil {
                throw top[key].fail("needs a UTS namespace (.linux.namespaces has no \"uts\")")
            }
        }
        // Without a mount namespace of its own, each of these would be done to the host's mounts.
        if linux.namespace(.mount) == nil {
            let what = !s.mounts.isEmpty ? "mounts" : !linux.maskedPaths.isEmpty ? "maskedPaths" : !linux.readonlyPaths.isEmpty ? "readonlyPaths" : nil
            if let what {
                let at = what == "mounts" ? top["mounts"] : l[what]
                throw at.fail("needs a mount namespace (.linux.namespaces has no \"mount\")")
            }
        }
        let userns = linux.namespace(.user)
        if userns == nil && !linux.uidMappings.isEmpty {
            throw l["uidMappings"].fail("needs a user namespace (.linux.namespaces has no \"user\")")
        }
        if !linux.timeOffsets.isEmpty {
            guard let t = linux.namespace(.time) else { throw l["timeOffsets"].fail("needs a time namespace (.linux.namespaces has no \"time\")") }
            if t.path != nil { throw l["timeOffsets"].fail("cannot be set when joining a time namespace by path") }
        }
        for (key, n) in (try? l["sysctl"].members()) ?? [] { try OCISpecParser.checkSysctl(key, n, linux) }
        let mounts = (try? top["mounts"].array()) ?? []
        for (i, m) in s.mounts.enumerated() where m.options.contains("idmap") || m.options.contains("ridmap") {
            if m.uidMappings.isEmpty && userns == nil {
                throw mounts[i]["options"].fail("an idmapped mount needs uidMappings/gidMappings or a user namespace")
            }
        }
    }

    /// sysctl(8) names: "net.ipv4.ip_forward", or with slashes "net/ipv4/conf/eth0.100/forwarding"
    /// (where a dot belongs to the name). Like runc, only sysctls that live in a namespace the
    /// container has of its own are allowed: any other would be written into the host's kernel.
    /// (A network namespace joined by a path that is the host's own is the runtime's to catch.)
    static func checkSysctl(_ key: String, _ n: OCINode, _ linux: OCISpec.Linux) throws(OCIError) {
        let parts = key.split(separator: key.utf8.contains(UInt8(ascii: "/")) ? "/" : ".", omittingEmptySubsequences: false)
        if parts.count < 2 || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw n.fail("invalid sysctl name \"\(key)\"")
        }
        let name = parts.joined(separator: ".")
        let ipc = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
                   "kernel.shmmni", "kernel.shm_rmid_forced"]
        let needed: OCISpec.NamespaceType
        if ipc.contains(name) || name.hasPrefix("fs.mqueue.") {
            needed = .ipc
        } else if name.hasPrefix("net.") {
            needed = .network
        } else if name.hasPrefix("user.") {
            // The ucounts limits of a user namespace; without one of its own they are the host's.
            needed = .user
        } else if name == "kernel.domainname" {
            needed = .uts
        } else if name == "kernel.hostname" {
            throw n.fail("set .hostname instead")
        } else {
            throw n.fail("not in a namespace of the container; setting it would change the host")
        }
        if linux.namespace(needed) == nil {
            let article = [OCISpec.NamespaceType.ipc: "an IPC", .network: "a network", .uts: "a UTS", .user: "a user"][needed]!
            throw n.fail("needs \(article) namespace (.linux.namespaces has no \"\(needed.rawValue)\")")
        }
    }
}
