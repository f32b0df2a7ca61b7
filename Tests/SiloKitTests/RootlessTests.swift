import Testing
@testable import SiloKit
import SiloSys
import SiloSysTesting

/// The rootless plan (docs/rootless.md): maps, refusals and the child's own tree copies.
@Suite struct RootlessTests {
    static let range = HostIDRange(start: 165536, count: 65536)

    @Test func withoutARangeContainerRootIsTheCallerAloneAndSetgroupsIsDenied() throws {
        let m = Rootless(uid: 1001, gid: 1002).idmap
        #expect(m.uids == [IDMapping(container: 0, host: 1001, size: 1)])
        #expect(m.gids == [IDMapping(container: 0, host: 1002, size: 1)])
        #expect(m.writer == .denyingSetgroups)
        try m.validate()
        #expect(Rootless(uid: 1001, gid: 1002).notice(cgroup: nil)?.message.contains("setgroups is denied") == true)
    }

    @Test func withARangeIDsOneToSixtyFiveThousandComeFromItThroughTheHelpers() throws {
        let r = Rootless(uid: 1001, gid: 1002, subUIDs: Self.range, subGIDs: HostIDRange(start: 200000, count: 70000))
        let m = r.idmap
        #expect(m.uids == [IDMapping(container: 0, host: 1001, size: 1), IDMapping(container: 1, host: 165536, size: 65535)])
        #expect(m.gids == [IDMapping(container: 0, host: 1002, size: 1), IDMapping(container: 1, host: 200000, size: 65535)])
        #expect(m.writer == .helpers)
        try m.validate()
        // With a range and a cgroup as root's, nothing differs: no line at all.
        #expect(r.notice(cgroup: nil) == nil)
        #expect(r.notice(cgroup: "no cgroup of its own")?.message == "rootless: no cgroup of its own")
    }

    @Test func aBundlesMapIsWrittenDirectlyOnlyWhenItIsTheCallersOwnIdsAlone() {
        let me = Rootless(uid: 1001, gid: 1002)
        let own = IDMap(uids: [IDMapping(container: 0, host: 1001, size: 1)], gids: [IDMapping(container: 0, host: 1002, size: 1)])
        #expect(me.writer(for: own) == .denyingSetgroups)
        var other = own
        other.uids = [IDMapping(container: 0, host: 1001, size: 1), IDMapping(container: 1, host: 100000, size: 65535)]
        #expect(me.writer(for: other) == .helpers)
        other.uids = [IDMapping(container: 0, host: 1003, size: 1)]
        #expect(me.writer(for: other) == .helpers)
    }

    @Test func aRangeTooSmallOrOnlyForUIDsFallsBackToTheSingleMapping() {
        #expect(Rootless(uid: 1, gid: 1, subUIDs: HostIDRange(start: 100000, count: 1000), subGIDs: Self.range).idmap.writer == .denyingSetgroups)
        #expect(Rootless(uid: 1, gid: 1, subUIDs: Self.range, subGIDs: nil).idmap.writer == .denyingSetgroups)
    }

    @Test func theSubordinateFilesAreMatchedByNameOrNumber() {
        let passwd = "root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\n"
        #expect(Rootless.userName(uid: 1001, passwd: passwd) == "alice")
        #expect(Rootless.userName(uid: 7, passwd: passwd) == nil)
        #expect(HostIDRange.fromSubordinateFile("bob:100000:65536\nalice:165536:65536\n", user: "alice", uid: 1001) == Self.range)
        #expect(HostIDRange.fromSubordinateFile("1001:165536:65536\n", user: "alice", uid: 1001) == Self.range)
    }

    func refusal(_ edit: (inout RunConfig) throws -> Void) rethrows -> String? {
        var c = RunConfig(argv: ["true"])
        try edit(&c)
        do { try Rootless(uid: 1001, gid: 1001).check(c); return nil } catch { return error.message }
    }

    @Test func whatNeedsRootIsRefusedWithWhatWorksInstead() throws {
        #expect(refusal { _ in } == nil)
        #expect(refusal { $0.network = .bridge("silo0") }?.contains("--network none") == true)
        #expect(refusal { $0.network = .netns("x") }?.contains("--network none") == true)
        #expect(refusal { $0.uidMaps = [IDMapping(container: 0, host: 5, size: 1)] }?.contains("/etc/subuid") == true)
        // Limits are RunCgroup.make(rootless:)'s to refuse (a delegated subtree may give them).
        #expect(refusal { $0.limits.pidsLimit = 100 } == nil)
        #expect(refusal { $0.share = [.uts] } != nil)
    }

    static func rootlessPlan(_ idmap: IDMap) -> ContainerPlan {
        let mounts = MountPlan.make(attachAt: "/tmp", rootfsFD: 7, mode: .overlay,
                                    volumes: [TreeMount(fd: 9, target: "/data", isFile: false)], tmpfs: [], maskPaths: false)
        var plan = ContainerPlan(mounts: mounts, argv: ["sh"], env: [], searchPath: ["/bin"])
        Rootless.adapt(&plan, idmap: idmap, clones: [
            MountStep(.mountRootfs, .cloneTreeInto(path: "/home/a/rootfs", into: 7, recursive: true, attributes: .rdonly)),
            MountStep(.mountVolumes, .cloneTreeInto(path: "/home/a/data", into: 9, recursive: true, attributes: [])),
        ])
        return plan
    }

    @Test func theChildCopiesTheTreesBeforeTheRootIsAttachedAndDevptsLosesAnUnmappedGid() throws {
        let plan = Self.rootlessPlan(Rootless(uid: 1001, gid: 1001).idmap)
        let ops = plan.mounts.beforePivot.map(\.op)
        let attach = try #require(ops.firstIndex { if case .attachRoot = $0 { true } else { false } })
        #expect(ops[attach - 2] == .cloneTreeInto(path: "/home/a/rootfs", into: 7, recursive: true, attributes: .rdonly))
        #expect(ops[attach - 1] == .cloneTreeInto(path: "/home/a/data", into: 9, recursive: true, attributes: []))
        let devpts = ops.compactMap { if case let .fresh("devpts", _, _, _, o) = $0 { o } else { nil } }
        #expect(devpts == ["ptmxmode=0666,mode=0620"])
        #expect(plan.groups == nil)

        let ranged = Self.rootlessPlan(Rootless(uid: 1001, gid: 1001, subUIDs: Self.range, subGIDs: Self.range).idmap)
        let kept = ranged.mounts.beforePivot.compactMap { if case let .fresh("devpts", _, _, _, o) = $0.op { o } else { nil } }
        #expect(kept == ["ptmxmode=0666,mode=0620,gid=5"])
        #expect(ranged.groups == [])
    }

    @Test func theChildsCopyLandsOnThePlaceholderFdReadOnly() throws {
        let sys = FakeKernel()
        try ContainerInit(plan: Self.rootlessPlan(Rootless(uid: 1001, gid: 1001).idmap), sys: sys).prepare()
        let clone = try #require(sys.calls.firstIndex(of: .cloneTree(-100, "/home/a/rootfs", true)))
        let tree = sys.fdOf(.cloneTree(-100, "/home/a/rootfs", true))
        #expect(sys.calls[clone + 1] == .setattrFD(tree, true, .rdonly))
        #expect(sys.calls[clone + 2] == .duplicate(tree, 7))
        #expect(!sys.calls.contains(.setattrFD(sys.fdOf(.cloneTree(-100, "/home/a/data", true)), true, .rdonly)))
        #expect(sys.calls.contains(.duplicate(sys.fdOf(.cloneTree(-100, "/home/a/data", true)), 9)))
    }

    /// The single-mapping child maps itself before it becomes root: setgroups denied first (the
    /// kernel takes an unprivileged gid map only then), then the two maps, then setresgid/uid.
    @Test func aChildWithItsOwnMapsWritesThemBeforeBecomingRoot() throws {
        let sys = FakeKernel()
        var plan = ContainerPlan(mounts: MountPlan(newRoot: "/r"), argv: ["true"], env: [], searchPath: ["/bin"])
        plan.bringLoopbackUp = false
        plan.groups = nil
        let m = Rootless(uid: 1001, gid: 1002).idmap
        plan.ownMaps = (IDMap.render(m.uids), IDMap.render(m.gids))
        try ContainerInit(plan: plan, sys: sys).prepare()
        let first = try #require(sys.calls.firstIndex(of: .writeFile("/proc/self/setgroups", "deny")))
        #expect(Array(sys.calls[first...].prefix(5)) == [
            .writeFile("/proc/self/setgroups", "deny"), .writeFile("/proc/self/uid_map", "0 1001 1\n"),
            .writeFile("/proc/self/gid_map", "0 1002 1\n"), .setresgid(0), .setresuid(0),
        ])
        let without = FakeKernel()
        plan.ownMaps = nil
        try ContainerInit(plan: plan, sys: without).prepare()
        #expect(!without.calls.contains { if case .writeFile(let p, _) = $0 { p.hasSuffix("_map") } else { false } })
    }
}
