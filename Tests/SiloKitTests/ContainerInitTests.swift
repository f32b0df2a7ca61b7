import Testing
@testable import SiloKit
import SiloSys
import SiloSysTesting

@Suite struct ContainerInitTests {
    func plan(mode: RootfsMode = .overlay, argv: [String] = ["sh"]) -> ContainerPlan {
        let mounts = MountPlan.make(attachAt: "/tmp", rootfsFD: 5, mode: mode, volumes: [], tmpfs: [], maskPaths: true)
        var p = ContainerPlan(mounts: mounts, argv: argv, env: ["PATH=/bin"], searchPath: ["/usr/bin", "/bin"])
        p.hostname = "box"
        p.seccompFilter = [UInt8](repeating: 0, count: 16)
        p.timeOffsets = (10, 20)
        return p
    }

    @Test func propagationIsMadeSlaveBeforeAnyOtherMount() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: plan(), sys: sys).prepare()
        let firstMount = sys.calls.first { if case .mount = $0 { true } else { false } }
        #expect(firstMount == .mount(nil, "/", nil, [.rec, .slave], nil))
    }

    @Test func pivotRootIsFollowedByADetachedUmountOfTheOldRoot() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: plan(), sys: sys).prepare()
        let i = try #require(sys.calls.firstIndex(of: .pivotRoot(".", ".")))
        // into the new root by its fd (the overlay's), not by the attach point's path
        #expect(sys.calls[i - 1] == .fchdir(100))
        #expect(sys.calls[i + 1] == .umount(".", true))
        // /proc and /sys are mounted before the old root goes away (the kernel refuses after).
        let proc = try #require(sys.calls.firstIndex(of: .moveOnto(sys.fdOf(.fresh("proc", nil, [.nosuid, .nodev, .noexec])), "/proc")))
        #expect(proc < i)
        let sysfs = try #require(sys.calls.firstIndex { if case .moveOnto(_, "/sys") = $0 { true } else { false } })
        #expect(sysfs < i)
    }

    @Test func seccompIsTheLastCallBeforeExecWithNoNewPrivs() throws {
        let sys = FakeKernel()
        let initProcess = ContainerInit(plan: plan(), sys: sys)
        try initProcess.prepare()
        _ = initProcess.exec()
        let last = sys.calls.lastIndex { if case .seccomp = $0 { true } else { false } }
        let nnp = sys.calls.lastIndex(of: .noNewPrivs)
        let firstExec = sys.calls.firstIndex { if case .execve = $0 { true } else { false } }
        #expect(last != nil && nnp != nil && firstExec != nil)
        #expect(nnp! < last! && last! + 1 == firstExec!)
    }

    /// The kernel clears the death signal on every change of euid, egid, fsuid or fsgid: it is
    /// armed before anything else and again right after each id change, each time followed by a
    /// look at the sync socket for a silo that died unnoticed.
    @Test(arguments: [UInt32(0), 1000])
    func deathSignalIsArmedFirstAndAfterEveryIDChange(uid: UInt32) throws {
        var p = plan()
        p.uid = uid
        p.gid = uid
        p.syncFD = 7
        p.capabilities = Capabilities.state(Capabilities.defaultMask, uid: uid, lastCap: 40)
        let sys = FakeKernel()
        try ContainerInit(plan: p, sys: sys).prepare()
        #expect(Array(sys.calls.prefix(2)) == [.pdeathsig(9), .peerCheck(7)])
        func isIDChange(_ c: FakeKernel.Call) -> Bool {
            switch c {
            case .setresuid, .setresgid: true
            default: false
            }
        }
        // Calls that cannot let anything else run: the re-arm may wait until after them.
        func isCredentialStep(_ c: FakeKernel.Call) -> Bool {
            switch c {
            case .setresuid, .setresgid, .setgroups, .dumpable, .keepCaps, .capset, .clearAmbient: true
            default: false
            }
        }
        let changes = sys.calls.indices.filter { isIDChange(sys.calls[$0]) }
        #expect(changes.count == (uid == 0 ? 2 : 4))
        for i in changes {
            let next = try #require(sys.calls[(i + 1)...].firstIndex { !isCredentialStep($0) })
            #expect(sys.calls[next] == .pdeathsig(9), "after \(sys.calls[i]): \(sys.calls[next])")
            #expect(sys.calls[next + 1] == .peerCheck(7))
        }
    }

    @Test func aSiloThatDiedBeforeTheArmingStopsTheChildAtOnce() {
        let sys = FakeKernel()
        sys.parentGone = true
        do {
            try ContainerInit(plan: plan(), sys: sys).prepare()
            Issue.record("prepare went on without silo")
        } catch {
            #expect(error.stage == .parentDeath)
        }
        #expect(sys.calls == [.pdeathsig(9), .peerCheck(-1)])
    }

    @Test func containerRootComesFirstAndTheTimeNamespaceGetsItsOffsets() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: plan(), sys: sys).prepare()
        #expect(Array(sys.calls.prefix(5)) == [.pdeathsig(9), .peerCheck(-1), .setresgid(0), .setresuid(0), .dumpable(true)])
        let u = try #require(sys.calls.firstIndex(of: .unshare(.newTime)))
        #expect(sys.calls[u + 1] == .writeFile("/proc/self/timens_offsets", "monotonic 10 0\nboottime 20 0\n"))
        #expect(sys.calls.contains(.sethostname("box")))
        #expect(sys.calls.contains(.loopbackUp))
    }

    /// The cgroup namespace is the child's own, unshared right after it became container root
    /// (the parent moved it into its cgroup before the ack), before any mount: /sys/fs/cgroup's
    /// cgroup2 and the view of /proc/self/cgroup are rooted there. Without a cgroup of its own it
    /// keeps what clone gave it.
    @Test(arguments: [true, false])
    func theCgroupNamespaceIsUnsharedAfterTheCredentialsAndBeforeAnyMount(own: Bool) throws {
        var p = plan()
        p.cgroupNamespace = own
        p.cgroupTasksFDs = own ? [7, 8] : []
        let sys = FakeKernel()
        try ContainerInit(plan: p, sys: sys).prepare()
        let unshares = sys.calls.filter { $0 == .unshare(.newCgroup) }
        #expect(unshares.count == (own ? 1 : 0))
        guard own else { return }
        let u = try #require(sys.calls.firstIndex(of: .unshare(.newCgroup)))
        // In its cgroups first (it moves itself), then the namespace rooted there.
        #expect(Array(sys.calls[(u - 2)..<u]) == [.moveSelfToCgroup(7), .moveSelfToCgroup(8)])
        let root = try #require(sys.calls.lastIndex(of: .dumpable(true)))
        let firstMount = try #require(sys.calls.firstIndex { if case .mount = $0 { true } else { false } })
        #expect(root < u && u < firstMount)
        #expect(try #require(sys.calls.firstIndex(of: .sethostname("box"))) > u)
    }

    /// The child resets the signals silo's caller ignored (execve keeps those), and only those:
    /// the mask read in the parent reaches the call unchanged.
    @Test func theCallersIgnoredSignalsAreResetBeforeExec() throws {
        var p = plan()
        p.ignoredSignals = 0x1202
        let sys = FakeKernel()
        let initProcess = ContainerInit(plan: p, sys: sys)
        try initProcess.prepare()
        _ = initProcess.exec()
        let reset = sys.calls.filter { if case .resetSignals = $0 { true } else { false } }
        #expect(reset == [.resetSignals(ignored: 0x1202)])
        let firstExec = try #require(sys.calls.firstIndex { if case .execve = $0 { true } else { false } })
        #expect(try #require(sys.calls.firstIndex(of: .resetSignals(ignored: 0x1202))) < firstExec)
    }

    @Test func aFailingStepIsReportedWithItsStageAndStopsTheSequence() {
        let sys = FakeKernel()
        sys.failures = [.init(match: { if case .moveOnto(_, "/proc") = $0 { true } else { false } }, errno: Errno.notPermitted)]
        #expect(throws: StageError(.mountProc, SyscallError("move_mount", errno: Errno.notPermitted, object: "/proc"))) {
            try ContainerInit(plan: plan(), sys: sys).prepare()
        }
        #expect(!sys.calls.contains(.pivotRoot(".", ".")))
    }

    /// The root is assembled from fds: the read-only lower goes under the attach point, the
    /// overlay on top, and each target is resolved inside the root (the overlay's fd, 100)
    /// before anything is mounted on it.
    @Test func everyMountTargetIsResolvedInsideTheRootAndMountedOnByFD() throws {
        var p = plan()
        p.mounts = MountPlan.make(attachAt: "/tmp", rootfsFD: 5, mode: .overlay,
                                  volumes: [TreeMount(fd: 9, target: "/x/sub", isFile: false)],
                                  tmpfs: [("/x/t", "size=1m")], maskPaths: true)
        let sys = FakeKernel()
        sys.existing = ["/proc/kcore": .regular, "/proc/acpi": .directory, "/proc/sys": .directory]
        try ContainerInit(plan: p, sys: sys).prepare()
        let c = sys.calls
        let overlay = try #require(c.firstIndex(of: .overlayRoot(lower: 5, upperOptions: "mode=0700,size=1g")))
        #expect(c[overlay - 1] == .moveMount(5, "/tmp") && c[overlay + 1] == .moveMount(100, "/tmp"))
        #expect(!c.contains { if case .mkdir = $0 { true } else if case .createFile = $0 { true } else { false } })
        let vol = try #require(c.firstIndex(of: .moveOnto(9, "/x/sub")))
        #expect(c[vol - 1] == .resolve("/x/sub", .directory(mode: 0o755)))
        let tmp = try #require(c.firstIndex(of: .moveOnto(sys.fdOf(.fresh("tmpfs", "size=1m", [.nosuid, .nodev])), "/x/t")))
        #expect(c[0..<tmp].contains(.resolve("/x/t", .directory(mode: 0o755))))
        // masks: a file gets /dev/null, a directory an empty read-only tmpfs, a missing path nothing
        let kcore = try #require(c.firstIndex { if case .moveOnto(_, "/proc/kcore") = $0 { true } else { false } })
        #expect(c[kcore - 2] == .resolve("/proc/kcore", .none) && c[kcore - 1] == .cloneTree(-100, "/dev/null", false))
        #expect(c.contains(.fresh("tmpfs", nil, [.rdonly, .nosuid, .nodev, .noexec])))
        #expect(c.contains(.resolve("/proc/scsi", .none)) && !c.contains { if case .moveOnto(_, "/proc/scsi") = $0 { true } else { false } })
        #expect(c.contains(.setattrFD(sys.fdOf(.cloneTree(sys.fdOf(.resolve("/proc/sys", .none)), "", true)), true, .rdonly)))
        #expect(!c.contains { if case .mount(_, let t, _, _, _) = $0 { t != "/" } else { false } })
    }

    @Test func aFileVolumeOntoADirectoryNamesTheOption() {
        var p = plan()
        p.mounts = MountPlan.make(attachAt: "/tmp", rootfsFD: 5, mode: .overlay,
                                  volumes: [TreeMount(fd: 9, target: "/etc", isFile: true)], tmpfs: [], maskPaths: false)
        let sys = FakeKernel()
        sys.existing = ["/etc": .directory]
        do {
            try ContainerInit(plan: p, sys: sys).prepare()
            Issue.record("no error")
        } catch {
            #expect(error.stage == .mountVolumes && error.error.errno == Errno.isADirectory)
            #expect(RuntimeError(error.error, stage: error.stage).message.contains("-v FILE:/etc: the source is a file but /etc in the rootfs is a directory"))
        }
        #expect(!sys.calls.contains { if case .moveOnto(9, _) = $0 { true } else { false } })
    }

    @Test func execSearchesPathAndPrefersPermissionDeniedOverNotFound() {
        let sys = FakeKernel()
        sys.execErrors = ["/usr/bin/tool": Errno.permissionDenied]
        let err = ContainerInit(plan: plan(argv: ["tool"]), sys: sys).exec()
        #expect(sys.calls == [.execve("/usr/bin/tool"), .execve("/bin/tool")])
        #expect(err.stage == .exec && err.error.errno == Errno.permissionDenied)
        let notFound = ContainerInit(plan: plan(argv: ["nope"]), sys: FakeKernel()).exec()
        #expect(notFound.error.errno == Errno.noSuchFile && notFound.error.object.hasSuffix("nope"))
    }

    @Test func aWorkdirThatResolvesOutsideTheNewRootIsRefused() throws {
        var p = plan()
        p.workdir = "/srv"
        let good = FakeKernel()
        try ContainerInit(plan: p, sys: good).prepare()
        #expect(good.calls.contains(.mkdir("/srv")) && good.calls.contains(.chdir("/srv")))
        // The cwd leaked from the host (CVE-2024-21626's class): the kernel's getcwd answers
        // "(unreachable)/...", which glibc turns into ENOENT; both are refused.
        let leaky = FakeKernel()
        leaky.cwdOverride = "(unreachable)/sys/fs/cgroup"
        #expect(throws: StageError(.workdir, SyscallError("chdir", errno: Errno.noSuchFile, object: "/srv (outside the container's root)"))) {
            try ContainerInit(plan: p, sys: leaky).prepare()
        }
        let unreachable = FakeKernel()
        unreachable.cwdErrno = 2
        #expect(throws: StageError(.workdir, SyscallError("chdir", errno: Errno.noSuchFile, object: "/srv (outside the container's root)"))) {
            try ContainerInit(plan: p, sys: unreachable).prepare()
        }
    }

    @Test func aWorkdirReachedThroughASymlinkIsAccepted() throws {
        var p = plan()
        p.workdir = "/etclink"
        let sys = FakeKernel()
        sys.existing["/etclink"] = .symlink
        sys.cwdOverride = "/etc"  // where the kernel's chdir landed
        try ContainerInit(plan: p, sys: sys).prepare()
        #expect(sys.calls.contains(.chdir("/etclink")) && !sys.calls.contains(.mkdir("/etclink")))
    }

    @Test func userSwitchKeepsCapabilitiesAcrossTheUidChange() throws {
        let sys = FakeKernel()
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
