#if canImport(Glibc)
import Glibc
#endif
import SiloSys

public struct CgroupStats: Equatable, Sendable {
    public var memoryUsage: UInt64?
    /// nil: no limit of its own (the caller's cgroup still bounds it).
    public var memoryLimit: UInt64?
    public var pidsCurrent: UInt64?
    public var pidsLimit: UInt64?
    public var cpuUsageNanoseconds: UInt64?
    /// Processes the OOM killer killed in this cgroup (v2 memory.events, v1 memory.oom_control).
    public var oomKills: UInt64?
    /// Times the memory limit was hit (v1 memory.failcnt, v2 memory.events max).
    public var memoryLimitHits: UInt64?
    /// Forks the pids limit refused (pids.events max): a fork bomb leaves its mark here.
    public var forksRefused: UInt64?
    /// Page cache the kernel can drop at once (memory.stat inactive_file): docker's `stats`
    /// subtracts it from the usage, and so does `silo stats`.
    public var memoryInactiveFile: UInt64?
    /// Bytes read from and written to block devices (v2 io.stat, v1 blkio throttle counters).
    public var ioReadBytes: UInt64?
    public var ioWriteBytes: UInt64?

    /// The usage without the reclaimable page cache, as docker shows it.
    public var memoryWorkingSet: UInt64? {
        memoryUsage.map { u in u - min(u, memoryInactiveFile ?? 0) }
    }
}

extension Cgroup {
    func place(_ controller: String) -> Place? {
        if layout.kind == .v2 { return places.first }
        return places.first { $0.hierarchy.version == 1 && $0.hierarchy.controllers.contains(controller) }
    }

    func number(_ path: String) -> UInt64? {
        guard let t = try? fs.read(path) else { return nil }
        return UInt64(t.filter { !$0.isWhitespace })
    }

    /// "key value" lines (memory.events, memory.oom_control, cpu.stat, cgroup.events).
    func field(_ path: String, _ key: String) -> UInt64? {
        guard let t = try? fs.read(path) else { return nil }
        for line in t.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2 && f[0] == key { return UInt64(f[1]) }
        }
        return nil
    }

    public func stats() -> CgroupStats {
        var s = CgroupStats()
        if layout.kind == .v2, let d = places.first?.directory {
            s.memoryUsage = number(d + "/memory.current")
            s.memoryLimit = number(d + "/memory.max")
            s.pidsCurrent = number(d + "/pids.current")
            s.pidsLimit = number(d + "/pids.max")
            s.forksRefused = field(d + "/pids.events", "max")
            s.cpuUsageNanoseconds = field(d + "/cpu.stat", "usage_usec").map { $0 * 1000 }
            s.oomKills = field(d + "/memory.events", "oom_kill")
            s.memoryLimitHits = field(d + "/memory.events", "max")
            return s
        }
        if let d = place("memory")?.directory {
            s.memoryUsage = number(d + "/memory.usage_in_bytes")
            // v1 spells "unlimited" as the largest page-aligned number.
            s.memoryLimit = number(d + "/memory.limit_in_bytes").flatMap { $0 >= 1 << 62 ? nil : $0 }
            s.oomKills = field(d + "/memory.oom_control", "oom_kill")
            s.memoryLimitHits = number(d + "/memory.failcnt")
        }
        if let d = place("pids")?.directory {
            s.pidsCurrent = number(d + "/pids.current")
            s.pidsLimit = number(d + "/pids.max")
            s.forksRefused = field(d + "/pids.events", "max")
        }
        if let d = place("cpuacct")?.directory { s.cpuUsageNanoseconds = number(d + "/cpuacct.usage") }
        return s
    }

    /// Whether the OOM killer killed a process of this cgroup: read from the kernel's count, not
    /// guessed from a SIGKILL (which anyone could send). Kernels before 4.13 have no oom_kill
    /// field in v1's memory.oom_control; there a limit that was hit (failcnt) is the best sign.
    public func wasOOMKilled(_ counted: CgroupStats? = nil) -> Bool {
        let s = counted ?? stats()
        if let kills = s.oomKills { return kills > 0 }
        return layout.kind != .v2 && (s.memoryLimitHits ?? 0) > 0
    }

    // MARK: freezer

    /// Stops every process of the cgroup (`pause`); returns once the kernel says they all are.
    public func freeze(timeoutMicroseconds: UInt32 = 2_000_000) throws(CgroupError) {
        try setFrozen(true, timeoutMicroseconds: timeoutMicroseconds)
    }

    public func thaw(timeoutMicroseconds: UInt32 = 2_000_000) throws(CgroupError) {
        try setFrozen(false, timeoutMicroseconds: timeoutMicroseconds)
    }

    public func isFrozen() -> Bool {
        if layout.kind == .v2, let d = places.first?.directory { return field(d + "/cgroup.events", "frozen") == 1 }
        guard let d = place("freezer")?.directory else { return false }
        return (try? fs.read(d + "/freezer.state"))?.hasPrefix("FROZEN") ?? false
    }

    func setFrozen(_ on: Bool, timeoutMicroseconds: UInt32) throws(CgroupError) {
        let file: String, value: String
        if layout.kind == .v2, let d = places.first?.directory {
            file = d + "/cgroup.freeze"
            value = on ? "1" : "0"
        } else if let d = place("freezer")?.directory {
            file = d + "/freezer.state"
            value = on ? "FROZEN" : "THAWED"
        } else {
            throw CgroupError("cgroup \(name): no freezer on this host (v1 freezer controller or v2 cgroup.freeze)")
        }
        var waited: UInt32 = 0, step: UInt32 = 100
        while true {
            // v1 reports FREEZING while tasks are still on their way; writing again nudges the
            // ones that were forking when the first write came (runc does the same).
            try write(file, value, controller: "freezer")
            if isFrozen() == on { return }
            if waited >= timeoutMicroseconds { break }
            fs.sleep(microseconds: step)
            waited += step
            step = min(step * 2, 10_000)
        }
        if on { try? write(file, layout.kind == .v2 ? "0" : "THAWED", controller: "freezer") }
        throw CgroupError("cgroup \(name): the processes did not \(on ? "freeze" : "thaw") within \(timeoutMicroseconds / 1000) ms")
    }

    // MARK: removal

    /// SIGKILL for every process left (freezing first on v1 so that none can fork in between).
    public func killAll(timeoutMicroseconds: UInt32 = 2_000_000) throws(CgroupError) {
        if layout.kind == .v2, let d = places.first?.directory, fs.exists(d + "/cgroup.kill") {
            try write(d + "/cgroup.kill", "1", controller: nil)
        } else {
            let frozen = place("freezer") != nil && (try? freeze(timeoutMicroseconds: 200_000)) != nil
            for pid in try pids() { try? fs.kill(pid, signal: SIGKILL) }
            if frozen { try? thaw() }
        }
        var waited: UInt32 = 0
        while !(try pids()).isEmpty {
            if waited >= timeoutMicroseconds { throw CgroupError("cgroup \(name): processes still running after SIGKILL") }
            if layout.kind != .v2 { for pid in try pids() { try? fs.kill(pid, signal: SIGKILL) } }
            fs.sleep(microseconds: 1000)
            waited += 1000
        }
    }

    /// Removes every directory of the cgroup (sub-cgroups first). `killing`: end what still runs
    /// in it first; without it a cgroup with processes stays and the error says so.
    public func remove(killing: Bool = true) throws(CgroupError) {
        if killing { try killAll() }
        var first: CgroupError?
        for p in places {
            do { try removeTree(p.directory) } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    func removeTree(_ dir: String) throws(CgroupError) {
        // rmdir first: the usual leaf goes in one call, without listing its ~30 control files.
        // EBUSY means sub-cgroups the container made (removed first), or, for a moment after the
        // last process exited, a css still being released: a short retry covers that.
        var tries = 0
        while true {
            do { try fs.rmdir(dir); return } catch {
                if error.errno == ENOENT { return }
                if error.errno != EBUSY || tries >= 100 {
                    throw CgroupError(error.errno == EBUSY ? "cgroup \(dir): still has processes" : "cgroup \(dir): \(error.reason)", errno: error.errno)
                }
            }
            if tries == 0 { for sub in subdirectories(dir) { try removeTree(dir + "/" + sub) } } else { fs.sleep(microseconds: 1000) }
            tries += 1
        }
    }

    /// A handle on the existing cgroup `name`: a running container's (for `update`, `pause`, `ps`,
    /// `stats`) or what a dead one left (silo killed with -9; remove with `remove(killing: true)`).
    /// nil when no hierarchy has it.
    public static func open(name: String, layout: CgroupLayout, fs: any CgroupFS = HostCgroupFS()) -> Cgroup? {
        let found = places(name: name, layout: layout).filter { fs.isDirectory($0.directory) }
        return found.isEmpty ? nil : Cgroup(name: name, layout: layout, places: found, fs: fs)
    }

    /// Names of the caller's child cgroups starting with `prefix` in any hierarchy, for a sweep
    /// that checks which containers are dead (the state directory knows; the cgroup layer does not).
    public static func names(prefix: String, layout: CgroupLayout, fs: any CgroupFS = HostCgroupFS()) -> [String] {
        var out: Set<String> = []
        for h in layout.hierarchies {
            let dir = h.ownDirectory
            for n in (try? fs.list(dir)) ?? [] where n.hasPrefix(prefix) && fs.isDirectory(dir + "/" + n) { out.insert(n) }
        }
        return out.sorted()
    }
}
