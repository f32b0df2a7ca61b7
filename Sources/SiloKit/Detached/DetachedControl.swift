#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// stop, wait and rm for the containers `silo run -d` made. None of them waits on a process
/// without a pidfd to it, so none hangs on a container that is gone.
public enum DetachedControl {
    /// `stop -t SECS`: SIGTERM, then SIGKILL if the command still runs after `timeout` seconds
    /// (a PID 1 without a handler ignores SIGTERM); then waits for the monitor to record the
    /// exit. Returns true when it had to kill. A container already stopped is not an error.
    @discardableResult
    public static func stop(id: String, timeout: Int32, store: ContainerStateStore) throws(RuntimeError) -> Bool {
        guard let record = try store.load(id: id) else { return false }
        guard let command = try ContainerLiveness.openInit(record) else { return false }
        let cgroup = ContainerCgroup.open(id: id, record: record)
        if let cgroup, cgroup.isFrozen() { try? cgroup.thaw() }
        try? command.signal(SIGTERM)
        var killed = false
        if !command.waitForExit(milliseconds: max(0, timeout) * 1000) {
            killed = true
            try? command.signal(SIGKILL)
            if !command.waitForExit(milliseconds: 10_000) {
                throw RuntimeError(.runtime, "stop \(id.prefix(12)): the command (pid \(command.pid)) did not die of SIGKILL")
            }
        }
        awaitMonitor(record, milliseconds: 10_000)
        return killed
    }

    /// The monitor, once the command has exited, drains the output and records the status
    /// within a few seconds; a monitor that is gone is not waited for.
    static func awaitMonitor(_ record: ContainerRecord, milliseconds: Int32) {
        if let monitor = DetachedStatus.openMonitor(record) { _ = monitor.waitForExit(milliseconds: milliseconds) }
    }

    /// `wait ID`: blocks until the command has exited and its status is recorded; returns it.
    public static func wait(id: String, store: ContainerStateStore) throws(RuntimeError) -> Int32 {
        guard let record = try store.load(id: id) else { throw RuntimeError(.runtime, "wait \(id.prefix(12)): the container is still being created by a silo that is gone") }
        if let command = try ContainerLiveness.openInit(record) { _ = command.waitForExit(milliseconds: -1) }
        if let monitor = DetachedStatus.openMonitor(record) { _ = monitor.waitForExit(milliseconds: -1) }
        guard let after = try? store.load(id: id) else { throw RuntimeError(.runtime, "wait \(id.prefix(12)): the container was removed (--rm) before its status could be read") }
        guard let code = after.exitStatus else {
            throw RuntimeError(.runtime, "wait \(id.prefix(12)): exit status unknown (the monitor was killed before the command exited)")
        }
        return code
    }

    /// `rm [-f]`: a running container needs `force` (SIGKILL through its pidfd). Then the monitor
    /// gets a few seconds to finish (it removes the cgroup and releases the id slot and address
    /// locks) or is killed; what a killed monitor left (the cgroup) goes here; last the state
    /// directory with the log. The veth goes with the container's network namespace. An OCI
    /// bundle's container goes through `delete`'s rules (hooks included).
    public static func remove(id: String, force: Bool, store: ContainerStateStore) throws(RuntimeError) -> [Warning] {
        let record = try store.load(id: id)
        if let record, !record.isRun { return try ContainerLifecycle.delete(id: id, force: force, store: store) }
        let now = DetachedStatus.of(id, record: record, store: store)
        if now.state != .exited {
            guard force else {
                throw RuntimeError(.runtime, "container \(id.prefix(12)) is \(now.state.rawValue): stop it first, or rm -f")
            }
            if let record {
                if let cgroup = ContainerCgroup.open(id: id, record: record), cgroup.isFrozen() { try? cgroup.thaw() }
                if let command = try ContainerLiveness.openInit(record) {
                    try? command.signal(SIGKILL)
                    _ = command.waitForExit(milliseconds: 10_000)
                }
            }
        }
        if let record, let monitor = DetachedStatus.openMonitor(record), !monitor.waitForExit(milliseconds: 5_000) {
            // A monitor still starting (or stuck): its container dies with it (PDEATHSIG).
            try? monitor.signal(SIGKILL)
            _ = monitor.waitForExit(milliseconds: 5_000)
        }
        return try store.withLock(id: id) { () throws(RuntimeError) -> [Warning] in
            if let cgroup = ContainerCgroup.open(id: id, record: try? store.load(id: id)) {
                do throws(CgroupError) { try cgroup.remove(killing: true) } catch { throw RuntimeError(.runtime, "rm \(id.prefix(12)): \(error.message)") }
            }
            try store.remove(id: id)
            return []
        }
    }
}
