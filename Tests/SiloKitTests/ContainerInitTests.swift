import Testing
@testable import SiloKit
import SiloSys

@Suite struct ContainerInitTests {
    func plan(mode: RootfsMode = .overlay, argv: [String] = ["sh"]) -> ContainerPlan {
        let mounts = MountPlan.make(staging: "/tmp", rootfsFD: 5, mode: mode, volumes: [], tmpfs: [], maskPaths: true)
        var p = ContainerPlan(mounts: mounts, argv: argv, env: ["PATH=/bin"], searchPath: ["/usr/bin", "/bin"])
        p.hostname = "box"
        p.seccompFilter = [UInt8](repeating: 0, count: 16)
        p.timeOffsets = (10, 20)
        return p
    }

    @Test func propagationIsMadeSlaveBeforeAnyOtherMount() throws {
        let sys = RecordingSyscalls()
        try ContainerInit(plan: plan(), sys: sys).prepare()
        let firstMount = sys.calls.first { if case .mount = $0 { true } else { false } }
        #expect(firstMount == .mount(nil, "/", nil, [.rec, .slave], nil))
    }

    @Test func pivotRootIsFollowedByADetachedUmountOfTheOldRoot() throws {
        let sys = RecordingSyscalls()
        try ContainerInit(plan: plan(), sys: sys).prepare()
        let i = try #require(sys.calls.firstIndex(of: .pivotRoot(".", ".")))
        #expect(sys.calls[i - 1] == .chdir("/tmp/root"))
        #expect(sys.calls[i + 1] == .umount(".", true))
        // /proc and /sys are mounted before the old root goes away (the kernel refuses after).
        let proc = try #require(sys.calls.firstIndex(of: .mount("proc", "/tmp/root/proc", "proc", [.nosuid, .nodev, .noexec], nil)))
        #expect(proc < i)
        let sysfs = try #require(sys.calls.firstIndex { if case .mount(_, "/tmp/root/sys", "sysfs", _, _) = $0 { true } else { false } })
        #expect(sysfs < i)
    }

    @Test func seccompIsTheLastCallBeforeExecWithNoNewPrivs() throws {
        let sys = RecordingSyscalls()
        let initProcess = ContainerInit(plan: plan(), sys: sys)
        try initProcess.prepare()
        _ = initProcess.exec()
        let last = sys.calls.lastIndex { if case .seccomp = $0 { true } else { false } }
        let nnp = sys.calls.lastIndex(of: .noNewPrivs)
        let firstExec = sys.calls.firstIndex { if case .execve = $0 { true } else { false } }
        #expect(last != nil && nnp != nil && firstExec != nil)
        #expect(nnp! < last! && last! + 1 == firstExec!)
        // the parent-death signal comes after the last credential change, which clears it
        let pdeath = try #require(sys.calls.firstIndex(of: .pdeathsig(9)))
        let lastCred = try #require(sys.calls.lastIndex { if case .setresuid = $0 { true } else { false } })
        #expect(lastCred < pdeath)
    }

    @Test func containerRootComesFirstAndTheTimeNamespaceGetsItsOffsets() throws {
        let sys = RecordingSyscalls()
        try ContainerInit(plan: plan(), sys: sys).prepare()
        #expect(Array(sys.calls.prefix(3)) == [.setresgid(0), .setresuid(0), .dumpable(true)])
        let u = try #require(sys.calls.firstIndex(of: .unshare(.newTime)))
        #expect(sys.calls[u + 1] == .writeFile("/proc/self/timens_offsets", "monotonic 10 0\nboottime 20 0\n"))
        #expect(sys.calls.contains(.sethostname("box")))
        #expect(sys.calls.contains(.loopbackUp))
    }

    /// The child resets the signals silo's caller ignored (execve keeps those), and only those:
    /// the mask read in the parent reaches the call unchanged.
    @Test func theCallersIgnoredSignalsAreResetBeforeExec() throws {
        var p = plan()
        p.ignoredSignals = 0x1202
        let sys = RecordingSyscalls()
        let initProcess = ContainerInit(plan: p, sys: sys)
        try initProcess.prepare()
        _ = initProcess.exec()
        let reset = sys.calls.filter { if case .resetSignals = $0 { true } else { false } }
        #expect(reset == [.resetSignals(ignored: 0x1202)])
        let firstExec = try #require(sys.calls.firstIndex { if case .execve = $0 { true } else { false } })
        #expect(try #require(sys.calls.firstIndex(of: .resetSignals(ignored: 0x1202))) < firstExec)
    }

    @Test func aFailingStepIsReportedWithItsStageAndStopsTheSequence() {
        let sys = RecordingSyscalls()
        sys.failures = [({ if case .mount(_, _, "proc", _, _) = $0 { true } else { false } }, 1)]
        #expect(throws: StageError(.mountProc, SyscallError("mount", errno: 1, object: "/tmp/root/proc"))) {
            try ContainerInit(plan: plan(), sys: sys).prepare()
        }
        #expect(!sys.calls.contains(.pivotRoot(".", ".")))
    }

    @Test func execSearchesPathAndPrefersPermissionDeniedOverNotFound() {
        let sys = RecordingSyscalls()
        sys.execErrors = ["/usr/bin/tool": 13]
        let err = ContainerInit(plan: plan(argv: ["tool"]), sys: sys).exec()
        #expect(sys.calls == [.execve("/usr/bin/tool"), .execve("/bin/tool")])
        #expect(err.stage == .exec && err.error.errno == 13)
        let notFound = ContainerInit(plan: plan(argv: ["nope"]), sys: RecordingSyscalls()).exec()
        #expect(notFound.error.errno == 2 && notFound.error.object.hasSuffix("nope"))
    }

    @Test func aWorkdirThatResolvesOutsideTheNewRootIsRefused() throws {
        var p = plan()
        p.workdir = "/srv"
        let good = RecordingSyscalls()
        try ContainerInit(plan: p, sys: good).prepare()
        #expect(good.calls.contains(.mkdir("/srv")) && good.calls.contains(.chdir("/srv")))
        // The cwd leaked from the host (CVE-2024-21626's class): the kernel's getcwd answers
        // "(unreachable)/...", which glibc turns into ENOENT; both are refused.
        let leaky = RecordingSyscalls()
        leaky.cwdOverride = "(unreachable)/sys/fs/cgroup"
        #expect(throws: StageError(.workdir, SyscallError("chdir", errno: 2, object: "/srv (outside the container's root)"))) {
            try ContainerInit(plan: p, sys: leaky).prepare()
        }
        let unreachable = RecordingSyscalls()
        unreachable.cwdErrno = 2
        #expect(throws: StageError(.workdir, SyscallError("chdir", errno: 2, object: "/srv (outside the container's root)"))) {
            try ContainerInit(plan: p, sys: unreachable).prepare()
        }
    }

    @Test func aWorkdirReachedThroughASymlinkIsAccepted() throws {
        var p = plan()
        p.workdir = "/etclink"
        let sys = RecordingSyscalls()
        sys.existing["/etclink"] = .symlink
        sys.cwdOverride = "/etc"  // where the kernel's chdir landed
        try ContainerInit(plan: p, sys: sys).prepare()
        #expect(sys.calls.contains(.chdir("/etclink")) && !sys.calls.contains(.mkdir("/etclink")))
    }

    @Test func userSwitchKeepsCapabilitiesAcrossTheUidChange() throws {
        let sys = RecordingSyscalls()
        var p = plan()
        p.uid = 1000
        p.gid = 1000
        p.groups = [100]
        p.capabilities = CapabilityState(bounding: 0b101, effective: 0b1, permitted: 0b1, lastCap: 3)
        try ContainerInit(plan: p, sys: sys).prepare()
        let seq = sys.calls.filter {
            switch $0 {
            case .dropBounding, .keepCaps, .setgroups, .capset, .clearAmbient: true
            case .setresuid(1000), .setresgid(1000): true
            default: false
            }
        }
        #expect(seq == [.dropBounding(1), .dropBounding(3), .keepCaps(true), .setgroups([100]), .setresgid(1000),
                        .setresuid(1000), .keepCaps(false), .capset(1, 1, 0), .clearAmbient])
    }
}
