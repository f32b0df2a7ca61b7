#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The rootless half of Preparation (docs/rootless.md): the same plan, with the host-privileged
/// steps moved into the child, where its own user namespace gives it the right to make them.
extension Preparation {
    /// A detached copy of `path` for root; rootless, a placeholder fd (O_PATH of the path, so
    /// the number stays taken) and a step that puts the child's own copy on that number.
    /// open_tree(OPEN_TREE_CLONE) needs CAP_SYS_ADMIN over the mount namespace it copies from:
    /// the host's, for the parent; the child's new one, for the child.
    static func tree(of path: String, readOnly: Bool, what: String, rootless: Rootless?,
                     clones: inout [MountStep]) throws(RuntimeError) -> Int32 {
        guard rootless != nil else { return try detachedCopy(of: path, readOnly: readOnly, what: what) }
        try Rootless.checkReadable(path, what: what)
        return try Rootless.placeholder(for: path, what: what, stage: what == "rootfs" ? .mountRootfs : .mountVolumes,
                                        recursive: true, attributes: readOnly ? .rdonly : [], clones: &clones)
    }
}

extension Preparation {
    /// The child can write its own maps (the caller's ids alone, setgroups denied) and nothing
    /// else waits for the parent between clone and the ack: no cgroup to join, no OOM score,
    /// no network end to set up.
    var childMapsItself: Bool {
        rootless && idmap.writer == .denyingSetgroups && SharePlan.hasUserNamespace(cloneFlags)
            && cgroup.cgroup == nil && cgroup.oomScoreAdj == nil && network.homeNetns < 0 && network.netlink == nil
    }
}

extension Rootless {
    /// An O_PATH fd of `path`, which keeps its number taken, and the step that puts the child's
    /// copy of the tree there.
    static func placeholder(for path: String, what: String, stage: InitStage, recursive: Bool, attributes: MountAttr,
                            clones: inout [MountStep]) throws(RuntimeError) -> Int32 {
        let fd = open(path, 0o10000000 /* O_PATH, a _GNU_SOURCE macro */ | O_CLOEXEC)
        if fd < 0 { throw RuntimeError(SyscallError.last("open", "\(what) \(path)")) }
        clones.append(MountStep(stage, .cloneTreeInto(path: path, into: fd, recursive: recursive, attributes: attributes)))
        return fd
    }

    /// The plan of a rootless container: the child's tree copies before the root is attached;
    /// devpts without `gid=5` when gid 5 is not mapped (the kernel refuses an unmapped gid);
    /// no setgroups call when setgroups is denied.
    static func adapt(_ plan: inout ContainerPlan, idmap: IDMap, clones: [MountStep]) {
        var steps: [MountStep] = []
        for s in plan.mounts.beforePivot {
            switch s.op {
            case .attachRoot:
                steps += clones
                steps.append(s)
            case let .fresh("devpts", target, mode, attributes, options?) where IDMap.host(for: 5, in: idmap.gids) == nil:
                let kept = options.split(separator: ",").filter { !$0.hasPrefix("gid=") }.joined(separator: ",")
                steps.append(MountStep(s.stage, .fresh(type: "devpts", target: target, mode: mode, attributes: attributes, options: kept)))
            default:
                steps.append(s)
            }
        }
        plan.mounts.beforePivot = steps
        if idmap.writer == .denyingSetgroups { plan.groups = nil }
    }
}
