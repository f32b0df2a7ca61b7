#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// A rootless `silo run`'s cgroup (docs/rootless.md, "Cgroups"): beneath the caller's delegated
/// cgroup v2 subtree when it has one, else none. Past the delegation it is root's v2 path: the
/// cgroup made before clone, the child born in it (clone3 CLONE_INTO_CGROUP), its cgroup
/// namespace unshared there, the cgroup removed after waitpid.
extension RunCgroup {
    /// The cgroup, warnings, and the clause for the rootless notice (nil: nothing differs from
    /// root). Limits the subtree cannot give are refused here, naming why.
    static func make(rootless: Rootless, limits: CgroupLimits, fs: any CgroupFS = HostCgroupFS(),
                     root: String = "/sys/fs/cgroup", procSelf: String = "/proc/self",
                     lockDirectory: String = ContainerStateStore.defaultRoot() + "/cgroups",
                     writable: (String) -> Bool = CgroupDelegation.accessWritable) throws(RuntimeError)
        -> (RunCgroup, [Warning], note: String?) {
        var d: CgroupDelegation
        do throws(CgroupError) {
            let layout: CgroupLayout
            if let quick = CgroupDelegation.quickLayout(fs: fs, root: root, procSelf: procSelf) { layout = quick } else {
                layout = try CgroupLayout.detect(fs: fs, root: root, proc: procSelf)
            }
            d = try CgroupDelegation.find(layout: layout, uid: rootless.uid, fs: fs, writable: writable)
        } catch {
            if isExplicit(limits) {
                throw RuntimeError(.usage, "resource limits: \(error.message); run without --memory, --cpus, --pids-limit and the like, or as root")
            }
            // The why in full goes with a refused limit; the notice keeps to one short clause.
            return (RunCgroup(cgroup: nil, oomScoreAdj: limits.oomScoreAdj), [], "no cgroup of its own (no delegated cgroup v2 subtree: no default pids limit)")
        }
        Trace.mark("prepare: cgroup delegation")
        let plan: (enable: [String], skipped: [String])
        do { plan = try d.plan(for: limits) } catch { throw RuntimeError(.usage, error.message) }
        let lock: Int32
        do { lock = try d.lock() } catch { throw RuntimeError(.runtime, error.message) }
        defer { close(lock) }
        do { try d.enable(plan.enable, fs: fs) } catch { throw RuntimeError(.runtime, error.message) }
        var (me, warnings) = try make(limits: limits, layout: d.layout, fs: fs, lockDirectory: lockDirectory, reportingSkipped: false)
        if me.cgroup == nil {
            // Made nothing after all (the subtree refused the mkdir): undo a leaf made for it.
            if let w = d.restore(fs: fs) { warnings.append(Warning(w)) }
            return (me, warnings, "no cgroup of its own (no default pids limit)")
        }
        me.delegation = d
        let note = plan.skipped.contains("pids")
            ? "its cgroup is under the delegated \(d.base), without the default pids limit (no pids controller there)" : nil
        return (me, warnings, note)
    }

    /// After the container's cgroup is removed: the caller's processes back where they were
    /// when this was the last container under the delegated cgroup (CgroupDelegation.restore).
    func restoreDelegation() -> Warning? {
        guard let d = delegation else { return nil }
        let lock: Int32
        do { lock = try d.lock() } catch { return Warning(error.message) }
        defer { close(lock) }
        return d.restore(fs: fs).map { Warning($0) }
    }
}
