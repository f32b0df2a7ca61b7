#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// An OCI container's cgroup (docs/oci.md, "Cgroups"): `linux.cgroupsPath` in every hierarchy,
/// as runc places it (absolute: below each hierarchy's mount; relative: below the caller's own
/// cgroup; none: `silo-ID` below the caller's cgroup), made before clone with
/// `linux.resources` written, joined by the init before `create` returns. Unlike `silo run`'s
/// cgroup it has no defaults of silo's own and no lock file: its life is the container
/// record's (`delete` removes what `cgroupPaths` lists).
struct BundleCgroup {
    var cgroup: Cgroup
    /// Directories silo made, parents first: removed again when create fails.
    var made: [String] = []
    var warnings: [String] = []

    /// The record's `cgroupParents`: what silo made above the leaves, for delete.
    var madeParents: [String] {
        let leaves = Set(cgroup.places.map(\.directory))
        return made.filter { !leaves.contains($0) }
    }

    /// The record's `cgroupPaths`: hierarchy key → the container's directory.
    var paths: [String: String] {
        Dictionary(cgroup.places.map { ($0.hierarchy.key, $0.directory) }, uniquingKeysWith: { a, _ in a })
    }

    /// nil (with a warning) when the host's cgroups cannot be used and the config asks for no
    /// limit; an error when it does.
    static func make(_ spec: OCISpec, id: String, fs: any CgroupFS = HostCgroupFS()) throws(RuntimeError) -> (BundleCgroup?, [String]) {
        let layout: CgroupLayout
        do { layout = try CgroupLayout.detect(fs: fs) } catch {
            if asksForCgroup(spec) { throw RuntimeError(.runtime, error.message) }
            return (nil, ["\(error.message); the container runs without a cgroup of its own"])
        }
        return try make(spec, id: id, layout: layout, fs: fs)
    }

    static func asksForCgroup(_ spec: OCISpec) -> Bool {
        (spec.linux?.resources ?? OCISpec.Resources()) != OCISpec.Resources() || spec.linux?.cgroupsPath != nil
    }

    static func make(_ spec: OCISpec, id: String, layout: CgroupLayout, fs: any CgroupFS) throws(RuntimeError) -> (BundleCgroup?, [String]) {
        let (limits, extra, warnings) = try BundleResources.read(spec.linux?.resources ?? OCISpec.Resources(), devices: spec.linux?.devices ?? [])
        let asked = asksForCgroup(spec)
        let places = try places(spec.linux?.cgroupsPath, id: id, layout: layout)
        var me = BundleCgroup(cgroup: Cgroup(name: ContainerCgroup.name(of: id), layout: layout, places: places, fs: fs))
        me.warnings = warnings
        do throws(CgroupError) {
            try extra.check(me.cgroup)
            try me.makeDirectories(controllers: limits.controllers(includingDefaults: false).union(extra.controllers))
            try me.cgroup.apply(limits)
            me.warnings += try extra.apply(to: me.cgroup)
        } catch {
            me.removeMade()
            if !asked, let e = error.errno, [EACCES, EPERM, EROFS].contains(e) {
                return (nil, warnings + ["\(error.message); the container runs without a cgroup of its own"])
            }
            throw RuntimeError(.runtime, error.message)
        }
        return (me, me.warnings)
    }

    /// runc's placement of `cgroupsPath` in each hierarchy. The systemd form `slice:prefix:name`
    /// needs --systemd-cgroup, which silo refuses.
    static func places(_ cgroupsPath: String?, id: String, layout: CgroupLayout) throws(RuntimeError) -> [Cgroup.Place] {
        guard let path = cgroupsPath, !path.isEmpty else {
            return layout.hierarchies.map { Cgroup.Place(hierarchy: $0, directory: $0.ownDirectory + "/" + ContainerCgroup.name(of: id)) }
        }
        if path.contains(":") {
            throw RuntimeError(.usage, "config.json: .linux.cgroupsPath: \"\(path)\" is systemd's slice:prefix:name form, which needs --systemd-cgroup (not supported by silo)")
        }
        let parts = path.split(separator: "/")
        guard !parts.isEmpty, !parts.contains(where: { $0 == "." || $0 == ".." }), !path.contains("\n") else {
            throw RuntimeError(.usage, "config.json: .linux.cgroupsPath: \"\(path)\" must name a cgroup below the root, without . or ..")
        }
        let rel = parts.joined(separator: "/")
        return layout.hierarchies.map { h in
            Cgroup.Place(hierarchy: h, directory: (path.hasPrefix("/") ? h.mountPoint : h.ownDirectory) + "/" + rel)
        }
    }

    /// mkdir -p in each hierarchy. An existing leaf is taken over (runc does) unless processes
    /// are in it: `delete` kills what the cgroup holds.
    mutating func makeDirectories(controllers: Set<String>) throws(CgroupError) {
        let fs = cgroup.fs
        for p in cgroup.places {
            if fs.isDirectory(p.directory) {
                let procs = (try? fs.read(p.directory + "/cgroup.procs")) ?? ""
                if !procs.isEmpty { throw CgroupError("cgroup \(p.directory): already holds processes; silo does not put a container into it") }
                continue
            }
            var missing: [String] = []
            var dir = p.directory
            while !fs.isDirectory(dir), dir.count > p.hierarchy.mountPoint.count {
                missing.insert(dir, at: 0)
                dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
            }
            let v2 = p.hierarchy.version == 2 && cgroup.layout.kind == .v2
            if v2 { try enableV2(in: dir, controllers: controllers) }
            for (i, d) in missing.enumerated() {
                do { try fs.mkdir(d) } catch { if error.errno != EEXIST { throw CgroupError(error) } }
                made.append(d)
                if p.hierarchy.version == 1 && p.hierarchy.controllers.contains("cpuset") {
                    try cgroup.inheritCpuset(Cgroup.Place(hierarchy: p.hierarchy, directory: d))
                }
                if v2 && i < missing.count - 1 { try enableV2(in: d, controllers: controllers) }
            }
        }
    }

    /// v2: a controller works in the leaf only when every cgroup above it enables it in
    /// cgroup.subtree_control; the level above the first new one and each new one but the leaf
    /// get the ones the limits need.
    func enableV2(in dir: String, controllers: Set<String>) throws(CgroupError) {
        let wanted = controllers.sorted()
        guard !wanted.isEmpty else { return }
        let fs = cgroup.fs
        do {
            let on = Set(((try? fs.read(dir + "/cgroup.subtree_control")) ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
            for c in wanted where !on.contains(c) {
                do { try fs.write(dir + "/cgroup.subtree_control", "+" + c) } catch {
                    let why = error.errno == EBUSY ? "that cgroup holds processes (cgroup v2's no-internal-processes rule)" : error.reason
                    throw CgroupError("cgroup \(dir)/cgroup.subtree_control +\(c): \(why)", errno: error.errno)
                }
            }
        }
    }

    /// The `tasks` file of each v1 place, for the init to move itself with (as `silo run`'s child
    /// does); the fds go into `trees`, closed after the ack.
    func tasksFiles(trees: inout [Int32]) throws(RuntimeError) -> [Int32] {
        try RunCgroup(cgroup: cgroup, oomScoreAdj: nil).tasksFiles(trees: &trees)
    }

    /// Between clone and the ack: the parent writes the init into the v2 places.
    func enter(pid: pid_t) throws(RuntimeError) {
        try RunCgroup(cgroup: cgroup, oomScoreAdj: nil, fs: cgroup.fs).enter(pid: pid)
    }

    /// A `cgroup` mount of config.json: the container's own cgroup, read-only, as `silo run`
    /// shows it. On v2 without a cgroup namespace a fresh cgroup2 would show the host's root,
    /// so the container's directory is bound instead.
    func mountSteps(at target: String, cgroupNamespace: Bool, trees: inout [Int32]) throws(RuntimeError) -> [MountStep] {
        if cgroup.layout.kind == .v2 && !cgroupNamespace, let dir = cgroup.places.first?.directory {
            let fd: Int32
            do { fd = try DetachedTree.clone(dir, readOnly: true) } catch { throw RuntimeError(error) }
            trees.append(fd)
            return [MountStep(.mountCgroup, .moveTree(fd: fd, target: target, isFile: false))]
        }
        guard let view = try RunCgroup(cgroup: cgroup, oomScoreAdj: nil).view(trees: &trees) else { return [] }
        return MountPlan.cgroupViewSteps(view, at: target)
    }

    /// Create failed after the cgroup was made: what silo made goes (deepest first).
    func removeMade() {
        for d in made.reversed() { try? cgroup.removeTree(d) }
    }
}
