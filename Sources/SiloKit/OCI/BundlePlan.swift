#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// An OCI bundle translated into what the launcher runs: the config exactly as given (no
/// overlay, no silo defaults: a config without a user namespace runs as real root in its new
/// namespaces, as runc does). Computed in the parent, before clone.
public struct BundlePlan {
    public var spec: OCISpec
    public var bundle: String
    public var rootfs: String
    public var warnings: [String] = []
    var plan: ContainerPlan
    var cloneFlags: CloneFlags = []
    /// Namespaces joined by `path`: opened here, entered by the parent just before clone.
    var joins: [(fd: Int32, flag: CloneFlags, path: String)] = []
    var idmap: IDMap?
    var treeFDs: [Int32] = []
    var umask: UInt32?
    /// /proc/PID names of the namespaces the container has of its own (for exec).
    var namespaces: [String] = []
    /// Made here, before clone; create removes it again when it fails.
    var cgroup: BundleCgroup?

    /// Reads BUNDLE/config.json; errors name the JSON path (`config.json: .process.args: ...`).
    public static func read(bundle: String) throws(RuntimeError) -> (spec: OCISpec, warnings: [String]) {
        let r = try read(path: bundle + "/config.json")
        return (r.spec, r.warnings)
    }

    static func read(path: String) throws(RuntimeError) -> (spec: OCISpec, warnings: [String], bytes: [UInt8]) {
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path, limit: 16 << 20) } catch {
            throw RuntimeError(.usage, "\(path): \(error.reason)")
        }
        var warnings: [OCIError] = []
        // `process` may be absent at create (the spec requires it only when `start` is called).
        do { return (try OCISpec.parse(bytes, requireProcess: false, warnings: &warnings), warnings.map(\.description), bytes) } catch {
            throw RuntimeError(.usage, error.description)
        }
    }

    /// The config as `create` read it: a copy in the container's state directory (the spec:
    /// changes to config.json after create must not affect the container), else the bundle's.
    static func created(_ record: ContainerRecord, in store: ContainerStateStore) throws(RuntimeError) -> OCISpec {
        let copy = store.directory(of: record.id) + "/config.json"
        return try read(path: FileIO.exists(copy) ? copy : record.bundle + "/config.json").spec
    }

    public static func make(_ spec: OCISpec, bundle: String, id: String) throws(RuntimeError) -> BundlePlan {
        guard let rootPath = spec.rootfs(bundle: bundle) else { throw RuntimeError(.usage, "config.json: .root.path: required") }
        let rootfs = try Rootfs.realpath(rootPath, what: "rootfs")
        var p = BundlePlan(spec: spec, bundle: bundle, rootfs: rootfs,
                           plan: ContainerPlan(mounts: MountPlan(newRoot: ""), argv: spec.process?.args ?? [], env: spec.process?.env ?? [],
                                               searchPath: []))
        // The init outlives `create` (re-parented to the caller's subreaper), with or without a process.
        p.plan.armsParentDeath = false
        do throws(RuntimeError) {
            try p.refuseUnapplied(spec)
            try p.namespaces(spec)
            try p.checkSysctl(spec)
            try p.checkRootSearchable()
            // Rootless (as runc and crun run a bundle): the child copies the rootfs and the binds.
            let rootless = Rootless.detect()
            if rootless != nil && !p.cloneFlags.contains(.newUser) {
                throw RuntimeError(.usage, "config.json: .linux.namespaces: rootless, the container needs a user namespace of its own (`silo spec --rootless` writes one)")
            }
            // Rootless, no cgroup can be made on this host (docs/rootless.md): the container
            // runs without one, as rootless runc's does when the config asks for no limits.
            if rootless == nil {
                try p.makeCgroup(spec, id: id)
            } else if spec.linux?.resources != nil {
                p.warnings.append("rootless: .linux.resources not applied (cgroups need root or a delegated cgroup v2 subtree)")
            }
            var clones: [MountStep] = []
            let rootFD = try Preparation.tree(of: rootfs, readOnly: false, what: "rootfs", rootless: rootless, clones: &clones)
            p.treeFDs.append(rootFD)
            let bindSys = p.cloneFlags.contains(.newUser) && !p.cloneFlags.contains(.newNet)
            // The child makes the binds itself (in the config's order) when the new root can be
            // assembled on a directory that covers none of their sources.
            let staging = try BundleMounts.staging(avoiding: BundleMounts.bindSources(spec, bundle: bundle))
            let bindsInChild = staging.clear && p.plan.mountNamespaceFD < 0  // a joined one holds other paths
            p.plan.mounts = try BundleMounts.plan(spec, bundle: bundle, attachAt: staging.path, bindsInChild: bindsInChild, rootFD: rootFD,
                                                  readOnly: spec.root?.readonly ?? false, bindSys: bindSys,
                                                  userNamespace: p.cloneFlags.contains(.newUser), cgroup: p.cgroup,
                                                  cgroupNamespace: p.plan.cgroupNamespace, trees: &p.treeFDs,
                                                  rootless: rootless != nil)
            p.plan.mounts.beforePivot.insert(contentsOf: clones, at: 1)  // after the propagation change
            if let rootless, p.idmap != nil { p.idmap!.writer = rootless.writer(for: p.idmap!) }
            if p.cloneFlags.contains(.newUTS) {
                p.plan.hostname = spec.hostname
                p.plan.domainname = spec.domainname
            }
            // Without one the init holds with nothing to exec (empty argv): `start` refuses it.
            if let process = spec.process { try p.process(process, spec: spec) }
            // With setgroups denied the kernel refuses even an empty list: the caller's stay.
            if p.idmap?.writer == .denyingSetgroups, p.plan.groups?.isEmpty ?? false { p.plan.groups = nil }
        } catch {
            p.closeAll()
            p.cgroup?.removeMade()
            throw error
        }
        return p
    }

    static let kinds: [(OCISpec.NamespaceType, CloneFlags, String)] = [
        (.user, .newUser, "user"), (.mount, .newNS, "mnt"), (.pid, .newPID, "pid"), (.network, .newNet, "net"),
        (.ipc, .newIPC, "ipc"), (.uts, .newUTS, "uts"), (.cgroup, .newCgroup, "cgroup"), (.time, .newTime, "time"),
    ]

    mutating func namespaces(_ spec: OCISpec) throws(RuntimeError) {
        let list = spec.linux?.namespaces ?? []
        for (i, ns) in list.enumerated() {
            guard let (_, flag, name) = Self.kinds.first(where: { $0.0 == ns.type }) else { continue }
            guard let path = ns.path, !path.isEmpty else {
                if flag != .newTime { cloneFlags.insert(flag) }
                namespaces.append(name)
                continue
            }
            // The parent enters these before clone; a mount namespace the child enters (the
            // parent keeps resolving host paths); a user namespace is refused for now.
            if flag == .newNS {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 { throw RuntimeError(.usage, "config.json: .linux.namespaces[\(i)].path: \(SyscallError.last("open", path).description)") }
                treeFDs.append(fd)
                plan.mountNamespaceFD = fd
                namespaces.append(name)
                continue
            }
            guard flag != .newUser else {
                throw RuntimeError(.usage, "config.json: .linux.namespaces[\(i)].path: joining a \(ns.type.rawValue) namespace by path is not supported yet")
            }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw RuntimeError(.usage, "config.json: .linux.namespaces[\(i)].path: \(SyscallError.last("open", path).description)") }
            joins.append((fd, flag, path))
        }
        guard cloneFlags.contains(.newNS) || plan.mountNamespaceFD >= 0 else {
            throw RuntimeError(.usage, "config.json: .linux.namespaces: silo needs a mount namespace of the container's own")
        }
        if namespaces.contains("time") {
            let t = spec.linux?.timeOffsets ?? [:]
            plan.timeOffsets = (t["monotonic"]?.secs ?? 0, t["boottime"]?.secs ?? 0)
        }
        if cloneFlags.contains(.newUser) {
            let l = spec.linux
            idmap = IDMap(uids: (l?.uidMappings ?? []).map { IDMapping(container: $0.containerID, host: $0.hostID, size: $0.size) },
                          gids: (l?.gidMappings ?? []).map { IDMapping(container: $0.containerID, host: $0.hostID, size: $0.size) })
            if idmap!.uids.isEmpty || idmap!.gids.isEmpty {
                throw RuntimeError(.usage, "config.json: .linux.uidMappings: a user namespace needs uid and gid mappings")
            }
        }
        plan.bringLoopbackUp = cloneFlags.contains(.newNet)
    }

    /// What create does not apply yet: refused when it is a restriction or a device the
    /// process expects, a warning for cgroup limits (podman always sends some; issue 13).
    mutating func refuseUnapplied(_ spec: OCISpec) throws(RuntimeError) {
        if spec.linux?.personality != nil { throw RuntimeError(.usage, "config.json: .linux.personality: not supported yet") }
        for (i, m) in spec.mounts.enumerated() where !m.uidMappings.isEmpty || !m.gidMappings.isEmpty {
            throw RuntimeError(.usage, "config.json: .mounts[\(i)].uidMappings: idmapped mounts are not supported yet")
        }
    }

    /// The container's cgroup (BundleCgroup), the init's way into it, and its cgroup namespace
    /// unshared by the init once inside (a namespace from clone would be rooted at silo's).
    mutating func makeCgroup(_ spec: OCISpec, id: String) throws(RuntimeError) {
        let (cg, w) = try BundleCgroup.make(spec, id: id)
        warnings += w
        guard let cg else { return }
        cgroup = cg
        plan.cgroupTasksFDs = try cg.tasksFiles(trees: &treeFDs)
        if cloneFlags.contains(.newCgroup) {
            cloneFlags.remove(.newCgroup)
            plan.cgroupNamespace = true
        }
    }

    /// Only namespaced sysctls, of namespaces the container has (as runc checks): anything
    /// else would change the host.
    func checkSysctl(_ spec: OCISpec) throws(RuntimeError) {
        let has = { (f: CloneFlags) in cloneFlags.contains(f) || joins.contains { $0.flag == f } }
        if let d = spec.domainname, !d.isEmpty, !has(.newUTS) {
            throw RuntimeError(.usage, "config.json: .domainname: needs a UTS namespace of the container's own")
        }
        for key in (spec.linux?.sysctl ?? [:]).keys.sorted() {
            let ipc = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
                       "kernel.shmmni", "kernel.shm_rmid_forced"].contains(key) || key.hasPrefix("fs.mqueue.")
            let uts = key == "kernel.domainname" || key == "kernel.hostname"
            let ok = (ipc && has(.newIPC)) || (uts && has(.newUTS)) || (key.hasPrefix("net.") && has(.newNet))
            if !ok {
                throw RuntimeError(.usage, "config.json: .linux.sysctl.\"\(key)\": not a sysctl of a namespace the container has")
            }
        }
    }

    /// With a user namespace, the root directory must be searchable by the container's root, or
    /// no path in the container resolves, its own /proc and command included (runtime-tools'
    /// bundles: the bundle itself as the root, mode 0700, owned by host root, which a map of
    /// 0 -> 1000 leaves unmapped; capabilities in a user namespace apply only to inodes whose
    /// owner and group it maps). Refused here, by name, rather than as `mount /proc: Permission
    /// denied` from the child. Only what is certain: no group or other search bit.
    func checkRootSearchable() throws(RuntimeError) {
        guard let idmap, let st = try? FileIO.stat(rootfs) else { return }
        let root = rootOwner
        func mapped(_ id: UInt32, _ m: [IDMapping]) -> Bool {
            m.contains { UInt64(id) >= UInt64($0.host) && UInt64(id) < UInt64($0.host) + UInt64($0.size) }
        }
        let ownerSearches = st.st_uid == root.uid && st.st_mode & 0o100 != 0
        let capable = mapped(st.st_uid, idmap.uids) && mapped(st.st_gid, idmap.gids)
        guard !ownerSearches && !capable && st.st_mode & 0o011 == 0 else { return }
        throw RuntimeError(.usage, "config.json: .root.path: \(rootfs) (mode \(String(st.st_mode & 0o7777, radix: 8)), owner \(st.st_uid):\(st.st_gid) on the host) "
            + "is not searchable by the container's root (host uid \(root.uid), .linux.uidMappings): nothing in the container could resolve a path")
    }

    /// The host ids of the container's root (exec.fifo's owner): itself without a user namespace.
    var rootOwner: (uid: uid_t, gid: gid_t) {
        guard let idmap else { return (0, 0) }
        return (IDMap.host(for: 0, in: idmap.uids) ?? 0, IDMap.host(for: 0, in: idmap.gids) ?? 0)
    }

    mutating func closeTrees() {
        for fd in treeFDs { close(fd) }
        treeFDs = []
    }

    public mutating func closeAll() {
        closeTrees()
        for j in joins { close(j.fd) }
        joins = []
    }
}
