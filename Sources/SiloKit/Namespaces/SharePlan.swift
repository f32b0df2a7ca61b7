#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `--share KIND`: the container stays in the host's namespace of each kind given, the
/// unshare(1) lesson turned around: leave one namespace out and see what the container then
/// shares with the host. `silo demo` takes every kind; `silo run` all but mnt and user
/// (`refusedForRun`). Leaving a clone flag out is not enough, because the container's user namespace does
/// not own the host's namespaces and the kernel refuses what the normal plan does in them:
/// sethostname in the host's UTS namespace, a procfs without its own PID namespace, a sysfs
/// without its own network namespace, an mqueue without its own IPC namespace, any mount in the
/// host's mount namespace. Each shared kind gets a reduced plan instead.
public struct SharePlan: Equatable, Sendable {
    public var shared: Set<NamespaceKind>

    /// Why `silo run` refuses to share `kind`, or nil. Sharing either gives up the container
    /// itself: the host's mount namespace has no place for the rootfs, and without a user
    /// namespace of its own, root inside is the host's root. `silo demo` shows both, for one
    /// busybox script that exits at once.
    public static func refusedForRun(_ kind: NamespaceKind) -> String? {
        switch kind {
        case .mnt: "the command would run on the host's file system, not in the rootfs (`silo demo mnt --share mnt` shows the difference)"
        case .user: "root inside would be the host's root (`silo demo user --share user` shows the difference)"
        default: nil
        }
    }

    public init(_ shared: Set<NamespaceKind>) {
        self.shared = shared
    }

    /// Rejects options that cannot apply to a shared kind.
    public func validate(_ config: RunConfig) throws(RuntimeError) {
        if shared.contains(.mnt) && (!config.volumes.isEmpty || !config.tmpfs.isEmpty || config.readOnly || config.rootfsReadWrite) {
            throw RuntimeError(.usage, "share mnt: the host's mount namespace gets no rootfs and no mounts, so --volume, --tmpfs, --read-only and --rootfs-rw cannot apply")
        }
        if shared.contains(.pid) && !shared.contains(.time) && config.timeOffset != (0, 0) {
            throw RuntimeError(.usage, "share pid: the host's /proc is read-only in the container, so --time-offset cannot be written there")
        }
        if shared.contains(.net) && config.network != .none {
            throw RuntimeError(.usage, "share net: cannot be combined with --network")
        }
    }

    /// Reduces the plan computed for full isolation. Host trees it opens are appended to
    /// `trees` at once, so the caller closes them on any failure.
    public func apply(to plan: inout ContainerPlan, flags: inout CloneFlags, trees: inout [Int32], config: RunConfig) throws(RuntimeError) {
        guard !shared.isEmpty else { return }
        try validate(config)
        // CLONE_NEWTIME is not a clone(2) flag: the child unshares it, unless shared (below).
        for k in shared where k != .time { flags.remove(k.cloneFlag) }
        // The host's hostname is not the container's to set.
        if shared.contains(.uts) { plan.hostname = nil }
        // The host's lo is up or down as the host left it.
        if shared.contains(.net) { plan.bringLoopbackUp = false }
        if shared.contains(.time) { plan.timeOffsets = nil }
        if shared.contains(.user), var caps = plan.capabilities, let bounding = SharePlan.callerBoundingSet() {
            // Without a user namespace of its own the container gets no fresh full set: it keeps
            // at most the caller's bounding set (root on this host lacks CAP_SYS_RESOURCE), and
            // capset(2) refuses anything beyond it.
            caps.bounding &= bounding
            caps.permitted &= bounding
            caps.effective &= bounding
            caps.inheritable &= bounding
            plan.capabilities = caps
        }
        if shared.contains(.mnt) {
            // No rootfs, no pivot_root, no mounts: the host's file system as it is.
            plan.mounts = MountPlan(newRoot: "")
            return
        }
        do throws(SyscallError) {
            if shared.contains(.pid) {
                // A procfs belongs to a PID namespace: show the host's, read-only.
                let fd = try DetachedTree.clone("/proc", readOnly: true)
                trees.append(fd)
                plan.mounts.replaceMount(ofType: "proc", withTree: fd)
            }
            if shared.contains(.net) {
                // sysfs shows the devices of the network namespace that mounted it.
                let fd = try DetachedTree.clone("/sys", readOnly: true)
                trees.append(fd)
                plan.mounts.replaceMount(ofType: "sysfs", withTree: fd)
            }
            if shared.contains(.ipc) {
                // The host's message queues. A new mqueue instance made here, by the parent in
                // the host's IPC namespace, is that namespace's: it works whether or not the
                // host has mounted /dev/mqueue.
                let fd = try DetachedTree.fresh("mqueue", attributes: [.rdonly, .nosuid, .nodev, .noexec])
                trees.append(fd)
                plan.mounts.replaceMount(ofType: "mqueue", withTree: fd)
            }
        } catch {
            throw RuntimeError(error)
        }
    }

    /// CapBnd of /proc/self/status.
    static func callerBoundingSet() -> UInt64? {
        ProcFS.status("self")?["CapBnd"].flatMap { UInt64($0, radix: 16) }
    }

    /// Whether the parent writes id maps and idmaps the rootfs: not without a user namespace,
    /// where root inside is root outside and the rootfs is a plain bind.
    public static func hasUserNamespace(_ flags: CloneFlags) -> Bool { flags.contains(.newUser) }
}
