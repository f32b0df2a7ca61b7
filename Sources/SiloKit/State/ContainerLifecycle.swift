#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// The OCI verbs that act on an existing container (state, list, kill, delete; `+Cgroup`:
/// pause, resume, update, processes), over the state store and the liveness rules of
/// oci-design.md. The command line maps their errors to runc's exit status 1; the messages are
/// runc's where engines match them ("does not exist", "container not running").
public enum ContainerLifecycle {
    /// One container as `state` and `list` show it: the record (nil for a directory without
    /// state.json: a create killed half-way) and the status computed now.
    public struct Snapshot: Sendable {
        public var id: String
        public var record: ContainerRecord?
        public var status: OCIState.Status
        /// Why the record could not be read (listed, and `delete` removes it).
        public var problem: String?

        /// The init's pid while it lives; 0 once stopped, as runc prints it.
        public var pid: Int32 { status == .stopped ? 0 : record?.pid ?? 0 }
    }

    /// `state ID`. Unknown id: `container "ID" does not exist`.
    public static func state(id: String, store: ContainerStateStore) throws(RuntimeError) -> Snapshot {
        let record = try store.load(id: id)
        return Snapshot(id: id, record: record, status: try status(id: id, record: record, store: store))
    }

    /// `list`: every container directory, half-made ones included, sorted by id.
    public static func list(store: ContainerStateStore) throws(RuntimeError) -> [Snapshot] {
        try store.list().map { e throws(RuntimeError) in
            if e.problem != nil { return Snapshot(id: e.id, record: nil, status: .stopped, problem: e.problem) }
            return Snapshot(id: e.id, record: e.record, status: try status(id: e.id, record: e.record, store: store))
        }
    }

    static func status(id: String, record: ContainerRecord?, store: ContainerStateStore) throws(RuntimeError) -> OCIState.Status {
        try ContainerLiveness.status(of: record, in: store, id: id, isFrozen: ContainerCgroup.isFrozen(id: id))
    }

    /// `kill [--all] ID SIGNAL`. A stopped container (or one with no init yet) is `container not
    /// running`, except with `all` (runc: nothing left to signal is success). With `all` and a
    /// cgroup, every process of the cgroup is signalled (each through its own pidfd), the init
    /// last. SIGKILL to a paused container also thaws it, or the kill would wait for `resume`.
    @discardableResult
    public static func kill(id: String, signal: Int32, all: Bool, store: ContainerStateStore) throws(RuntimeError) -> Int {
        guard let record = try store.load(id: id) else {
            if all { return 0 }
            throw ContainerLiveness.notRunning
        }
        let cgroup = ContainerCgroup.open(id: id, record: record)
        guard all, let cgroup else {
            let count = try ContainerLiveness.signal(record, signal, all: all)
            if signal == SIGKILL, let cgroup, cgroup.isFrozen() { try? cgroup.thaw() }
            return count
        }
        // --all with a cgroup: whatever is left in it, even after the init has gone (runc).
        let initProcess = try ContainerLiveness.openInit(record)
        var count = 0
        for pid in (try? cgroup.pids()) ?? [] where pid != initProcess?.pid {
            if let p = try? Pidfd.open(pid), (try? p.signal(signal)) != nil { count += 1 }
        }
        if let initProcess {
            do {
                try initProcess.signal(signal)
                count += 1
            } catch {
                if error.errno != ESRCH { throw RuntimeError(error) }
            }
        }
        if signal == SIGKILL, cgroup.isFrozen() { try? cgroup.thaw() }
        return count
    }

    /// runc's text for `delete` without --force on a live container.
    static func notStopped(_ id: String, _ status: OCIState.Status) -> RuntimeError {
        RuntimeError(.runtime, "cannot delete container \(id) that is not stopped: \(status.rawValue)")
    }

    /// `delete [--force] ID`: removes what silo made. Stopped, half-made (no state.json, or a
    /// record without an init) and created containers go (runc kills a created one even without
    /// --force); running, paused, or creating with a live init need `force`, which SIGKILLs the
    /// init through its pidfd and waits up to 10 s for it to exit. Then the cgroup (killing what
    /// is left in it), the poststop hooks of the bundle's config.json if it is still there (a
    /// failing hook is a warning, as with runc), and the directory. Unknown id: does-not-exist,
    /// or nothing at all with `force` (podman and containerd delete --force after every exit).
    public static func delete(id: String, force: Bool, store: ContainerStateStore) throws(RuntimeError) -> [Warning] {
        try ContainerStateStore.validate(id: id)
        var deleted: ContainerRecord?
        // After the lock below is released (defers run last first).
        defer { if let deleted, !deleted.cgroupParents.isEmpty { ContainerCgroup.handOffParents(of: deleted, store: store) } }
        // No stat first: the lock's open fails with does-not-exist for an unknown id.
        let lockFd: Int32
        do { lockFd = try store.lock(id: id) } catch {
            if force && !store.exists(id: id) { return [] }
            throw error
        }
        defer { close(lockFd) }
        var record: ContainerRecord?
        do { record = try store.load(id: id) } catch {
            if !store.exists(id: id) {
                if force { return [] }
                throw error
            }
            record = nil  // unreadable state.json: nothing to kill that we could name; remove it
        }
        let now = try status(id: id, record: record, store: store)
        switch now {
        case .stopped: break
        case .creating where record?.pid == nil: break
        case .created: try killInit(id: id, record: record)
        case .running, .paused, .creating:
            if !force { throw notStopped(id, now) }
            try killInit(id: id, record: record)
        }
        Trace.mark("delete: status")
        if !(record.map { ContainerCgroup.removeEmpty($0) } ?? false), let cgroup = ContainerCgroup.open(id: id, record: record) {
            do { try ContainerCgroup.remove(cgroup, record: record) } catch { throw RuntimeError(.runtime, "delete \(id): \(error.message)") }
        }
        Trace.mark("delete: cgroup removed")
        var warnings: [Warning] = []
        if let record, record.mayHaveHooks("poststop"), let w = runPoststop(record, copy: store.directory(of: id) + "/config.json") { warnings.append(w) }
        try store.remove(id: id)
        deleted = record
        return warnings
    }

    /// SIGKILL through the pidfd, thaw a frozen cgroup so the signal is taken, wait for the exit.
    static func killInit(id: String, record: ContainerRecord?) throws(RuntimeError) {
        guard let record, let initProcess = try ContainerLiveness.openInit(record) else { return }
        do { try initProcess.signal(SIGKILL) } catch {
            if error.errno == ESRCH { return }
            throw RuntimeError(error)
        }
        if let cgroup = ContainerCgroup.open(id: id, record: record), cgroup.isFrozen() { try? cgroup.thaw() }
        if !initProcess.waitForExit(milliseconds: 10_000) {
            throw RuntimeError(.runtime, "container init still running (pid \(initProcess.pid))")
        }
    }

    /// The bundle's poststop hooks, with the state as `stopped`; nil when all ran (or none).
    static func runPoststop(_ record: ContainerRecord, copy: String) -> Warning? {
        guard !record.bundle.isEmpty else { return nil }
        // The config as create read it (kept in the state directory), else the bundle's.
        let path = FileIO.exists(copy) ? copy : record.bundle + "/config.json"
        guard let text = try? FileIO.read(path, limit: 16 << 20) else { return nil }
        var ignored: [OCIError] = []
        let spec: OCISpec
        do { spec = try OCISpec.parse(Array(text.utf8), file: path, requireProcess: false, warnings: &ignored) } catch {
            return Warning("poststop hooks not run: \(error)")
        }
        guard !spec.hooks.poststop.isEmpty else { return nil }
        do { try Hooks.run(spec.hooks.poststop, kind: .poststop, state: record.ociState(status: .stopped)) } catch {
            return Warning(error.message)
        }
        return nil
    }
}
