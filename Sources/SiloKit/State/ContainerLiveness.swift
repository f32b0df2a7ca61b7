#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// What a container is now, never trusting a bare pid (oci-design.md, "Liveness"): the init is
/// taken through a pidfd and its start time, so a pid reused by another process reads as
/// "stopped" and is never signalled.
public enum ContainerLiveness {
    /// The container's init, open as a pidfd and checked to be the process the record names.
    /// nil: it has exited (no such pid, a zombie, or a later process with the same pid).
    /// The start time is read after the pidfd is open, so the pid cannot be reused in between.
    public static func openInit(_ record: ContainerRecord) throws(RuntimeError) -> Pidfd? {
        guard let pid = record.pid, pid > 0 else { return nil }
        let handle: Pidfd
        do { handle = try Pidfd.open(pid) } catch {
            if error.errno == ESRCH || error.errno == EINVAL { return nil }
            throw RuntimeError(error)
        }
        guard let stat = try? ProcStat.read(pid), !stat.hasExited else { return nil }
        // No start time, no proof the pid is still the container's: never signal it.
        guard let expected = record.pidStartTime, stat.startTime == expected else { return nil }
        return handle
    }

    /// The status now: recorded stopped → stopped; init gone, reused or zombie → stopped;
    /// exec.fifo present → created; frozen → paused; else running. A record still "creating"
    /// stays creating while its init lives, and without a pid (silo killed during create:
    /// listed, and delete removes it).
    /// `isFrozen` is the freezer check of the cgroups issue (13); until then nothing is paused.
    /// `initAlive`: whether the caller's own `openInit(record)` found the init (start needs the
    /// handle anyway), so that it is not opened and checked twice; nil: opened here.
    public static func status(of record: ContainerRecord?, in store: ContainerStateStore, id: String,
                              isFrozen: (ContainerRecord) -> Bool = { _ in false },
                              initAlive: Bool? = nil) throws(RuntimeError) -> OCIState.Status {
        guard let record else { return .creating }
        if record.status == .stopped { return .stopped }
        if record.pid == nil { return record.status == .creating ? .creating : .stopped }
        let alive: Bool
        if let initAlive { alive = initAlive } else { alive = try openInit(record) != nil }
        guard alive else { return .stopped }
        // An init recorded before create finished (READY not yet seen) is still being made.
        if record.status == .creating { return .creating }
        if store.hasExecFifo(id: id) { return .created }
        if isFrozen(record) { return .paused }
        return .running
    }

    /// runc's text for a signal to a container with no live init (containerd matches it).
    public static let notRunning = RuntimeError(.runtime, "container not running")

    /// `kill`: sends `signal` to the init through its pidfd. With `all`, first to every other
    /// process in the init's PID namespace (each taken by pidfd, then checked to be in that
    /// namespace, then signalled), the init last; when the container shares silo's PID
    /// namespace only the init is signalled (until cgroups say which processes are its own).
    /// Without `all`, a stopped container is `container not running`; with `all` it is not an
    /// error (runc: nothing left to signal). Returns how many processes were signalled.
    @discardableResult
    public static func signal(_ record: ContainerRecord, _ signal: Int32, all: Bool = false) throws(RuntimeError) -> Int {
        guard let initProcess = try openInit(record) else {
            if all { return 0 }
            throw notRunning
        }
        var count = 0
        if all, let ns = pidNamespace(initProcess.pid), ns != pidNamespace(getpid()) {
            for pid in processes() where pid != initProcess.pid {
                // pidfd first: the namespace read below then describes the process we signal.
                guard let p = try? Pidfd.open(pid), pidNamespace(pid) == ns else { continue }
                if (try? p.signal(signal)) != nil { count += 1 }
            }
        }
        do { try initProcess.signal(signal) } catch {
            if error.errno == ESRCH { if all { return count }; throw notRunning }
            throw RuntimeError(error)
        }
        return count + 1
    }

    /// The inode of /proc/PID/ns/pid (`pid:[4026531836]`).
    static func pidNamespace(_ pid: pid_t) -> String? {
        try? FileIO.readlink("/proc/\(pid)/ns/pid")
    }

    static func processes() -> [pid_t] {
        ((try? FileIO.list("/proc")) ?? []).compactMap { pid_t($0) }
    }
}
