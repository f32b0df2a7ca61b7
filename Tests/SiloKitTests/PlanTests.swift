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
        let plan = MountPlan.make(attachAt: "/tmp", rootfsFD: 7, mode: .overlay, rootfsSize: "2g",
                                  volumes: [TreeMount(fd: 9, target: "/data/in", isFile: false)],
                                  tmpfs: [("/scratch", "size=1m")], maskPaths: true)
        let ops = plan.beforePivot.map(\.op)
        #expect(plan.newRoot == "/tmp")
        #expect(ops[1] == .attachRoot(lowerFD: 7, overlay: true, upperOptions: "mode=0700,size=2g", at: "/tmp"))
        let vol = ops.firstIndex(of: .moveTree(fd: 9, target: "/data/in", isFile: false))!
        let proc = ops.firstIndex { if case .fresh("proc", "/proc", _, _, _) = $0 { true } else { false } }!
        #expect(vol < proc)
        #expect(ops.contains(.fresh(type: "tmpfs", target: "/scratch", mode: 0o755, attributes: [.nosuid, .nodev], options: "size=1m")))
        for d in MountPlan.devices {
            #expect(ops.contains(.bindDevice(source: "/dev/" + d, target: "/dev/" + d)))
        }
        #expect(ops.contains(.mask("/proc/kcore")))
        #expect(ops.contains(.readonlyIfPresent("/proc/sys")))
        #expect(plan.afterPivot.isEmpty)
    }

    /// Every target is a path inside the new root, resolved there by the child: no step names
    /// a host path the kernel would resolve through the rootfs's symlinks (CVE-2021-30465).
    @Test func everyTargetIsAContainerPathAndNoneGoesThroughTheAttachPoint() {
        let plan = MountPlan.make(attachAt: "/tmp", rootfsFD: 7, mode: .overlay,
                                  volumes: [TreeMount(fd: 9, target: "/x/sub", isFile: false), TreeMount(fd: 10, target: "/x/f", isFile: true)],
                                  tmpfs: [("/x/dir", "mode=1777")], maskPaths: true)
        for step in plan.beforePivot.dropFirst(2) {
            let target: String
            switch step.op {
            case let .moveTree(_, t, _), let .fresh(_, t, _, _, _), let .bindDevice(_, t), let .symlink(_, t), let .mask(t), let .readonlyIfPresent(t),
                 let .deviceNode(t, _, _, _, _, _, _), let .bindPath(_, t, _, _, _): target = t
            case .mount, .attachRoot, .setattr, .sysctl, .cloneTreeInto: Issue.record("unexpected path-based step \(step)"); continue
            }
            #expect(target.hasPrefix("/") && !target.hasPrefix("/tmp"), "\(step)")
        }
    }

    @Test func tmpfsGetsADefaultSizeUnlessOneIsGiven() {
        #expect(MountPlan.tmpfsOptions(nil) == "mode=1777,size=" + MountPlan.defaultTmpfsSize)
        #expect(MountPlan.tmpfsOptions("mode=700") == "mode=700,size=" + MountPlan.defaultTmpfsSize)
        #expect(MountPlan.tmpfsOptions("size=1m,mode=700") == "size=1m,mode=700")
        let plan = MountPlan.make(attachAt: "/tmp", rootfsFD: 7, mode: .overlay, volumes: [], tmpfs: [], maskPaths: false)
        #expect(plan.beforePivot[1].op == .attachRoot(lowerFD: 7, overlay: true, upperOptions: "mode=0700,size=" + MountPlan.defaultRootfsSize, at: "/tmp"))
    }

    @Test func readOnlyMakesTheRootReadOnlyAfterPivotAndRootfsRWMovesTheTreeItself() {
        let ro = MountPlan.make(attachAt: "/tmp", rootfsFD: 7, mode: .readOnly, volumes: [], tmpfs: [], maskPaths: false)
        #expect(ro.afterPivot == [MountStep(.readonlyRoot, .setattr(path: "/", recursive: false, set: .rdonly))])
        let rw = MountPlan.make(attachAt: "/tmp", rootfsFD: 7, mode: .readWrite, volumes: [], tmpfs: [], maskPaths: false)
        #expect(rw.beforePivot.map(\.op).contains(.attachRoot(lowerFD: 7, overlay: false, upperOptions: "mode=0700,size=1g", at: "/tmp")))
    }

    @Test func parentsOfAPath() {
        #expect(MountPlan.parents(of: "/a/b/c", includingSelf: false) == ["/a", "/a/b"])
        #expect(MountPlan.parents(of: "/a/b/c", includingSelf: true) == ["/a", "/a/b", "/a/b/c"])
    }
}
