#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// A container's own cgroup: one directory under the caller's cgroup in each hierarchy (v1), or
/// one directory (v2). Created before the container's process runs, joined by the parent for the
/// child before the child may exec, removed when the container ends.
public struct Cgroup: Sendable {
    public struct Place: Equatable, Sendable {
        public var hierarchy: CgroupHierarchy
        public var directory: String
    }

    public let name: String
    public let layout: CgroupLayout
    public let places: [Place]
    /// Default limits this host could not apply (a v2 controller not delegated to the caller).
    public private(set) var skipped: [String] = []
    let fs: any CgroupFS

    /// The places a cgroup called `name` has under the caller's cgroups; `only` keeps the
    /// hierarchies holding one of those controllers (nil: every hierarchy, so that the container's
    /// cgroup namespace hides the caller's cgroups everywhere).
    public static func places(name: String, layout: CgroupLayout, only: Set<String>? = nil) -> [Place] {
        layout.hierarchies.filter { h in
            guard let only else { return true }
            return h.version == 2 ? layout.kind == .v2 : !only.isDisjoint(with: h.controllers)
        }.map { Place(hierarchy: $0, directory: $0.ownDirectory + "/" + name) }
    }

    init(name: String, layout: CgroupLayout, places: [Place], fs: any CgroupFS) {
        self.name = name
        self.layout = layout
        self.places = places
        self.fs = fs
    }

    /// Makes the directories and applies `limits`; on failure removes what it made.
    public static func create(name: String, layout: CgroupLayout, limits: CgroupLimits, only: Set<String>? = nil,
                              fs: any CgroupFS = HostCgroupFS()) throws(CgroupError) -> Cgroup {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\n") else {
            throw CgroupError("cgroup name `\(name)`: not a single path component")
        }
        try limits.validate()
        var cg = Cgroup(name: name, layout: layout, places: places(name: name, layout: layout, only: only), fs: fs)
        if layout.kind == .v2 { cg.skipped = try cg.enableV2Controllers(for: limits) }
        var made: [Place] = []
        do throws(CgroupError) {
            for p in cg.places {
                do { try fs.mkdir(p.directory) } catch {
                    if error.errno == EEXIST {
                        throw CgroupError("cgroup \(p.directory): already exists (another container of that name, or one that died: `silo` removes its leftovers)", errno: EEXIST)
                    }
                    throw CgroupError(error)
                }
                made.append(p)
                if p.hierarchy.version == 1 && p.hierarchy.controllers.contains("cpuset") { try cg.inheritCpuset(p) }
            }
            var applied = limits
            if cg.skipped.contains("pids") { applied.pidsLimit = nil }
            try cg.apply(applied)
        } catch {
            let partial = Cgroup(name: name, layout: layout, places: made, fs: fs)
            try? partial.remove(killing: false)
            throw error
        }
        return cg
    }

    /// Writes the limits (also for `update` on a live container).
    public func apply(_ limits: CgroupLimits) throws(CgroupError) {
        if layout.kind == .v2 {
            guard let dir = places.first?.directory else { return }
            for w in limits.v2Writes() { try write(dir + "/" + w.file, w.value, controller: w.controller) }
            return
        }
        let swap = places.first { $0.hierarchy.controllers.contains("memory") }.map { fs.exists($0.directory + "/memory.memsw.limit_in_bytes") } ?? false
        let writes = try limits.v1Writes(swapAccounting: swap)
        for w in writes {
            guard let p = places.first(where: { $0.hierarchy.controllers.contains(w.controller) }) else {
                throw CgroupError("cgroup \(name): no \(w.controller) controller on this host for \(w.file)")
            }
            let path = p.directory + "/" + w.file
            do { try fs.write(path, w.value) } catch {
                // Lowering memory below memsw first: when raising both, memsw must go up before
                // the limit can (the kernel keeps limit <= memsw), so retry in the other order.
                if w.file == "memory.limit_in_bytes", error.errno == EINVAL,
                   let memsw = writes.first(where: { $0.file == "memory.memsw.limit_in_bytes" }) {
                    try write(p.directory + "/" + memsw.file, memsw.value, controller: "memory")
                    try write(path, w.value, controller: "memory")
                } else {
                    throw CgroupError(error, "cgroup")
                }
            }
        }
    }

    /// Moves `pid` (the whole process) into the cgroup in every hierarchy. The launcher does this
    /// for the cloned child before it acknowledges, so the user's process never runs outside.
    public func join(pid: Int32) throws(CgroupError) {
        for p in places { try write(p.directory + "/cgroup.procs", "\(pid)", controller: nil) }
    }

    /// The processes in the cgroup and its sub-cgroups (the container may make its own).
    public func pids() throws(CgroupError) -> [Int32] {
        guard let p = places.first(where: { $0.hierarchy.controllers.contains("pids") }) ?? places.first else { return [] }
        var out: [Int32] = []
        try collectPids(p.directory, into: &out)
        return out
    }

    func collectPids(_ dir: String, into out: inout [Int32]) throws(CgroupError) {
        let text: String
        do { text = try fs.read(dir + "/cgroup.procs") } catch {
            if error.errno == ENOENT { return }
            throw CgroupError(error)
        }
        out += text.split(separator: "\n").compactMap { Int32($0) }
        for sub in subdirectories(dir) { try collectPids(dir + "/" + sub, into: &out) }
    }

    func subdirectories(_ dir: String) -> [String] {
        ((try? fs.list(dir)) ?? []).filter { fs.isDirectory(dir + "/" + $0) }.sorted()
    }

    func write(_ path: String, _ value: String, controller: String?) throws(CgroupError) {
        do { try fs.write(path, value) } catch {
            if error.errno == ENOENT, let controller {
                throw CgroupError("cgroup \(path): the \(controller) controller is not enabled here", errno: ENOENT)
            }
            throw CgroupError(error, "cgroup")
        }
    }

    /// v1 cpuset: a new cgroup starts with empty cpus and mems, and no process can join it then.
    func inheritCpuset(_ p: Place) throws(CgroupError) {
        let parent = String(p.directory[..<(p.directory.lastIndex(of: "/") ?? p.directory.endIndex)])
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let mine = (try? fs.read(p.directory + "/" + file))?.filter { !$0.isWhitespace } ?? ""
            guard mine.isEmpty else { continue }
            let theirs: String
            do { theirs = try fs.read(parent + "/" + file).filter { !$0.isWhitespace } } catch { throw CgroupError(error) }
            try write(p.directory + "/" + file, theirs, controller: "cpuset")
        }
    }

    /// v2's no-internal-processes rule: a controller works for the container's cgroup only when its
    /// parent (the caller's cgroup) enables it in cgroup.subtree_control, and a non-root cgroup that
    /// holds processes (the caller itself) cannot enable domain controllers (EBUSY). Only what the
    /// limits need is enabled; a default limit that cannot be enabled is skipped and reported.
    func enableV2Controllers(for limits: CgroupLimits) throws(CgroupError) -> [String] {
        guard let h = layout.unified else { return [] }
        let own = h.ownDirectory
        let wanted = limits.controllers(includingDefaults: true), required = limits.controllers(includingDefaults: false)
        let available = Set(fs.words(own + "/cgroup.controllers"))
        let enabled = Set(fs.words(own + "/cgroup.subtree_control"))
        var skipped: [String] = []
        for c in wanted.subtracting(enabled).sorted() {
            let why: String
            if !available.contains(c) {
                why = "the \(c) controller is not available in \(own) (cgroup.controllers: not delegated to this user or not enabled above)"
            } else {
                do { try fs.write(own + "/cgroup.subtree_control", "+\(c)"); continue } catch {
                    why = error.errno == EBUSY
                        ? "cannot enable \(c) in \(own)/cgroup.subtree_control: that cgroup holds processes (cgroup v2's no-internal-processes rule); run silo from a cgroup of its own, e.g. under systemd-run --scope -p Delegate=yes"
                        : "\(own)/cgroup.subtree_control +\(c): \(error.reason)"
                }
            }
            if required.contains(c) { throw CgroupError(why) }
            skipped.append(c)
        }
        return skipped
    }
}
