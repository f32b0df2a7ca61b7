import SiloSys
import SiloSysTesting
import Testing

@testable import SiloKit

/// The child's hardening steps, in order, over a fake kernel.
@Suite struct HardeningOrderTests {
    static func plan(noNewPrivs: Bool, uid: UInt32 = 0) -> ContainerPlan {
        var p = ContainerPlan(mounts: MountPlan(newRoot: "/r"), argv: ["true"], env: [], searchPath: ["/bin"])
        p.bringLoopbackUp = false
        p.noNewPrivs = noNewPrivs
        p.uid = uid
        p.gid = uid
        p.groups = nil
        p.rlimits = [Rlimit(resource: 7, name: "nofile", soft: 64, hard: 128)]
        p.capabilities = Capabilities.state(Capabilities.defaultMask, uid: uid, lastCap: 40)
        p.seccompFilter = [UInt8](repeating: 0, count: 16)
        return p
    }

    /// The calls from the first setrlimit on (each death-signal arm is followed by a look at
    /// the sync socket, fd -1 in these plans), each run of bounding-set drops folded into one `.dropBounding(-1)`.
    static func tail(_ calls: [FakeKernel.Call]) -> [FakeKernel.Call] {
        var out: [FakeKernel.Call] = []
        for c in calls.drop(while: { if case .setrlimit = $0 { false } else { true } }) {
            if case .dropBounding = c {
                if out.last != .dropBounding(-1) { out.append(.dropBounding(-1)) }
            } else {
                out.append(c)
            }
        }
        return out
    }

    @Test func seccompIsLastBeforeExecWithNoNewPrivs() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: Self.plan(noNewPrivs: true), sys: sys).prepare()
        #expect(Self.tail(sys.calls) == [
            .setrlimit(7, 64, 128), .setsid, .closeOnExec(3), .dropBounding(-1), .capset(0xa804_25fb, 0xa804_25fb, 0), .clearAmbient, .pdeathsig(Signal.kill), .peerCheck(-1),
            .resetSignals(ignored: 0), .noNewPrivs, .seccomp(16),
        ])
    }

    /// Without no_new_privs the filter needs CAP_SYS_ADMIN to load, so it goes in before the
    /// capabilities are dropped; descriptors are marked close-on-exec before it, since a bundle's
    /// profile may not allow close_range.
    @Test func seccompBeforeTheCapabilityDropWithoutNoNewPrivs() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: Self.plan(noNewPrivs: false), sys: sys).prepare()
        #expect(Self.tail(sys.calls) == [
            .setrlimit(7, 64, 128), .setsid, .closeOnExec(3), .seccomp(16), .dropBounding(-1), .capset(0xa804_25fb, 0xa804_25fb, 0), .clearAmbient,
            .pdeathsig(Signal.kill), .peerCheck(-1), .resetSignals(ignored: 0),
        ])
    }

    @Test func nonRootUserKeepsNoCapabilities() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: Self.plan(noNewPrivs: true, uid: 1000), sys: sys).prepare()
        #expect(Self.tail(sys.calls) == [
            .setrlimit(7, 64, 128), .setsid, .closeOnExec(3), .dropBounding(-1), .keepCaps(true), .setresgid(1000), .setresuid(1000), .keepCaps(false),
            .capset(0, 0, 0), .clearAmbient, .pdeathsig(Signal.kill), .peerCheck(-1), .resetSignals(ignored: 0), .noNewPrivs, .seccomp(16),
        ])
    }

    /// An OCI process's ambient set is raised after capset, only where the kernel allows it
    /// (permitted and inheritable); the rest is skipped.
    @Test func ambientCapabilitiesAreRaisedAfterCapset() throws {
        let sys = FakeKernel()
        var plan = Self.plan(noNewPrivs: true, uid: 1000)
        let kill: UInt64 = 1 << 5, chown: UInt64 = 1 << 0, netRaw: UInt64 = 1 << 13
        plan.capabilities = CapabilityState(bounding: kill | chown | netRaw, effective: kill | chown, permitted: kill | chown | netRaw,
                                            inheritable: kill | chown, lastCap: 40)
        plan.capabilities?.ambient = kill | chown | netRaw  // NET_RAW is not inheritable: skipped
        try ContainerInit(plan: plan, sys: sys).prepare()
        let tail = Self.tail(sys.calls)
        let capset = try #require(tail.firstIndex(of: .capset(kill | chown, kill | chown | netRaw, kill | chown)))
        #expect(Array(tail[(capset + 1)...].prefix(3)) == [.clearAmbient, .raiseAmbient(0), .raiseAmbient(5)])
        #expect(!tail.contains(.raiseAmbient(13)))
    }

    @Test func runRaisesNoAmbientCapability() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: Self.plan(noNewPrivs: true), sys: sys).prepare()
        #expect(!sys.calls.contains { if case .raiseAmbient = $0 { true } else { false } })
    }

    @Test func unconfinedLoadsNoFilter() throws {
        let sys = FakeKernel()
        var plan = Self.plan(noNewPrivs: true)
        plan.seccompFilter = nil
        plan.newSession = false
        try ContainerInit(plan: plan, sys: sys).prepare()
        #expect(!sys.calls.contains { if case .seccomp = $0 { true } else { false } })
        #expect(!sys.calls.contains(.setsid))
    }

    /// silo without a controlling terminal: no setsid (its autogroup move costs a reschedule),
    /// a process group of its own instead, at the session's place in the order.
    @Test func withoutAControllingTerminalTheContainerGetsAProcessGroupNotASession() throws {
        let sys = FakeKernel()
        var plan = Self.plan(noNewPrivs: true)
        plan.newSession = false
        plan.newProcessGroup = true
        try ContainerInit(plan: plan, sys: sys).prepare()
        #expect(!sys.calls.contains(.setsid))
        let group = try #require(sys.calls.firstIndex(of: .newProcessGroup))
        #expect(sys.calls[group + 1] == .closeOnExec(3))
    }

    @Test func seccompFailureIsReportedAsItsStage() {
        let sys = FakeKernel()
        sys.failures = [.init(match: { if case .seccomp = $0 { true } else { false } }, errno: Errno.invalidArgument)]
        do {
            try ContainerInit(plan: Self.plan(noNewPrivs: true), sys: sys).prepare()
            Issue.record("no error")
        } catch {
            #expect(error.stage == .seccomp)
            #expect(error.error.errno == Errno.invalidArgument)
        }
    }

    @Test func boundingSetDropsEverythingOutsideTheSet() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: Self.plan(noNewPrivs: true), sys: sys).prepare()
        // 41 capabilities, 14 kept.
        #expect(sys.calls.filter { if case .dropBounding = $0 { true } else { false } }.count == 41 - 14)
    }
}
