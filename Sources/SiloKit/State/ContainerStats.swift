#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// What `silo stats` shows: every container of silo's that has a cgroup. Two kinds are found:
/// the containers in the state store (OCI bundles, background runs), by id or name, and the
/// foreground `silo run`s, which keep no record but hold a flock on /run/silo/cgroups/silo-ID
/// for as long as they live (Launch/RunCgroup.swift): a lock nobody holds is a dead run's.
public enum ContainerStats {
    public struct Target: Sendable {
        public var id: String
        public var name: String?
        /// nil: the container has no cgroup (stopped, or made without one).
        public var cgroup: Cgroup?
    }

    public struct Sample: Sendable {
        public var target: Target
        public var stats: CgroupStats?
        /// The memory limit that binds it (its own or an ancestor's), for MEM %.
        public var memoryCeiling: UInt64?
        /// CLOCK_MONOTONIC when read, for the CPU share between two samples.
        public var nanoseconds: UInt64
    }

    public static let runLockDirectory = "/run/silo/cgroups"

    /// The containers to show: `ids` (each an id, a name, or a unique id prefix) in that order,
    /// or every running one, sorted by id. An id that matches nothing is an error.
    /// `layout`: the host's, detected when nil (a host without cgroups shows no cgroups).
    public static func targets(ids: [String], store: ContainerStateStore?, runLocks: String = runLockDirectory,
                               layout: CgroupLayout? = nil, fs: any CgroupFS = HostCgroupFS()) throws(RuntimeError) -> [Target] {
        let layout = layout ?? (try? CgroupLayout.detect(fs: fs))
        var stored: [Target] = [], live: [Target] = []
        if let store {
            for s in try ContainerLifecycle.list(store: store) {
                let running = s.status == .running || s.status == .paused || s.status == .created
                let cg = running && layout != nil ? ContainerCgroup.open(id: s.id, record: s.record, layout: layout, fs: fs) : nil
                stored.append(Target(id: s.id, name: s.record?.name, cgroup: cg))
            }
        }
        let claimed = Set(stored.compactMap(\.cgroup).flatMap { cg in cg.places.map(\.directory) + [cg.name] })
        for id in liveRuns(runLocks) where !claimed.contains(ContainerCgroup.name(of: id)) {
            let name = ContainerCgroup.name(of: id)
            // Walked for, not opened under the caller's cgroups: the run may sit under another memory cgroup.
            let cg = layout.flatMap { Cgroup.find(name: name, layout: $0, fs: fs) }
            if let cg, cg.places.contains(where: { claimed.contains($0.directory) }) { continue }
            live.append(Target(id: id, name: nil, cgroup: cg))
        }
        let all = stored + live
        if ids.isEmpty { return all.filter { $0.cgroup != nil }.sorted { $0.id < $1.id } }
        var out: [Target] = []
        for q in ids {
            if let t = all.first(where: { $0.id == q || $0.name == q }) { out.append(t); continue }
            let prefixed = all.filter { $0.id.hasPrefix(q) }
            guard prefixed.count == 1 else {
                throw RuntimeError(.runtime, prefixed.isEmpty ? "stats: no such container: \(q)"
                                   : "stats: \(q): more than one container's id starts so (\(prefixed.map(\.id).joined(separator: ", ")))")
            }
            out.append(prefixed[0])
        }
        return out
    }

    /// The ids of the `silo run`s alive now: lock files whose flock someone holds. A shared
    /// lock is tried, so that a dead run's file is not held here for longer than the test.
    static func liveRuns(_ dir: String) -> [String] {
        var out: [String] = []
        for n in (try? FileIO.list(dir)) ?? [] where n.hasPrefix("silo-") {
            let fd = retryingEINTR { open(dir + "/" + n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 { continue }
            if flock(fd, LOCK_SH | LOCK_NB) != 0 { out.append(String(n.dropFirst(5))) }
            close(fd)
        }
        return out.sorted()
    }

    public static func sample(_ targets: [Target], proc: String = "/proc") -> [Sample] {
        targets.map { t in
            var s = t.cgroup?.usage()
            if s != nil, s?.cpuUsageNanoseconds == nil, let pids = try? t.cgroup?.pids() {
                s?.cpuUsageNanoseconds = processCPU(pids, proc: proc)
            }
            return Sample(target: t, stats: s, memoryCeiling: t.cgroup?.memoryCeiling(), nanoseconds: monotonicNow())
        }
    }

    /// CPU time of the cgroup's processes when it has no CPU accounting of its own: a v1
    /// `silo run` joins cpu,cpuacct only when a CPU option asks (each hierarchy costs a start
    /// ~100 µs). utime+stime of each process plus cutime+cstime, the time of the children it
    /// reaped (the container's init reaps every orphan), from /proc/PID/stat fields 14-17.
    /// What a process that exited unreaped used is missed until its parent reaps it.
    static func processCPU(_ pids: [Int32], proc: String) -> UInt64 {
        let tick = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        var ticks: UInt64 = 0
        for pid in pids {
            guard let text = try? FileIO.read("\(proc)/\(pid)/stat", limit: 4096),
                  let close = text.utf8.lastIndex(of: UInt8(ascii: ")")) else { continue }
            // Field 3 is the first after the command name; fields 14-17 are 11-14 places on.
            let f = text.utf8[text.utf8.index(after: close)...].split(separator: UInt8(ascii: " "))
            guard f.count > 14 else { continue }
            for i in 11...14 { ticks &+= UInt64(String(decoding: f[i], as: UTF8.self)) ?? 0 }
        }
        return ticks * (1_000_000_000 / tick)
    }

    /// The CPU share between two samples of one container, in percent of one CPU (docker's
    /// scale: a container busy on both cores of this host shows 200 %).
    public static func cpuPercent(from old: Sample?, to new: Sample) -> Double? {
        guard let old, let a = old.stats?.cpuUsageNanoseconds, let b = new.stats?.cpuUsageNanoseconds,
              new.nanoseconds > old.nanoseconds, b >= a else { return nil }
        return Double(b - a) / Double(new.nanoseconds - old.nanoseconds) * 100
    }

    public static func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
