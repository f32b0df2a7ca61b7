import SiloSys

/// One step of the container's file-system setup, as the kernel will see it. Every target
/// but the propagation change and `attachRoot`'s point is a path inside the new root,
/// resolved there with RESOLVE_IN_ROOT by the child (never through the host's `/`).
public enum MountOp: Equatable, Sendable {
    /// A mount(2) on a path of the child's own mount namespace (only "/", for propagation).
    case mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?)
    /// Builds the new root as a detached mount, an overlay over the read-only `lowerFD` (with an
    /// upper tmpfs made with `upperOptions`) or `lowerFD` itself, and attaches it at `at`: a
    /// directory of the child's own mount namespace that nothing else resolves through.
    case attachRoot(lowerFD: Int32, overlay: Bool, upperOptions: String, at: String)
    /// A detached tree (open_tree/fsmount in the parent) moved onto `target`, made as a file
    /// or a directory when missing.
    case moveTree(fd: Int32, target: String, isFile: Bool)
    /// A new file system instance (fsopen/fsmount) onto `target`, made with `mode` when missing.
    case fresh(type: String, target: String, mode: UInt32, attributes: MountAttr, options: String?)
    /// A bind of a host device node (opened before pivot_root) onto the file `target`.
    case bindDevice(source: String, target: String)
    /// After pivot_root: mount_setattr on a path of the container.
    case setattr(path: String, recursive: Bool, set: MountAttr)
    case symlink(target: String, at: String)
    /// Hides a path that exists: /dev/null over a file, an empty read-only tmpfs over a directory.
    case mask(String)
    /// Makes a path that exists read-only: a recursive clone of it, MOUNT_ATTR_RDONLY, moved back on.
    case readonlyIfPresent(String)
}

public struct MountStep: Equatable, Sendable {
    public let stage: InitStage
    public let op: MountOp
    public init(_ stage: InitStage, _ op: MountOp) {
        self.stage = stage
        self.op = op
    }
}

/// A host tree opened in the parent with open_tree(OPEN_TREE_CLONE) and moved into the
/// container by the child; `isFile` when the bind source is a regular file.
public struct TreeMount: Equatable, Sendable {
    public var fd: Int32
    public var target: String
    public var isFile: Bool
    public init(fd: Int32, target: String, isFile: Bool) {
        self.fd = fd
        self.target = target
        self.isFile = isFile
    }
}

public enum RootfsMode: Equatable, Sendable {
    /// overlayfs over the idmapped rootfs, upper layer on a tmpfs that vanishes with the container.
    case overlay
    /// The overlay, made read-only once every mount point is in place (`--read-only`): the
    /// container can write nowhere on its rootfs, yet volumes may target paths the image lacks.
    case readOnly
    /// Writes go to the base rootfs (`--rootfs-rw`).
    case readWrite
}

/// The ordered mount steps of a container, computed in the parent before clone (pure: no
/// syscalls), so that the child only replays them.
public struct MountPlan: Equatable, Sendable {
    public var beforePivot: [MountStep] = []
    public var afterPivot: [MountStep] = []
    /// Where the new root is assembled, in the child's mount namespace.
    public var newRoot: String

    public static let devices = ["null", "zero", "full", "random", "urandom", "tty"]

    public static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/proc/interrupts", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    public static let readonlyPaths = [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ]

    /// The writable layer's default size: bounded, so a container writing until ENOSPC pins at
    /// most this much shared memory, not half the machine's RAM (tmpfs's own default); large
    /// enough for package installs and builds in a throwaway container. `--rootfs-size` changes it.
    public static let defaultRootfsSize = "1g"
    /// Each `--tmpfs` mount's size unless its options give `size=`.
    public static let defaultTmpfsSize = "256m"

    /// - Parameters:
    ///   - attachAt: a directory that exists in the child's mount namespace; the finished root
    ///     is attached over it there (never on the host), only to be pivoted into.
    ///   - rootfsFD: the detached, idmapped rootfs tree (read-only unless `.readWrite`).
    public static func make(attachAt: String, rootfsFD: Int32, mode: RootfsMode, rootfsSize: String = defaultRootfsSize,
                            volumes: [TreeMount], tmpfs: [(target: String, options: String)], maskPaths: Bool,
                            sysfsFD: Int32? = nil) -> MountPlan {
        var plan = MountPlan(newRoot: attachAt)
        func pre(_ s: InitStage, _ op: MountOp) { plan.beforePivot.append(MountStep(s, op)) }

        pre(.mountPropagation, .mount(source: nil, target: "/", type: nil, flags: [.rec, .slave], data: nil))
        pre(.mountRootfs, .attachRoot(lowerFD: rootfsFD, overlay: mode != .readWrite,
                                      upperOptions: "mode=0700,size=\(rootfsSize)", at: attachAt))
        // Volumes go first so that /proc, /dev and /sys always win over a volume aimed at them.
        for v in volumes {
            pre(.mountVolumes, .moveTree(fd: v.fd, target: v.target, isFile: v.isFile))
        }
        pre(.mountProc, .fresh(type: "proc", target: "/proc", mode: 0o555, attributes: [.nosuid, .nodev, .noexec], options: nil))
        if let sysfsFD {
            // A sysfs made by the parent inside a network namespace the container's user
            // namespace does not own (the kernel refuses the child's own mount there).
            pre(.mountSys, .moveTree(fd: sysfsFD, target: "/sys", isFile: false))
        } else {
            pre(.mountSys, .fresh(type: "sysfs", target: "/sys", mode: 0o555, attributes: [.rdonly, .nosuid, .nodev, .noexec], options: nil))
        }
        pre(.mountDev, .fresh(type: "tmpfs", target: "/dev", mode: 0o755, attributes: [.nosuid, .noexec], options: "mode=755,size=65536k"))
        for d in devices {
            pre(.mountDev, .bindDevice(source: "/dev/" + d, target: "/dev/" + d))
        }
        pre(.mountDev, .fresh(type: "devpts", target: "/dev/pts", mode: 0o755, attributes: [.nosuid, .noexec],
                              options: "ptmxmode=0666,mode=0620,gid=5"))
        pre(.mountDev, .symlink(target: "pts/ptmx", at: "/dev/ptmx"))
        pre(.mountDev, .fresh(type: "tmpfs", target: "/dev/shm", mode: 0o1777, attributes: [.nosuid, .nodev, .noexec], options: "mode=1777,size=65536k"))
        pre(.mountDev, .fresh(type: "mqueue", target: "/dev/mqueue", mode: 0o755, attributes: [.nosuid, .nodev, .noexec], options: nil))
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
            pre(.mountDev, .symlink(target: target, at: "/dev/" + name))
        }
        for t in tmpfs {
            pre(.mountTmpfs, .fresh(type: "tmpfs", target: t.target, mode: 0o755, attributes: [.nosuid, .nodev], options: t.options))
        }
        if maskPaths {
            for p in maskedPaths {
                pre(.maskPaths, .mask(p))
            }
            for p in readonlyPaths { pre(.maskPaths, .readonlyIfPresent(p)) }
        }
        if mode == .readOnly {
            plan.afterPivot.append(MountStep(.readonlyRoot, .setattr(path: "/", recursive: false, set: .rdonly)))
        }
        return plan
    }

    /// Options of a `--tmpfs` mount: the default size added unless `size=` is given.
    public static func tmpfsOptions(_ given: String?) -> String {
        let options = given ?? "mode=1777"
        if options.split(separator: ",").contains(where: { $0.hasPrefix("size=") }) { return options }
        return options + ",size=" + defaultTmpfsSize
    }

    /// "/a/b/c" → ["/a", "/a/b"] (+ "/a/b/c").
    static func parents(of path: String, includingSelf: Bool) -> [String] {
        let parts = path.split(separator: "/")
        var out: [String] = []
        var cur = ""
        for (i, p) in parts.enumerated() {
            cur += "/" + p
            if i < parts.count - 1 || includingSelf { out.append(cur) }
        }
        return out
    }
}
