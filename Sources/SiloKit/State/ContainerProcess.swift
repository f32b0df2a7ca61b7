#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// What `exec` into a `silo run -d` container starts from, as docker's exec does: the
/// container's own user, groups, env, working directory, capabilities, rlimits and
/// no_new_privs, kept as ROOT/ID/process.json by the monitor once it has prepared the
/// container (an OCI container's is its config copy's `process`). Without it an exec'd
/// process got silo run's defaults: Docker's 14 capabilities even in a container run with
/// `--cap-drop ALL`, root in a `-u 1000` one.
extension ContainerStateStore {
    static let processFile = "process.json"

    public func saveProcess(of plan: ContainerPlan, id: String) throws(RuntimeError) {
        try keep(Self.processFile, Self.process(of: plan).json.encodedBytes(), id: id)
    }

    /// The process `saveProcess` kept, nil for a record from before it was kept.
    public func savedProcess(id: String) throws(RuntimeError) -> OCISpec.Process? {
        guard let bytes = try kept(Self.processFile, id: id) else { return nil }
        var ignored: [OCIError] = []
        do { return try OCISpec.parseProcess(bytes, file: directory(of: id) + "/" + Self.processFile, warnings: &ignored) } catch {
            throw RuntimeError(.runtime, "state of \(id): \(error.description)")
        }
    }

    /// The plan's process as OCI writes one (args are the command's; exec replaces them).
    static func process(of plan: ContainerPlan) -> OCISpec.Process {
        var p = OCISpec.Process()
        p.args = plan.argv
        p.env = plan.env
        p.cwd = plan.workdir
        p.user.uid = plan.uid
        p.user.gid = plan.gid
        p.user.additionalGids = plan.groups ?? []
        if let c = plan.capabilities {
            var caps = OCISpec.Capabilities()
            caps.bounding = Capabilities.names(in: c.bounding)
            caps.effective = Capabilities.names(in: c.effective)
            caps.permitted = Capabilities.names(in: c.permitted)
            caps.inheritable = Capabilities.names(in: c.inheritable)
            p.capabilities = caps
        }
        p.rlimits = plan.rlimits.map { OCISpec.Rlimit(type: $0.name, hard: $0.hard, soft: $0.soft) }
        p.noNewPrivileges = plan.noNewPrivs
        return p
    }
}
