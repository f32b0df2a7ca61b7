import SiloSpec
import SiloSys

/// config.json's `process` and the settings around it: env exactly as given, cwd, user,
/// capabilities, rlimits, no_new_privs, seccomp.
extension BundlePlan {
    mutating func process(_ process: OCISpec.Process, spec: OCISpec) throws(RuntimeError) {
        guard !process.args.isEmpty else { throw RuntimeError(.usage, "config.json: .process.args: empty") }
        if process.apparmorProfile.map({ !$0.isEmpty }) ?? false { warnings.append("config.json: .process.apparmorProfile: ignored (no AppArmor support)") }
        let path = process.env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? RunConfig.defaultPath
        plan.searchPath = path.split(separator: ":").map(String.init)
        plan.workdir = Workdir.clean(process.cwd)
        plan.uid = process.user.uid
        plan.gid = process.user.gid
        plan.groups = process.user.additionalGids
        umask = process.user.umask
        plan.noNewPrivs = process.noNewPrivileges
        if let c = process.capabilities {
            func mask(_ names: [String]?) -> UInt64 {
                (names ?? []).reduce(0) { m, n in Capabilities.number(n).map { m | (1 << UInt64($0)) } ?? m }
            }
            plan.capabilities = CapabilityState(bounding: mask(c.bounding), effective: mask(c.effective), permitted: mask(c.permitted),
                                                inheritable: mask(c.inheritable), lastCap: Capabilities.lastCap())
            plan.capabilities?.ambient = mask(c.ambient)
        }
        for (i, r) in process.rlimits.enumerated() {
            let name = r.type.lowercased().hasPrefix("rlimit_") ? String(r.type.lowercased().dropFirst(7)) : r.type.lowercased()
            guard let known = Rlimits.resources.first(where: { $0.name == name }) else {
                throw RuntimeError(.usage, "config.json: .process.rlimits[\(i)].type: unknown rlimit \"\(r.type)\"")
            }
            plan.rlimits.append(Rlimit(resource: known.resource, name: r.type, soft: r.soft, hard: r.hard))
        }
        if let s = spec.linux?.seccomp { plan.seccompFilter = try seccomp(s, capabilities: plan.capabilities?.bounding) }
    }

    /// The config's profile through the same compiler as `silo run --seccomp`.
    func seccomp(_ s: OCISpec.Seccomp, capabilities: UInt64?) throws(RuntimeError) -> [UInt8] {
        let source = "config.json .linux.seccomp"
        let names = Capabilities.names(in: capabilities ?? UInt64.max >> (63 - UInt64(Capabilities.lastCap())))
        let context = SeccompProfile.Context(capabilities: Set(names),
                                             goArchitecture: Hardening.goArchitecture(Seccomp.nativeArchitecture),
                                             kernel: Kernel.version())
        let profile = try SeccompProfile.parse(json: s.json.encoded(), source: source, context: context)
        return try profile.compile(source: source)
    }
}
