#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// The verbs that need the container's cgroup: pause, resume, update, and the process list.
extension ContainerLifecycle {
    /// `pause ID`: freezes the cgroup. runc's rule: only a created or running container.
    public static func pause(id: String, store: ContainerStateStore) throws(RuntimeError) {
        let (record, now) = try current(id: id, store: store)
        guard now == .running || now == .created else { throw ContainerLiveness.notRunning }
        guard let cgroup = ContainerCgroup.open(id: id, record: record) else { throw ContainerCgroup.none(id, "pause") }
        do { try cgroup.freeze() } catch { throw RuntimeError(.runtime, "pause \(id): \(error.message)") }
    }

    /// `resume ID`: thaws a paused container; anything else is runc's `container not paused`.
    public static func resume(id: String, store: ContainerStateStore) throws(RuntimeError) {
        let (record, now) = try current(id: id, store: store)
        guard now == .paused, let cgroup = ContainerCgroup.open(id: id, record: record) else {
            throw RuntimeError(.runtime, "container not paused")
        }
        do { try cgroup.thaw() } catch { throw RuntimeError(.runtime, "resume \(id): \(error.message)") }
    }

    /// `update --resources FILE ID`: the OCI resources read as for create, written to the live
    /// container's cgroup. Fields silo cannot honour are refused by name (CgroupLimits(oci:),
    /// CgroupNetHugetlb for network and hugepageLimits, checked before anything is written).
    public static func update(id: String, resources: OCISpec.Resources, store: ContainerStateStore) throws(RuntimeError) {
        let (record, now) = try current(id: id, store: store)
        guard now != .stopped, now != .creating else { throw ContainerLiveness.notRunning }
        guard let cgroup = ContainerCgroup.open(id: id, record: record) else { throw ContainerCgroup.none(id, "update") }
        do {
            var rest = resources
            rest.network = nil
            rest.hugepageLimits = []
            let limits = try CgroupLimits(oci: rest), extra = try CgroupNetHugetlb(oci: resources)
            try limits.validate()
            try extra.check(cgroup)
            try cgroup.apply(limits)
            try extra.apply(to: cgroup)
        } catch { throw RuntimeError(.runtime, "update \(id): \(error.message)") }
    }

    /// `ps ID`: host pids of the container's processes. The cgroup's when it has one; else every
    /// process in the init's PID namespace (each checked after its pidfd is open); else, when
    /// it shares silo's PID namespace, the init alone. Empty once stopped.
    public static func processes(id: String, store: ContainerStateStore) throws(RuntimeError) -> [Int32] {
        guard let record = try store.load(id: id), let initProcess = try ContainerLiveness.openInit(record) else { return [] }
        if let cgroup = ContainerCgroup.open(id: id, record: record) {
            do { return try cgroup.pids().sorted() } catch { throw RuntimeError(.runtime, "ps \(id): \(error.message)") }
        }
        guard let ns = ContainerLiveness.pidNamespace(initProcess.pid), ns != ContainerLiveness.pidNamespace(getpid()) else {
            return [initProcess.pid]
        }
        var out: [Int32] = []
        for pid in ContainerLiveness.processes() {
            guard let p = try? Pidfd.open(pid), ContainerLiveness.pidNamespace(pid) == ns, !p.hasExited else { continue }
            out.append(pid)
        }
        return out.sorted()
    }

    static func current(id: String, store: ContainerStateStore) throws(RuntimeError) -> (ContainerRecord?, OCIState.Status) {
        let record = try store.load(id: id)
        return (record, try status(id: id, record: record, store: store))
    }
}
