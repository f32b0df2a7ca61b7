import Testing
@testable import SiloKit
import SiloSys

@Suite struct IDMapTests {
    @Test func parsesAndRendersMapLines() throws {
        let m = try IDMapping(parsing: "0:600113152:65536")
        #expect(m == IDMapping(container: 0, host: 600_113_152, size: 65536))
        #expect(IDMap.render([m, IDMapping(container: 65536, host: 1, size: 1)]) == "0 600113152 65536\n65536 1 1\n")
    }

    @Test(arguments: ["", "0:1", "a:b:c", "0:1:0", "0:1:2:3", "4294967295:1:2"])
    func rejectsMalformedMaps(_ text: String) {
        #expect(throws: RuntimeError.self) { try IDMapping(parsing: text) }
    }

    @Test func refusesHostRootAndOverlaps() {
        let bad = IDMap(uids: [IDMapping(container: 0, host: 0, size: 1)], gids: [IDMapping(container: 0, host: 5000, size: 1)])
        #expect(throws: RuntimeError.self) { try bad.validate() }
        let overlap = IDMap(uids: [IDMapping(container: 0, host: 5000, size: 10), IDMapping(container: 5, host: 9000, size: 10)],
                            gids: [IDMapping(container: 0, host: 5000, size: 1)])
        #expect(throws: RuntimeError.self) { try overlap.validate() }
    }

    @Test func hostRangeComesFromSubuidOrAboveTheUseraddPool() {
        #expect(HostIDRange.fromSubordinateFile("alice:100000:65536\nroot:200000:131072\n") == HostIDRange(start: 200000, count: 131072))
        #expect(HostIDRange.fromSubordinateFile("alice:100000:65536\n") == nil)
        let r = HostIDRange.aboveLoginDefs("SUB_UID_MIN 100000\nSUB_UID_MAX\t\t600100000\n")
        #expect(r.start == 600_113_152 && r.start % 65536 == 0 && r.start > 600_100_000)
        #expect(r.mapping(slot: 2) == IDMapping(container: 0, host: 600_113_152 + 2 * 65536, size: 65536))
        #expect(HostIDRange.aboveLoginDefs("").start > 600_100_000)
        #expect(IDMap.host(for: 1000, in: [r.mapping(slot: 0)]) == 600_114_152)
    }
}

@Suite struct MountPlanTests {
    @Test func overlayOverTheIdmappedTreeWithVolumesBeforeProc() {
        let plan = MountPlan.make(staging: "/tmp", rootfsFD: 7, mode: .overlay,
                                  volumes: [TreeMount(fd: 9, target: "/data/in", isFile: false)],
                                  tmpfs: [("/scratch", "size=1m")], maskPaths: true)
        let ops = plan.beforePivot.map(\.op)
        #expect(plan.newRoot == "/tmp/root")
        #expect(ops.contains(.moveTree(fd: 7, target: "/tmp/lower")))
        #expect(ops.contains(.mount(source: "overlay", target: "/tmp/root", type: "overlay", flags: [],
                                    data: "lowerdir=/tmp/lower,upperdir=/tmp/upper,workdir=/tmp/work,userxattr")))
        let vol = ops.firstIndex(of: .moveTree(fd: 9, target: "/tmp/root/data/in"))!
        #expect(ops[vol - 2] == .mkdir("/tmp/root/data", mode: 0o755) && ops[vol - 1] == .mkdir("/tmp/root/data/in", mode: 0o755))
        let proc = ops.firstIndex { if case .mount(_, "/tmp/root/proc", "proc", _, _) = $0 { true } else { false } }!
        #expect(vol < proc)
        #expect(ops.contains(.mount(source: "tmpfs", target: "/tmp/root/scratch", type: "tmpfs", flags: [.nosuid, .nodev], data: "size=1m")))
        for d in MountPlan.devices {
            #expect(ops.contains(.mount(source: "/dev/" + d, target: "/tmp/root/dev/" + d, type: nil, flags: [.bind], data: nil)))
        }
        #expect(ops.contains(.mask("/tmp/root/proc/kcore")))
        #expect(ops.contains(.readonlyIfPresent("/tmp/root/proc/sys")))
        #expect(plan.afterPivot.isEmpty)
    }

    @Test func readOnlyMakesTheRootReadOnlyAfterPivotAndRootfsRWMovesTheTreeItself() {
        let ro = MountPlan.make(staging: "/tmp", rootfsFD: 7, mode: .readOnly, volumes: [], tmpfs: [], maskPaths: false)
        #expect(ro.afterPivot == [MountStep(.readonlyRoot, .setattr(path: "/", recursive: false, set: .rdonly))])
        let rw = MountPlan.make(staging: "/tmp", rootfsFD: 7, mode: .readWrite, volumes: [], tmpfs: [], maskPaths: false)
        #expect(rw.beforePivot.map(\.op).contains(.moveTree(fd: 7, target: "/tmp/root")))
        #expect(!rw.beforePivot.map(\.op).contains { if case .mount(_, _, "overlay", _, _) = $0 { true } else { false } })
    }

    @Test func parentsOfAPath() {
        #expect(MountPlan.parents(of: "/a/b/c", includingSelf: false) == ["/a", "/a/b"])
        #expect(MountPlan.parents(of: "/a/b/c", includingSelf: true) == ["/a", "/a/b", "/a/b/c"])
    }
}

@Suite struct RunOptionTests {
    @Test func parsesTheOptionsUsersKnow() throws {
        let c = try #require(try RunCommand.parse(["--rootfs", "/r", "--hostname=web", "-e", "FOO=bar", "-eX=1", "-w", "/srv",
                                                   "-v", "/data:/data:ro", "--read-only", "--tmpfs", "/tmp", "--init",
                                                   "--uid-map", "0:100000:1000", "--user", "1000:100", "--", "sh", "-c", "echo"]))
        #expect(c.rootfs == "/r" && c.hostname == "web" && c.env == ["FOO=bar", "X=1"] && c.workdir == "/srv")
        #expect(c.volumes == [.init(source: "/data", target: "/data", readOnly: true)])
        #expect(c.readOnly && c.useInit && c.tmpfs == ["/tmp"] && c.user == "1000:100")
        #expect(c.uidMaps == [IDMapping(container: 0, host: 100000, size: 1000)])
        #expect(c.argv == ["sh", "-c", "echo"])
    }

    @Test func theFirstPositionalStartsTheCommandAndItsOptionsAreItsOwn() throws {
        let c = try #require(try RunCommand.parse(["ls", "-la", "--rootfs", "x"]))
        #expect(c.argv == ["ls", "-la", "--rootfs", "x"] && c.rootfs == RunConfig.defaultRootfs)
        #expect(try RunCommand.parse(["--help"]) == nil)
    }

    @Test(arguments: [["--bogus", "sh"], ["--hostname"], [], ["-v", "/a", "sh"], ["-v", "/a:/b:rx", "sh"],
                      ["--read-only", "--rootfs-rw", "sh"], ["--network", "wifi", "sh"], ["--uid-map", "1:2", "sh"],
                      ["--init=maybe", "sh"], ["--time-offset", "soon", "sh"]])
    func badInputIsAUsageError(_ args: [String]) {
        #expect(throws: RuntimeError.self) { try RunCommand.parse(args) }
    }

    @Test func usersResolveAgainstTheRootfsFiles() throws {
        let passwd = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:u:/home/user:/bin/sh\n"
        let group = "root:x:0:\nusers:x:100:user\nuser:x:1000:\n"
        #expect(try UserSpec.resolve("user", passwd: passwd, group: group) == UserSpec(uid: 1000, gid: 1000, groups: [100], home: "/home/user"))
        #expect(try UserSpec.resolve("1000:users", passwd: passwd, group: group).gid == 100)
        #expect(try UserSpec.resolve("4242", passwd: passwd, group: group) == UserSpec(uid: 4242, gid: 0, groups: [], home: "/"))
        #expect(throws: RuntimeError.self) { try UserSpec.resolve("nobody", passwd: passwd, group: group) }
        #expect(throws: RuntimeError.self) { try UserSpec.resolve("user:wheel", passwd: passwd, group: group) }
    }

    @Test func errorRecordsSurviveTheTripAndMapToExitStatuses() {
        let r = ErrorRecord(stage: .exec, error: SyscallError("exec", errno: 2, object: "nosuch"))
        #expect(ErrorRecord.decode(r.encode()) == r)
        #expect(r.runtimeError.exitStatus == 127)
        #expect(ErrorRecord(stage: .exec, error: SyscallError("exec", errno: 13, object: "/etc/passwd")).runtimeError.exitStatus == 126)
        let m = ErrorRecord(stage: .mountProc, error: SyscallError("mount", errno: 1, object: "proc on /proc")).runtimeError
        #expect(m.exitStatus == 125 && m.message.contains("proc on /proc: Operation not permitted"))
        #expect(ErrorRecord.decode([1, 2, 3]) == nil)
    }
}
