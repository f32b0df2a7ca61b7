import SiloSys

/// /sys/fs/cgroup inside the container: read-only, showing only the container's own cgroup
/// (docs/cgroups.md). Every target is resolved in the new root and mounted on by fd.
extension MountPlan {
    public enum CgroupView: Equatable, Sendable {
        /// Pure v2: a fresh cgroup2, whose root is the container's cgroup namespace's (its cgroup).
        case cgroup2
        /// v1 or hybrid: a tmpfs holding, per hierarchy, a read-only bind (detached in the parent)
        /// of the container's directory, named as the host names the hierarchy's mount; aliases
        /// of co-mounted controllers (`cpu` → `cpu,cpuacct`) as symlinks, as on the host.
        case binds([(name: String, fd: Int32)], aliases: [(name: String, target: String)])

        public static func == (a: CgroupView, b: CgroupView) -> Bool {
            switch (a, b) {
            case (.cgroup2, .cgroup2): true
            case let (.binds(x, ax), .binds(y, ay)):
                x.map { "\($0.name)=\($0.fd)" } == y.map { "\($0.name)=\($0.fd)" }
                    && ax.map { "\($0.name)>\($0.target)" } == ay.map { "\($0.name)>\($0.target)" }
            default: false
            }
        }
    }

    /// The steps go right after /sys is mounted, before pivot_root.
    public mutating func addCgroupView(_ view: CgroupView) {
        let steps = Self.cgroupViewSteps(view, at: "/sys/fs/cgroup")
        let at = (beforePivot.lastIndex { $0.stage == .mountSys }).map { $0 + 1 } ?? beforePivot.endIndex
        beforePivot.insert(contentsOf: steps, at: at)
    }

    /// The view's steps at `target` (an OCI bundle's `cgroup` mount goes where its config says).
    static func cgroupViewSteps(_ view: CgroupView, at target: String) -> [MountStep] {
        var steps: [MountStep] = []
        switch view {
        case .cgroup2:
            steps.append(MountStep(.mountCgroup, .fresh(type: "cgroup2", target: target, mode: 0o555,
                                                        attributes: [.rdonly, .nosuid, .nodev, .noexec], options: nil)))
        case let .binds(binds, aliases):
            steps.append(MountStep(.mountCgroup, .fresh(type: "tmpfs", target: target, mode: 0o755,
                                                        attributes: [.nosuid, .nodev, .noexec], options: "mode=755,size=64k")))
            for b in binds { steps.append(MountStep(.mountCgroup, .moveTree(fd: b.fd, target: target + "/" + b.name, isFile: false))) }
            for a in aliases { steps.append(MountStep(.mountCgroup, .symlink(target: a.target, at: target + "/" + a.name))) }
            // The tmpfs itself read-only too, binds included (they already are).
            steps.append(MountStep(.mountCgroup, .readonlyIfPresent(target)))
        }
        return steps
    }
}
