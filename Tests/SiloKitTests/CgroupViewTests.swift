import SiloSys
import Testing

@testable import SiloKit

/// /sys/fs/cgroup inside: mounted right after /sys, before /dev and pivot_root, read-only.
@Suite struct CgroupViewTests {
    func mounts() -> MountPlan {
        MountPlan.make(attachAt: "/tmp", rootfsFD: 5, mode: .overlay, volumes: [], tmpfs: [], maskPaths: true)
    }

    func stages(_ p: MountPlan) -> [InitStage] { p.beforePivot.map(\.stage) }

    @Test func v1BindsTheContainersDirectoriesOnATmpfsMadeReadOnly() {
        var p = mounts()
        p.addCgroupView(.binds([("memory", 40), ("pids", 41)], aliases: [("cpu", "cpu,cpuacct")]))
        let steps = p.beforePivot.filter { $0.stage == .mountCgroup }.map(\.op)
        #expect(steps == [
            .fresh(type: "tmpfs", target: "/sys/fs/cgroup", mode: 0o755, attributes: [.nosuid, .nodev, .noexec], options: "mode=755,size=64k"),
            .moveTree(fd: 40, target: "/sys/fs/cgroup/memory", isFile: false),
            .moveTree(fd: 41, target: "/sys/fs/cgroup/pids", isFile: false),
            .symlink(target: "cpu,cpuacct", at: "/sys/fs/cgroup/cpu"),
            .readonlyIfPresent("/sys/fs/cgroup"),
        ])
        let s = stages(p)
        let sys = s.lastIndex(of: .mountSys)!, cg = s.firstIndex(of: .mountCgroup)!, dev = s.firstIndex(of: .mountDev)!
        #expect(sys + 1 == cg && s.lastIndex(of: .mountCgroup)! < dev)
    }

    @Test func v2MountsAReadOnlyCgroup2() {
        var p = mounts()
        p.addCgroupView(.cgroup2)
        let steps = p.beforePivot.filter { $0.stage == .mountCgroup }.map(\.op)
        #expect(steps == [.fresh(type: "cgroup2", target: "/sys/fs/cgroup", mode: 0o555, attributes: [.rdonly, .nosuid, .nodev, .noexec], options: nil)])
    }
}
