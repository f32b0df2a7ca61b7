extension OCISpec {
    /// Reads config.json (or an `exec --process` process.json through `parseProcess`).
    ///
    /// Unknown members are ignored, as the spec asks of extensions; a known member of the wrong
    /// type is an error, and so is what the spec forbids and what silo refuses (intelRdt,
    /// seccomp notify, …). Things the spec asks a runtime to warn about and go on (an unknown
    /// capability, an AppArmor profile silo cannot apply) land in `warnings`, each naming its
    /// path. `requireProcess` is false for `spec`-like tools that read a config without running it.
    public static func parse(_ bytes: [UInt8], file: String = "config.json", requireProcess: Bool = true,
                             warnings: inout [OCIError]) throws(OCIError) -> OCISpec {
        var p = OCISpecParser(file: file)
        let spec = try p.spec(try OCINode.document(bytes, file: file), requireProcess: requireProcess)
        warnings += p.warnings
        return spec
    }

    public static func parse(_ text: String, file: String = "config.json", requireProcess: Bool = true) throws(OCIError) -> OCISpec {
        var ignored: [OCIError] = []
        return try parse(Array(text.utf8), file: file, requireProcess: requireProcess, warnings: &ignored)
    }

    /// Reads the process object of `exec --process FILE` (the same shape as config.json's
    /// `process`, at the top of its own file).
    public static func parseProcess(_ bytes: [UInt8], file: String = "process.json",
                                    warnings: inout [OCIError]) throws(OCIError) -> Process {
        var p = OCISpecParser(file: file)
        let process = try p.process(try OCINode.document(bytes, file: file).requiredObject())
        warnings += p.warnings
        return process
    }

    /// Only the `process` of a config.json (nil without one), for `exec ID ARGS`: the rest of a
    /// config create has already checked is not decoded again.
    public static func parseConfigProcess(_ bytes: [UInt8], file: String = "config.json") throws(OCIError) -> Process? {
        var p = OCISpecParser(file: file)
        guard let process = try OCINode.document(bytes, file: file)["process"].object() else { return nil }
        return try p.process(process)
    }

    /// Capability names the spec's runtimes know (capabilities(7), up to Linux 6.x).
    public static let knownCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// setrlimit(2) resources, in the kernel's order.
    public static let rlimitTypes = [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
        "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ]
}

/// The parse in progress: the document's name and the warnings so far.
struct OCISpecParser {
    let file: String
    var warnings: [OCIError] = []

    init(file: String) { self.file = file }

    static let knownCapabilityNames = Set(OCISpec.knownCapabilities)

    mutating func warn(_ n: OCINode, _ reason: String) { warnings.append(n.fail(reason)) }

    mutating func spec(_ doc: OCINode, requireProcess: Bool) throws(OCIError) -> OCISpec {
        let top = try doc.requiredObject()
        var s = OCISpec()
        let version = top["ociVersion"]
        s.ociVersion = try version.requiredString()
        guard let major = OCISpecParser.semverMajor(s.ociVersion) else {
            throw version.fail("\"\(s.ociVersion)\" is not a SemVer version")
        }
        guard major == "1" else { throw version.fail("version \(s.ociVersion) is not supported (silo reads 1.x)") }

        if let p = try top["process"].object() {
            s.process = try process(p)
        } else if requireProcess {
            throw top["process"].fail("missing (required to create a container)")
        }
        let root = try top["root"].requiredObject()
        let rootPath = try root["path"].requiredString()
        if rootPath.isEmpty { throw root["path"].fail("must not be empty") }
        s.root = OCISpec.Root(path: rootPath, readonly: try root["readonly"].bool() ?? false)
        s.hostname = try top["hostname"].nonEmptyString()
        s.domainname = try top["domainname"].nonEmptyString()
        for m in try top["mounts"].array() ?? [] { s.mounts.append(try mount(m)) }
        if let h = try top["hooks"].object() { s.hooks = try hooks(h) }
        s.annotations = try top["annotations"].stringMap() ?? [:]
        if let l = try top["linux"].object() { s.linux = try linux(l) }
        try crossChecks(s, top)
        return s
    }

    /// The major version of a SemVer 2.0.0 string, nil if it is not one.
    static func semverMajor(_ v: String) -> Substring? {
        var core = Substring(v)
        if let plus = core.firstIndex(of: "+") {
            guard plus != core.index(before: core.endIndex) else { return nil }
            core = core[..<plus]
        }
        if let dash = core.firstIndex(of: "-") {
            guard dash != core.index(before: core.endIndex) else { return nil }
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        for p in parts {
            guard !p.isEmpty, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            if p.count > 1 && p.first == "0" { return nil }
        }
        return parts[0]
    }

    mutating func process(_ p: OCINode) throws(OCIError) -> OCISpec.Process {
        var out = OCISpec.Process()
        out.terminal = try p["terminal"].bool() ?? false
        if let c = try p["consoleSize"].object() {
            out.consoleSize = OCISpec.ConsoleSize(height: try c["height"].requiredInteger(UInt32.self),
                                                  width: try c["width"].requiredInteger(UInt32.self))
        }
        if let u = try p["user"].object() {
            out.user.uid = try u["uid"].integer(UInt32.self) ?? 0
            out.user.gid = try u["gid"].integer(UInt32.self) ?? 0
            out.user.umask = try u["umask"].integer(UInt32.self, in: 0...0o777)
            for g in try u["additionalGids"].array() ?? [] { out.user.additionalGids.append(try g.requiredInteger(UInt32.self)) }
        }
        let args = p["args"]
        let argv: [String]?
        do { argv = try args.strings() } catch { throw args.fail("must be a non-empty array of strings") }
        guard let argv, !argv.isEmpty else { throw args.fail("must be a non-empty array of strings") }
        try OCISpecParser.noNUL(argv, args)
        out.args = argv
        let env = p["env"]
        out.env = try env.strings() ?? []
        try OCISpecParser.noNUL(out.env, env)
        for (i, e) in out.env.enumerated() {
            guard let eq = e.firstIndex(of: "="), eq != e.startIndex else {
                throw env.element(i, nil).fail("must be NAME=value, found \"\(e)\"")
            }
        }
        let cwd = p["cwd"]
        guard let dir = try cwd.absolutePath() else { throw cwd.fail("missing (an absolute path is required)") }
        out.cwd = dir
        if let c = try p["capabilities"].object() {
            var caps = OCISpec.Capabilities()
            caps.bounding = try capabilitySet(c["bounding"])
            caps.effective = try capabilitySet(c["effective"])
            caps.inheritable = try capabilitySet(c["inheritable"])
            caps.permitted = try capabilitySet(c["permitted"])
            caps.ambient = try capabilitySet(c["ambient"])
            out.capabilities = caps
        }
        for r in try p["rlimits"].array() ?? [] {
            _ = try r.requiredObject()
            guard let type = try r["type"].oneOf(OCISpec.rlimitTypes, "rlimit") else { throw r["type"].fail("missing (a string is required)") }
            if out.rlimits.contains(where: { $0.type == type }) { throw r["type"].fail("\(type) is listed twice") }
            let limit = OCISpec.Rlimit(type: type, hard: try r["hard"].requiredInteger(UInt64.self), soft: try r["soft"].requiredInteger(UInt64.self))
            if limit.soft > limit.hard { throw r["soft"].fail("\(limit.soft) is above the hard limit \(limit.hard)") }
            out.rlimits.append(limit)
        }
        out.noNewPrivileges = try p["noNewPrivileges"].bool() ?? false
        out.oomScoreAdj = try p["oomScoreAdj"].integer(Int32.self, in: -1000...1000)
        out.apparmorProfile = try p["apparmorProfile"].nonEmptyString()
        if let a = out.apparmorProfile, !a.isEmpty {
            warn(p["apparmorProfile"], "AppArmor is not supported by silo; profile \"\(a)\" is not applied")
        }
        out.selinuxLabel = try p["selinuxLabel"].nonEmptyString()
        if let l = out.selinuxLabel, !l.isEmpty {
            warn(p["selinuxLabel"], "SELinux is not supported by silo; label \"\(l)\" is not applied")
        }
        for key in ["scheduler", "ioPriority", "execCPUAffinity"] where !p[key].isAbsent {
            throw p[key].fail("not supported by silo")
        }
        return out
    }

    /// A capability set: names must be strings, and a name that is no capability of Linux is
    /// refused (runtime-spec 1.0: a value that cannot be mapped to a kernel interface MUST cause
    /// an error; runtime-tools' process_capabilities_fail checks it). A known capability the
    /// running kernel lacks is dropped with a warning later (BundleProcess), as 1.1 allows.
    mutating func capabilitySet(_ n: OCINode) throws(OCIError) -> [String]? {
        guard let names = try n.strings() else { return nil }
        var out: [String] = []
        for (i, name) in names.enumerated() {
            guard OCISpecParser.knownCapabilityNames.contains(name) else {
                throw n.element(i, nil).fail("unknown capability \"\(name)\"")
            }
            if !out.contains(name) { out.append(name) }
        }
        return out
    }

    /// Strings that become C strings for execve cannot hold a NUL.
    static func noNUL(_ items: [String], _ n: OCINode) throws(OCIError) {
        for (i, s) in items.enumerated() where s.utf8.contains(0) {
            throw n.element(i, nil).fail("contains a NUL character")
        }
    }

    mutating func mount(_ m: OCINode) throws(OCIError) -> OCISpec.Mount {
        _ = try m.requiredObject()
        let d = m["destination"]
        var dest = try d.requiredString()
        if dest.isEmpty { throw d.fail("must not be empty") }
        if !dest.hasPrefix("/") {
            // The spec allows relative destinations for old tools, read as relative to "/".
            warn(d, "relative destination \"\(dest)\" is taken as \"/\(dest)\"")
            dest = "/" + dest
        }
        var out = OCISpec.Mount(destination: dest, type: try m["type"].nonEmptyString(), source: try m["source"].nonEmptyString(),
                                options: try m["options"].strings() ?? [])
        out.uidMappings = try mappings(m["uidMappings"])
        out.gidMappings = try mappings(m["gidMappings"])
        try OCISpecParser.pairedMappings(out.uidMappings, out.gidMappings, m)
        return out
    }

    func mappings(_ n: OCINode) throws(OCIError) -> [OCISpec.IDMapping] {
        var out: [OCISpec.IDMapping] = []
        for e in try n.array() ?? [] {
            _ = try e.requiredObject()
            let size = try e["size"].requiredInteger(UInt32.self)
            if size == 0 { throw e["size"].fail("must be at least 1") }
            out.append(OCISpec.IDMapping(containerID: try e["containerID"].requiredInteger(UInt32.self),
                                         hostID: try e["hostID"].requiredInteger(UInt32.self), size: size))
        }
        return out
    }

    /// uidMappings and gidMappings come together or not at all (config.md, config-linux.md).
    static func pairedMappings(_ uid: [OCISpec.IDMapping], _ gid: [OCISpec.IDMapping], _ parent: OCINode) throws(OCIError) {
        if !uid.isEmpty && gid.isEmpty { throw parent["gidMappings"].fail("missing (uidMappings are given, so gidMappings must be too)") }
        if uid.isEmpty && !gid.isEmpty { throw parent["uidMappings"].fail("missing (gidMappings are given, so uidMappings must be too)") }
    }

    func hooks(_ h: OCINode) throws(OCIError) -> OCISpec.Hooks {
        func list(_ key: String) throws(OCIError) -> [OCISpec.Hook] {
            var out: [OCISpec.Hook] = []
            for e in try h[key].array() ?? [] {
                _ = try e.requiredObject()
                guard let path = try e["path"].absolutePath() else { throw e["path"].fail("missing (an absolute path is required)") }
                var hook = OCISpec.Hook(path: path, args: try e["args"].strings() ?? [], env: try e["env"].strings() ?? [])
                try OCISpecParser.noNUL(hook.args, e["args"])
                try OCISpecParser.noNUL(hook.env, e["env"])
                hook.timeout = try e["timeout"].integer(Int.self, in: 1...Int.max)
                out.append(hook)
            }
            return out
        }
        var out = OCISpec.Hooks()
        out.prestart = try list("prestart")
        out.createRuntime = try list("createRuntime")
        out.createContainer = try list("createContainer")
        out.startContainer = try list("startContainer")
        out.poststart = try list("poststart")
        out.poststop = try list("poststop")
        return out
    }
}
