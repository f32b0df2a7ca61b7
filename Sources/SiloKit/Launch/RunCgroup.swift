#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// How the container's cgroup ended, for the command line to report: the kernel's own counts,
/// read after waitpid and before the cgroup is removed.
public struct ResourceReport: Equatable, Sendable {
    /// The OOM killer killed a process of the container (memory.oom_control / memory.events).
    public var outOfMemory = false
    /// The container's own memory limit; nil when only the caller's cgroup bounded it.
    public var memoryLimit: UInt64?
    /// Forks the pids limit refused (pids.events): a fork bomb's mark.
    public var forksRefused: UInt64 = 0
    public var pidsLimit: UInt64?
    /// What went wrong while tearing the cgroup down.
    public var warnings: [Warning] = []
}

/// `silo run`'s use of the cgroup layer (docs/cgroups.md, "Wiring"): the container's cgroup
/// `silo-<id>` made before clone, the child moved into it before the ack, its end read and the
/// cgroup removed after waitpid. A flock on /run/silo/cgroups/<name> marks it as a live silo's:
/// the next `silo run` removes `silo-*` cgroups whose lock nobody holds (docs/cgroups.md).
struct RunCgroup {
    static let lockDirectory = "/run/silo/cgroups"
    static let prefix = "silo-"

    var cgroup: Cgroup?
    var oomScoreAdj: Int32?
    var lockFD: Int32 = -1
    /// v2: the container's cgroup directory, open for clone3(CLONE_INTO_CGROUP); -1 elsewhere.
    var cloneIntoFD: Int32 = -1
    var fs: any CgroupFS = HostCgroupFS()
    /// Rootless: the delegated subtree the cgroup sits in, restored after it (RunCgroup+Rootless).
    var delegation: CgroupDelegation?
    var proc = "/proc"
    var lockDirectory = RunCgroup.lockDirectory

    /// Whether the user asked for a limit the host must honour (so that a host without usable
    /// cgroups is an error, not a warning); `--pids-limit 0` alone asks for nothing.
    static func isExplicit(_ limits: CgroupLimits) -> Bool {
        var l = limits
        if l.pidsLimit == -1 { l.pidsLimit = nil }
        return !l.controllers(includingDefaults: false).isEmpty || !l.unified.isEmpty
    }

    /// Makes the container's cgroup with `limits` plus silo's defaults. A host where cgroups
    /// cannot be used gives a warning and no cgroup, unless a limit was asked for.
    static func make(limits: CgroupLimits, fs: any CgroupFS = HostCgroupFS()) throws(RuntimeError) -> (RunCgroup, [Warning]) {
        let layout: CgroupLayout
        do { layout = try CgroupLayout.detect(fs: fs) } catch { return try skipping(error, limits: limits) }
        Trace.mark("prepare: cgroup layout")
        return try make(limits: limits, layout: layout, fs: fs)
    }

    static func skipping(_ e: CgroupError, limits: CgroupLimits) throws(RuntimeError) -> (RunCgroup, [Warning]) {
        if isExplicit(limits) { throw RuntimeError(.runtime, e.message) }
        return (RunCgroup(cgroup: nil, oomScoreAdj: limits.oomScoreAdj),
                [Warning("\(e.message); the container runs without a cgroup of its own (no default pids limit)")])
    }

    static func make(limits: CgroupLimits, layout: CgroupLayout, fs: any CgroupFS, lockDirectory: String = lockDirectory,
                     reportingSkipped: Bool = true) throws(RuntimeError) -> (RunCgroup, [Warning]) {
        var me = RunCgroup(cgroup: nil, oomScoreAdj: limits.oomScoreAdj, fs: fs, lockDirectory: lockDirectory)
        let dir: Int32
        do { dir = try IDRangeLock.openDirectory(lockDirectory) } catch { return try skipping(CgroupError(error.message), limits: limits) }
        defer { close(dir) }
        var warnings = sweep(layout: layout, lockDirectory: dir, path: lockDirectory, fs: fs)
        Trace.mark("prepare: cgroup sweep")
        let name = prefix + ContainerID.random()
        let lock: Int32?
        do { lock = try FileLock.tryLock(name, in: dir, object: "cgroup lock \(lockDirectory)/\(name)") } catch { throw RuntimeError(error) }
        guard let lock else { throw RuntimeError(.runtime, "cgroup lock \(lockDirectory)/\(name): held by another silo") }
        me.lockFD = lock
        do throws(CgroupError) {
            let cg = try Cgroup.create(name: name, layout: layout, limits: limits.withDefaults(), only: hierarchies(for: limits), fs: fs)
            for s in cg.skipped where reportingSkipped { warnings.append(Warning("cgroup \(name): the default \(s) limit is skipped on this host")) }
            me.cgroup = cg
            if layout.kind == .v2, let dir = cg.places.first?.directory {
                // Unopenable (it should not be): the parent writes cgroup.procs instead.
                me.cloneIntoFD = retryingEINTR { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            }
            Trace.mark("prepare: cgroup created")
        } catch {
            me.release()
            if let e = error.errno, [EACCES, EPERM, EROFS].contains(e) { return try skipping(error, limits: limits) }
            throw RuntimeError(.runtime, error.message)
        }
        return (me, warnings)
    }

    /// The v1 hierarchies the container joins: memory (its ceiling, --memory, the OOM report),
    /// pids (the default limit), freezer (to stop every process before killing leftovers), and
    /// those the options need. Each hierarchy costs ~35 µs of kernel time warm and ~100 µs
    /// through silo (mkdir, join, view, rmdir; docs/performance.md); in the others the container
    /// stays in silo's cgroup, which its cgroup namespace shows as `/` and /sys/fs/cgroup does
    /// not show at all. On v2 there is one hierarchy anyway.
    static func hierarchies(for limits: CgroupLimits) -> Set<String> {
        var c: Set<String> = ["memory", "pids", "freezer"]
        let asked = limits.controllers(includingDefaults: true)
        if asked.contains("cpu") { c.formUnion(["cpu", "cpuacct"]) }
        if asked.contains("cpuset") { c.insert("cpuset") }
        if asked.contains("io") { c.insert("blkio") }
        return c
    }

    /// The `tasks` file of each v1 place, open for writing, for the child to move itself with
    /// (ContainerInit, stage `cgroupNamespace`): a process moving itself spares the kernel's
    /// global threadgroup lock and the RCU grace period it waits for after an idle spell,
    /// ~12 ms here (docs/performance.md). The fds also go into `trees`, closed after the ack.
    func tasksFiles(trees: inout [Int32]) throws(RuntimeError) -> [Int32] {
        guard let cg = cgroup else { return [] }
        var fds: [Int32] = []
        for p in cg.places where p.hierarchy.version == 1 {
            let path = p.directory + "/tasks"
            let fd = retryingEINTR { open(path, O_WRONLY | O_CLOEXEC) }
            if fd < 0 { throw RuntimeError(SyscallError.last("open", "cgroup \(path)")) }
            trees.append(fd)
            fds.append(fd)
        }
        return fds
    }

    /// The container's first process, forked (copy-on-write memory). On v2 it is born in its
    /// cgroup (clone3 CLONE_INTO_CGROUP, `joined`): the parent's write to cgroup.procs, which
    /// takes the kernel's global threadgroup lock and waits for an RCU grace period after an
    /// idle spell, never happens. A kernel without clone3 (before 5.7, or a seccomp filter
    /// answering ENOSYS) gets clone and the write.
    func clone(_ flags: CloneFlags) throws(SyscallError) -> (pid: pid_t, joined: Bool) {
        if cloneIntoFD >= 0 {
            do { return (try Clone.fork(flags, intoCgroup: cloneIntoFD), true) } catch {
                if error.errno != ENOSYS { throw error }
            }
        }
        return (try Clone.fork(flags), false)
    }

    /// The parent's step between clone and ack: the child joins its cgroup where it does not
    /// move itself and was not born in it (a v2 hierarchy: cgroup.procs; v2 has no `tasks`),
    /// then its OOM score is set.
    func enter(pid: pid_t, joined: Bool = false) throws(RuntimeError) {
        if let cg = cgroup, !joined {
            for p in cg.places where p.hierarchy.version == 2 {
                do { try cg.write(p.directory + "/cgroup.procs", "\(pid)", controller: nil) } catch { throw RuntimeError(.runtime, error.message) }
            }
        }
        if let adj = oomScoreAdj {
            do { try fs.write("\(proc)/\(pid)/oom_score_adj", "\(adj)") } catch {
                let hint = error.errno == EACCES ? " (lowering it needs CAP_SYS_RESOURCE)" : ""
                throw RuntimeError(.runtime, "--oom-score-adj \(adj): \(error.object): \(error.reason)\(hint)", cause: error)
            }
        }
    }

    /// What the container sees at /sys/fs/cgroup; the bind trees' fds go into `trees`.
    func view(trees: inout [Int32]) throws(RuntimeError) -> MountPlan.CgroupView? {
        guard let cg = cgroup else { return nil }
        if cg.layout.kind == .v2 { return .cgroup2 }
        var binds: [(name: String, fd: Int32)] = [], aliases: [(name: String, target: String)] = []
        for p in cg.places {
            let name = String(p.hierarchy.mountPoint.split(separator: "/").last ?? "")
            guard !name.isEmpty else { continue }
            let fd: Int32
            do { fd = try DetachedTree.clone(p.directory, readOnly: true) } catch {
                throw RuntimeError(SyscallError(error.call, errno: error.errno, object: "cgroup \(error.object)"))
            }
            trees.append(fd)
            binds.append((name, fd))
            if p.hierarchy.controllers.count > 1 {
                for c in p.hierarchy.controllers where c != name && !c.contains("=") { aliases.append((c, name)) }
            }
        }
        return .binds(binds, aliases: aliases)
    }

    /// After waitpid: what the kernel counted, then the cgroup removed (stragglers killed).
    mutating func finish() -> ResourceReport? {
        guard let cg = cgroup else { return nil }
        let s = cg.stats()
        var r = ResourceReport(outOfMemory: cg.wasOOMKilled(s), memoryLimit: s.memoryLimit,
                               forksRefused: s.forksRefused ?? 0, pidsLimit: s.pidsLimit)
        Trace.mark("cgroup stats read")
        if let w = release() { r.warnings.append(w) }
        Trace.mark("cgroup removed")
        return r
    }

    /// Removes the cgroup (killing what is left in it) and its lock; idempotent.
    @discardableResult
    mutating func release() -> Warning? {
        var warning: Warning?
        if let cg = cgroup {
            // Usually the kernel has ended the PID namespace with its first process: nothing to
            // kill, and the freeze-kill-thaw round of `remove(killing:)` is skipped.
            let empty = (try? cg.pids())?.isEmpty == true
            do { try cg.remove(killing: !empty) } catch { warning = Warning(error.message) }
            cgroup = nil
            if warning == nil { _ = unlink(lockDirectory + "/" + cg.name) }
            if warning == nil { warning = restoreDelegation() }
        }
        if lockFD >= 0 { close(lockFD) }
        lockFD = -1
        if cloneIntoFD >= 0 { close(cloneIntoFD) }
        cloneIntoFD = -1
        return warning
    }

    /// Removes what dead `silo run`s left (silo killed with -9 between lock and unlock). Each
    /// lock file in /run/silo/cgroups names a cgroup `silo run` made (an OCI container's cgroup has
    /// none and is never touched here); it is dead when no process holds the flock (the owner's
    /// lock goes with its last fd, however it died; the owner locks before mkdir and unlinks
    /// after rmdir) and the cgroup, if still there, has no processes. One listing of that small
    /// directory on the start path.
    static func sweep(layout: CgroupLayout, lockDirectory dir: Int32, path: String, fs: any CgroupFS) -> [Warning] {
        var warnings: [Warning] = []
        for n in (try? FileIO.list(path)) ?? [] where n.hasPrefix(prefix) {
            let fd = retryingEINTR { openat(dir, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its silo is alive
            // Found wherever it sits, not only under this caller's cgroups: a silo started from
            // another memory cgroup made its memory directory there, and removing only what this
            // caller sees (then the lock file) left that directory for no sweep to find.
            if let cg = Cgroup.find(name: n, layout: layout, fs: fs) {
                guard (try? cg.pids())?.isEmpty == true else { continue }
                do { try cg.remove(killing: false) } catch {
                    warnings.append(Warning("\(error.message) (left by a silo that died)"))
                    continue
                }
            }
            unlinkat(dir, n, 0)
        }
        return warnings
    }
}
