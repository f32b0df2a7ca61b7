import SiloSys

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
