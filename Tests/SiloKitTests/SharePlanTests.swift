import Testing
@testable import SiloKit
import SiloSys

@Suite struct SharePlanTests {
    func plan() -> ContainerPlan {
        let mounts = MountPlan.make(attachAt: "/tmp", rootfsFD: 3, mode: .overlay, volumes: [], tmpfs: [], maskPaths: true)
        var p = ContainerPlan(mounts: mounts, argv: ["sh"], env: [], searchPath: ["/bin"])
        p.hostname = "c"
        p.timeOffsets = (5, 5)
        return p
    }

    static let all: CloneFlags = [.newUser, .newNS, .newPID, .newUTS, .newIPC, .newCgroup, .newNet]

    @Test func nothingSharedChangesNothing() throws {
        var p = plan(), flags = SharePlanTests.all, trees: [Int32] = []
        try SharePlan([]).apply(to: &p, flags: &flags, trees: &trees, config: RunConfig(argv: ["sh"]))
        #expect(flags == SharePlanTests.all)
        #expect(p.mounts == plan().mounts)
        #expect(p.hostname == "c")
    }

    @Test(arguments: [(NamespaceKind.uts, CloneFlags.newUTS), (.cgroup, .newCgroup), (.user, .newUser)])
    func sharedKindLeavesItsFlagOut(kind: NamespaceKind, flag: CloneFlags) throws {
        var p = plan(), flags = SharePlanTests.all, trees: [Int32] = []
        try SharePlan([kind]).apply(to: &p, flags: &flags, trees: &trees, config: RunConfig(argv: ["sh"]))
        #expect(flags == SharePlanTests.all.subtracting(flag))
        #expect(trees.isEmpty)
        #expect(p.hostname == (kind == .uts ? nil : "c"))
        #expect(SharePlan.hasUserNamespace(flags) == (kind != .user))
    }

    @Test func sharedTimeDropsTheOffsets() throws {
        var p = plan(), flags = SharePlanTests.all, trees: [Int32] = []
        try SharePlan([.time]).apply(to: &p, flags: &flags, trees: &trees, config: RunConfig(argv: ["sh"]))
        #expect(p.timeOffsets == nil)
        #expect(flags == SharePlanTests.all)
    }

    @Test func sharedMountNamespaceHasNoMountsAndNoPivot() throws {
        var p = plan(), flags = SharePlanTests.all, trees: [Int32] = []
        try SharePlan([.mnt]).apply(to: &p, flags: &flags, trees: &trees, config: RunConfig(argv: ["sh"]))
        #expect(!flags.contains(.newNS))
        #expect(p.mounts.beforePivot.isEmpty && p.mounts.afterPivot.isEmpty && p.mounts.newRoot.isEmpty)
    }

    @Test func invalidCombinations() {
        var c = RunConfig(argv: ["sh"])
        c.volumes = [.init(source: "/a", target: "/a", readOnly: true)]
        #expect(throws: RuntimeError.self) { try SharePlan([.mnt]).validate(c) }
        c = RunConfig(argv: ["sh"])
        c.network = .bridge("silo0")
        #expect(throws: RuntimeError.self) { try SharePlan([.net]).validate(c) }
        c = RunConfig(argv: ["sh"])
        c.timeOffset = (5, 5)
        #expect(throws: RuntimeError.self) { try SharePlan([.pid]).validate(c) }
    }

    @Test func replaceMountSwapsOnlyThatType() {
        var m = plan().mounts
        m.replaceMount(ofType: "proc", withTree: 9)
        let procSteps = m.beforePivot.filter { $0.stage == .mountProc }
        #expect(procSteps.contains { $0.op == .moveTree(fd: 9, target: "/proc", isFile: false) })
        #expect(!m.beforePivot.contains { if case let .fresh(t, _, _, _, _) = $0.op { return t == "proc" } else { return false } })
        #expect(m.beforePivot.contains { if case let .fresh(t, _, _, _, _) = $0.op { return t == "sysfs" } else { return false } })
    }
}
