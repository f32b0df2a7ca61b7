#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// Everything computed before clone: the plan, the clone flags and the fds the child inherits.
public struct Preparation {
    /// What the caller should tell the user before the container starts.
    public internal(set) var warnings: [Warning] = []
    var plan: ContainerPlan
    var cloneFlags: CloneFlags
    var idmap: IDMap
    var treeFDs: [Int32]
    var rootfsFD: Int32
    var rootfsPath: String
    var idSlotLock: Int32
    var network: ContainerNetwork
    var cgroup = RunCgroup()
    /// No idmapped rootfs: the caller's files are used as they are (Rootless).
    var rootless = false
    /// The container cgroup's end (OOM kill, forks refused), once `Launcher.run` has waited.
    public internal(set) var resources: ResourceReport?

    static func make(_ config: RunConfig) throws(RuntimeError) -> Preparation {
        guard !config.argv.isEmpty else { throw RuntimeError(.usage, "run: no command given") }
        let rootless = Rootless.detect()
        // Rootless, what container root writes lands as the caller: no rule beyond the kernel's.
        let rootfs = try Rootfs.resolve(config.rootfs, readWrite: config.rootfsReadWrite && rootless == nil)
        try Rootfs.checkMountPoints(rootfs)
        Trace.mark("prepare: rootfs resolved")
        if let rootless { try rootless.check(config) }
        var (idmap, slotLock) = (rootless?.idmap ?? IDMap(uids: [], gids: []), Int32(-1))
        if rootless == nil { (idmap, slotLock) = try idMap(config) }
        try idmap.validate()
        Trace.mark("prepare: host id range")

        var trees: [Int32] = []
        var preparedNetwork: ContainerNetwork?
        func closeTrees() {
            for fd in trees { close(fd) }
            if slotLock >= 0 { close(slotLock) }
            preparedNetwork?.release()
        }
        do throws(RuntimeError) {
            // The overlay's lower layer is read-only as a mount: nothing in the child can write
            // through it into the base rootfs, whatever path leads there.
            var clones: [MountStep] = []  // rootless: the trees the child copies itself
            let rootFD = try tree(of: rootfs, readOnly: !config.rootfsReadWrite, what: "rootfs", rootless: rootless, clones: &clones)
            trees.append(rootFD)
            Trace.mark("prepare: open_tree rootfs")
            let volumes = try volumeTrees(config, trees: &trees, rootless: rootless, clones: &clones)
            let tmpfs = try tmpfsMounts(config)
            var network = try ContainerNetwork.prepare(config)
            let sysfsFD = network.sysfsFD
            if let fd = sysfsFD { trees.append(fd) }
            network.sysfsFD = nil  // now owned by `trees`
            preparedNetwork = network  // released if anything below fails
            let mode: RootfsMode = config.readOnly ? .readOnly : (config.rootfsReadWrite ? .readWrite : .overlay)
            let mounts = MountPlan.make(attachAt: try Rootfs.stagingDirectory(), rootfsFD: rootFD, mode: mode,
                                        rootfsSize: config.rootfsSize ?? MountPlan.defaultRootfsSize, volumes: volumes,
                                        tmpfs: tmpfs, maskPaths: true,
                                        sysfsFD: sysfsFD)
            Trace.mark("prepare: mount plan")
            var plan = try processPlan(config, mounts: mounts, rootfs: rootfs, idmap: idmap)
            if let rootless { Rootless.adapt(&plan, idmap: idmap, clones: clones) }
            var warnings = try Hardening.configure(&plan, config: config)
            Trace.mark("prepare: hardening")

            var flags: CloneFlags = [.newUser, .newNS, .newPID, .newUTS, .newIPC, .newCgroup]
            if network.newNamespace { flags.insert(.newNet) }
            plan.bringLoopbackUp = network.newNamespace
            try SharePlan(config.share).apply(to: &plan, flags: &flags, trees: &trees, config: config)
            if let rootless {
                // Last, as for root; under a delegated v2 subtree or none (RunCgroup+Rootless).
                let (made, madeWarnings, note) = try RunCgroup.make(rootless: rootless, limits: config.limits)
                let (cgroup, cgroupWarnings) = try containerCgroup(config, made: (made, madeWarnings), plan: &plan, flags: &flags, trees: &trees)
                if let n = rootless.notice(cgroup: note) { warnings.insert(n, at: 0) }
                return Preparation(warnings: warnings + cgroupWarnings, plan: plan, cloneFlags: flags, idmap: idmap, treeFDs: trees,
                                   rootfsFD: rootFD, rootfsPath: rootfs, idSlotLock: -1, network: network, cgroup: cgroup, rootless: true)
            }
            // Last: nothing after it may fail, or the cgroup would outlive this error.
            let (cgroup, cgroupWarnings) = try containerCgroup(config, plan: &plan, flags: &flags, trees: &trees)
            return Preparation(warnings: warnings + cgroupWarnings, plan: plan, cloneFlags: flags, idmap: idmap,
                               treeFDs: trees, rootfsFD: rootFD, rootfsPath: rootfs, idSlotLock: slotLock, network: network,
                               cgroup: cgroup)
        } catch {
            closeTrees()
            throw error
        }
    }

    /// The container's own cgroup (docs/cgroups.md): made now, joined by the parent before the
    /// ack; the child then unshares its cgroup namespace (instead of getting one from clone,
    /// rooted at silo's cgroup) and sees only its own cgroup at /sys/fs/cgroup.
    static func containerCgroup(_ config: RunConfig, made: (RunCgroup, [Warning])? = nil, plan: inout ContainerPlan,
                                flags: inout CloneFlags, trees: inout [Int32]) throws(RuntimeError) -> (RunCgroup, [Warning]) {
        var (cgroup, warnings): (RunCgroup, [Warning])
        if let made { (cgroup, warnings) = made } else { (cgroup, warnings) = try RunCgroup.make(limits: config.limits) }
        do throws(RuntimeError) {
            plan.cgroupTasksFDs = try cgroup.tasksFiles(trees: &trees)
        } catch {
            cgroup.release()
            throw error
        }
        guard flags.contains(.newCgroup), cgroup.cgroup != nil else { return (cgroup, warnings) }
        do throws(RuntimeError) {
            // --share mnt (silo demo): the host's mounts stay, /sys/fs/cgroup with them.
            if !plan.mounts.newRoot.isEmpty, let view = try cgroup.view(trees: &trees) { plan.mounts.addCgroupView(view) }
        } catch {
            cgroup.release()
            throw error
        }
        flags.remove(.newCgroup)
        plan.cgroupNamespace = true
        Trace.mark("prepare: cgroup view")
        return (cgroup, warnings)
    }

    /// The maps given, or a free slot of the host range (held by the returned lock fd, -1 when
    /// both maps were given).
    static func idMap(_ config: RunConfig) throws(RuntimeError) -> (IDMap, Int32) {
        guard config.uidMaps.isEmpty || config.gidMaps.isEmpty else {
            return (IDMap(uids: config.uidMaps, gids: config.gidMaps), -1)
        }
        let (mapping, lock) = try IDRangeLock.acquire()
        return (IDMap(uids: config.uidMaps.isEmpty ? [mapping.uids] : config.uidMaps,
                      gids: config.gidMaps.isEmpty ? [mapping.gids] : config.gidMaps), lock)
    }

    /// A detached copy of each volume's source; every fd also goes into `trees`, so a failure
    /// further on closes it.
    static func volumeTrees(_ config: RunConfig, trees: inout [Int32], rootless: Rootless? = nil,
                            clones: inout [MountStep]) throws(RuntimeError) -> [TreeMount] {
        var volumes: [TreeMount] = []
        for v in config.volumes {
            let src = try Rootfs.realpath(v.source, what: "volume")
            guard v.target.hasPrefix("/"), !v.target.split(separator: "/").contains("..") else {
                throw RuntimeError(.usage, "volume \(v.source):\(v.target): the container path must be absolute and without ..")
            }
            guard v.target.contains(where: { $0 != "/" && $0 != "." }) else {
                throw RuntimeError(.usage, "volume \(v.source):\(v.target): cannot replace the container's root; give a directory below / (or use --rootfs)")
            }
            // Read-only on the detached copy, as host root: no locked flags get in the way.
            let fd = try tree(of: src, readOnly: v.readOnly, what: "volume", rootless: rootless, clones: &clones)
            trees.append(fd)
            volumes.append(TreeMount(fd: fd, target: v.target, isFile: !FileIO.isDirectory(src)))
        }
        return volumes
    }

    /// `--tmpfs PATH[:OPTIONS]`, checked, with silo's default size unless one is given.
    static func tmpfsMounts(_ config: RunConfig) throws(RuntimeError) -> [(target: String, options: String)] {
        var tmpfs: [(target: String, options: String)] = []
        for t in config.tmpfs {
            let parts = t.split(separator: ":", maxSplits: 1)
            guard let first = parts.first, first.hasPrefix("/"), !first.split(separator: "/").contains("..") else {
                throw RuntimeError(.usage, "tmpfs `\(t)`: expected an absolute PATH[:OPTIONS], without ..")
            }
            guard first.contains(where: { $0 != "/" && $0 != "." }) else {
                throw RuntimeError(.usage, "tmpfs `\(t)`: cannot replace the container's root; give a directory below /")
            }
            tmpfs.append((String(first), MountPlan.tmpfsOptions(parts.count > 1 ? String(parts[1]) : nil)))
        }
        return tmpfs
    }

    /// What the command runs as and with: user, hostname, environment, PATH, workdir, --init,
    /// time offsets.
    static func processPlan(_ config: RunConfig, mounts: MountPlan, rootfs: String, idmap: IDMap) throws(RuntimeError) -> ContainerPlan {
        let user = try UserSpec.resolve(config.user, rootfs: rootfs)
        if let spec = config.user { try user.checkMapped(in: idmap, option: spec) }
        let hostname = config.hostname ?? ContainerID.random()
        let env = try Environment.make(config: config, hostname: hostname, home: user.home)
        Trace.mark("prepare: user, hostname, env")
        let searchPath = (env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? RunConfig.defaultPath)
            .split(separator: ":").map(String.init)

        var plan = ContainerPlan(mounts: mounts, argv: config.argv, env: env, searchPath: searchPath)
        plan.hostname = hostname
        if let w = config.workdir {
            guard w.hasPrefix("/") else { throw RuntimeError(.usage, "workdir \(w): must be an absolute path") }
            plan.workdir = Workdir.clean(w)
        }
        plan.uid = user.uid
        plan.gid = user.gid
        plan.groups = user.groups
        plan.useInit = config.useInit
        if HostIdentity.hasTimeNamespaces {
            plan.timeOffsets = config.timeOffset
        }
        return plan
    }

    /// DetachedTree.clone, with the error naming what the tree is for ("rootfs /x: ...").
    static func detachedCopy(of path: String, readOnly: Bool, what: String) throws(RuntimeError) -> Int32 {
        do { return try DetachedTree.clone(path, readOnly: readOnly) } catch {
            throw RuntimeError(SyscallError(error.call, errno: error.errno, object: "\(what) \(error.object)"))
        }
    }

    /// The parent's half of the handshake: maps first, then the idmapped rootfs, which needs
    /// the child's user namespace to exist and to have its maps.
    mutating func configureChild(pid: pid_t) throws(SyscallError) {
        if !SharePlan.hasUserNamespace(cloneFlags) { return try network.configure(childPID: pid) }
        try idmap.write(toChild: pid)
        if rootless { return try network.configure(childPID: pid) }
        try DetachedTree.idmap(rootfsFD, userNamespaceOf: pid, object: "rootfs \(rootfsPath)")
        try network.configure(childPID: pid)
    }

    mutating func closeTrees() {
        for fd in treeFDs { close(fd) }
        treeFDs = []
    }

    public mutating func closeAll() {
        closeTrees()
        cgroup.release()
        network.release()
        if idSlotLock >= 0 { close(idSlotLock) }
        idSlotLock = -1
    }
}
