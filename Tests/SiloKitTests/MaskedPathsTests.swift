import Testing
@testable import SiloKit
import SiloSys
import SiloSysTesting

/// The masked and read-only paths of /proc and /sys, over a fake whose procfs and sysfs have
/// entries once mounted, so that both the "present" and the "absent" branches run.
@Suite struct MaskedPathsTests {
    static func run(_ sys: FakeKernel) throws {
        let mounts = MountPlan.make(attachAt: "/tmp", rootfsFD: 5, mode: .overlay, volumes: [], tmpfs: [], maskPaths: true)
        let plan = ContainerPlan(mounts: mounts, argv: ["sh"], env: [], searchPath: ["/bin"])
        try ContainerInit(plan: plan, sys: sys).prepare()
    }

    /// The calls from the resolution of `path` to the move onto it.
    static func cover(_ path: String, _ calls: [FakeKernel.Call]) -> [FakeKernel.Call]? {
        guard let start = calls.firstIndex(where: { if case .resolve(path, .none) = $0 { true } else { false } }),
              let end = calls[start...].firstIndex(where: { if case .moveOnto(_, path) = $0 { true } else { false } }) else { return nil }
        return Array(calls[start...end])
    }

    @Test func aMaskedDirectoryGetsAnEmptyReadOnlyTmpfs() throws {
        let sys = FakeKernel()
        try Self.run(sys)
        let c = try #require(Self.cover("/proc/acpi", sys.calls))
        #expect(c.contains(.fresh("tmpfs", nil, [.rdonly, .nosuid, .nodev, .noexec])), "\(c)")
        #expect(Self.cover("/sys/firmware", sys.calls) != nil)
    }

    @Test func aMaskedFileGetsDevNull() throws {
        let sys = FakeKernel()
        try Self.run(sys)
        let c = try #require(Self.cover("/proc/kcore", sys.calls))
        #expect(c.contains(.cloneTree(-100, "/dev/null", false)), "\(c)")
    }

    @Test func anAbsentMaskedPathIsSkipped() throws {
        let sys = FakeKernel()
        try Self.run(sys)
        #expect(sys.calls.contains(.resolve("/proc/timer_stats", .none)))
        #expect(!sys.calls.contains { if case .moveOnto(_, "/proc/timer_stats") = $0 { true } else { false } })
    }

    @Test func aReadOnlyPathIsCopiedMadeReadOnlyAndMovedBack() throws {
        let sys = FakeKernel()
        try Self.run(sys)
        let c = try #require(Self.cover("/proc/sys", sys.calls))
        let at = sys.fdOf(.resolve("/proc/sys", .none))
        #expect(c.contains(.cloneTree(at, "", true)), "\(c)")
        #expect(c.contains { if case .setattrFD(_, true, .rdonly) = $0 { true } else { false } }, "\(c)")
    }

    @Test func anAbsentReadOnlyPathIsSkipped() throws {
        let sys = FakeKernel()
        sys.procEntries["bus"] = nil
        try Self.run(sys)
        #expect(!sys.calls.contains { if case .moveOnto(_, "/proc/bus") = $0 { true } else { false } })
    }

    @Test func masksComeAfterProcAndSysAndBeforePivotRoot() throws {
        let sys = FakeKernel()
        try Self.run(sys)
        let proc = try #require(sys.calls.firstIndex { if case .moveOnto(_, "/proc") = $0 { true } else { false } })
        let sysfs = try #require(sys.calls.firstIndex { if case .moveOnto(_, "/sys") = $0 { true } else { false } })
        let mask = try #require(sys.calls.firstIndex { if case .moveOnto(_, "/proc/kcore") = $0 { true } else { false } })
        let pivot = try #require(sys.calls.firstIndex(of: .pivotRoot(".", ".")))
        #expect(proc < mask && sysfs < mask && mask < pivot)
    }
}
