import SiloSys

/// One step of the container's file-system setup, as the kernel will see it.
public enum MountOp: Equatable, Sendable {
    case mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?)
    case moveTree(fd: Int32, target: String)
    case setattr(path: String, recursive: Bool, set: MountAttr)
    case mkdir(String, mode: UInt32)
    case createFile(String)
    case symlink(target: String, at: String)
    /// Hides a path that exists: /dev/null over a file, an empty read-only tmpfs over a directory.
    case mask(String)
    /// Makes a path that exists read-only: a bind onto itself, then MOUNT_ATTR_RDONLY.
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

    /// - Parameters:
    ///   - staging: a directory that exists in the child's mount namespace; a tmpfs is mounted
    ///     over it there (never on the host) to hold the layers.
    ///   - rootfsFD: the detached, idmapped rootfs tree.
    public static func make(staging: String, rootfsFD: Int32, mode: RootfsMode, volumes: [TreeMount],
                            tmpfs: [(target: String, options: String)], maskPaths: Bool,
                            sysfsFD: Int32? = nil) -> MountPlan {
        let root = staging + "/root"
        var plan = MountPlan(newRoot: root)
        func pre(_ s: InitStage, _ op: MountOp) { plan.beforePivot.append(MountStep(s, op)) }

        pre(.mountPropagation, .mount(source: nil, target: "/", type: nil, flags: [.rec, .slave], data: nil))
        pre(.mountRootfs, .mount(source: "silo", target: staging, type: "tmpfs", flags: [.nosuid, .nodev], data: "mode=0700"))
        pre(.mountRootfs, .mkdir(root, mode: 0o755))
        if mode != .readWrite {
            for d in ["lower", "upper", "work"] { pre(.mountRootfs, .mkdir(staging + "/" + d, mode: 0o755)) }
            pre(.mountRootfs, .moveTree(fd: rootfsFD, target: staging + "/lower"))
            pre(.mountRootfs, .mount(source: "overlay", target: root, type: "overlay", flags: [],
                                      data: "lowerdir=\(staging)/lower,upperdir=\(staging)/upper,workdir=\(staging)/work,userxattr"))
        } else {
            pre(.mountRootfs, .moveTree(fd: rootfsFD, target: root))
        }
        // Volumes go first so that /proc, /dev and /sys always win over a volume aimed at them.
        for v in volumes {
            for dir in parents(of: v.target, includingSelf: !v.isFile) { pre(.mountVolumes, .mkdir(root + dir, mode: 0o755)) }
            if v.isFile { pre(.mountVolumes, .createFile(root + v.target)) }
            pre(.mountVolumes, .moveTree(fd: v.fd, target: root + v.target))
        }
        pre(.mountProc, .mkdir(root + "/proc", mode: 0o555))
        pre(.mountProc, .mount(source: "proc", target: root + "/proc", type: "proc", flags: [.nosuid, .nodev, .noexec], data: nil))
        pre(.mountSys, .mkdir(root + "/sys", mode: 0o555))
        if let sysfsFD {
            // A sysfs made by the parent inside a network namespace the container's user
            // namespace does not own (the kernel refuses the child's own mount there).
            pre(.mountSys, .moveTree(fd: sysfsFD, target: root + "/sys"))
        } else {
            pre(.mountSys, .mount(source: "sysfs", target: root + "/sys", type: "sysfs", flags: [.rdonly, .nosuid, .nodev, .noexec], data: nil))
        }
        pre(.mountDev, .mkdir(root + "/dev", mode: 0o755))
        pre(.mountDev, .mount(source: "tmpfs", target: root + "/dev", type: "tmpfs", flags: [.nosuid, .noexec], data: "mode=755,size=65536k"))
        for d in devices {
            pre(.mountDev, .createFile(root + "/dev/" + d))
            pre(.mountDev, .mount(source: "/dev/" + d, target: root + "/dev/" + d, type: nil, flags: [.bind], data: nil))
        }
        pre(.mountDev, .mkdir(root + "/dev/pts", mode: 0o755))
        pre(.mountDev, .mount(source: "devpts", target: root + "/dev/pts", type: "devpts", flags: [.nosuid, .noexec],
                              data: "newinstance,ptmxmode=0666,mode=0620,gid=5"))
        pre(.mountDev, .symlink(target: "pts/ptmx", at: root + "/dev/ptmx"))
        pre(.mountDev, .mkdir(root + "/dev/shm", mode: 0o1777))
        pre(.mountDev, .mount(source: "shm", target: root + "/dev/shm", type: "tmpfs", flags: [.nosuid, .nodev, .noexec], data: "mode=1777,size=65536k"))
        pre(.mountDev, .mkdir(root + "/dev/mqueue", mode: 0o755))
        pre(.mountDev, .mount(source: "mqueue", target: root + "/dev/mqueue", type: "mqueue", flags: [.nosuid, .nodev, .noexec], data: nil))
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
            pre(.mountDev, .symlink(target: target, at: root + "/dev/" + name))
        }
        for t in tmpfs {
            for dir in parents(of: t.target, includingSelf: true) { pre(.mountTmpfs, .mkdir(root + dir, mode: 0o755)) }
            pre(.mountTmpfs, .mount(source: "tmpfs", target: root + t.target, type: "tmpfs", flags: [.nosuid, .nodev], data: t.options))
        }
        if maskPaths {
            for p in maskedPaths {
                pre(.maskPaths, .mask(root + p))
            }
            for p in readonlyPaths { pre(.maskPaths, .readonlyIfPresent(root + p)) }
        }
        if mode == .readOnly {
            plan.afterPivot.append(MountStep(.readonlyRoot, .setattr(path: "/", recursive: false, set: .rdonly)))
        }
        return plan
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
