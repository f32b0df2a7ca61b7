import Foundation
import SiloSpec
import SiloSys
import Testing

@testable import SiloKit

/// An OCI bundle's cgroup against the fake cgroupfs: where `linux.cgroupsPath` puts it in each
/// hierarchy, what `linux.resources` writes, and what a failed create removes.
@Suite struct BundleCgroupTests {
    func spec(_ path: String?, _ resources: OCISpec.Resources = OCISpec.Resources()) -> OCISpec {
        var s = OCISpec.defaultConfig(rootless: false)
        s.linux!.cgroupsPath = path
        s.linux!.resources = resources
        return s
    }

    @Test func absoluteRelativeAndDefaultPathsAsRuncPlacesThem() throws {
        let (fs, layout) = try CgroupTreeTests().hybrid()
        let r = "/cgroup"
        let abs = try BundleCgroup.places("/a/b", id: "c1", layout: layout).map { fs.rel($0.directory) }
        #expect(abs.contains(r + "/memory/a/b") && abs.contains(r + "/pids/a/b") && abs.contains(r + "/unified/a/b"))
        #expect(abs.count == layout.hierarchies.count)
        let rel = try BundleCgroup.places("x/y", id: "c1", layout: layout).map { fs.rel($0.directory) }
        #expect(rel.contains(r + "/memory/process_api/abc/x/y") && rel.contains(r + "/pids/x/y"))
        let none = try BundleCgroup.places(nil, id: "c1", layout: layout).map { fs.rel($0.directory) }
        #expect(none.contains(r + "/memory/process_api/abc/silo-c1"))
        for bad in ["system.slice:silo:c1", "/", "/a/../b", "./a"] {
            #expect(throws: RuntimeError.self, "\(bad)") { try BundleCgroup.places(bad, id: "c1", layout: layout) }
        }
        do { _ = try BundleCgroup.places("system.slice:silo:c1", id: "c1", layout: layout) } catch {
            #expect(error.message.contains("--systemd-cgroup"), "\(error.message)")
        }
    }

    /// v2: every level silo makes enables what the limits need in its parent's subtree_control,
    /// then the limits go into the leaf; a failed create removes every level it made.
    @Test func v2NestedRelativePathEnablesControllersAlongTheWay() throws {
        let (fs, layout) = try CgroupTreeTests().v2()
        var res = OCISpec.Resources()
        var mem = OCISpec.Memory()
        mem.limit = 64 << 20
        res.memory = mem
        res.pids = OCISpec.Pids(limit: 99)
        let (made, warnings) = try BundleCgroup.make(spec("t/c", res), id: "c1", layout: layout, fs: fs)
        let cg = try #require(made)
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(cg.cgroup.places.map { fs.rel($0.directory) } == ["/cgroup/user.slice/t/c"])
        #expect(cg.made.map(fs.rel) == ["/cgroup/user.slice/t", "/cgroup/user.slice/t/c"])
        let w = fs.relativeWrites
        #expect(w.contains("/cgroup/user.slice/cgroup.subtree_control=+memory"), "\(w)")
        #expect(w.contains("/cgroup/user.slice/t/cgroup.subtree_control=+pids"), "\(w)")
        #expect(w.contains("/cgroup/user.slice/t/c/memory.max=67108864") && w.contains("/cgroup/user.slice/t/c/pids.max=99"), "\(w)")
        #expect(cg.paths == ["unified": cg.cgroup.places[0].directory])
        // The parent writes the init into the v2 place; there are no v1 tasks files.
        var trees: [Int32] = []
        #expect(try cg.tasksFiles(trees: &trees).isEmpty)
        try cg.enter(pid: 4242)
        #expect(fs.relativeWrites.last == "/cgroup/user.slice/t/c/cgroup.procs=4242")
        fs.put(cg.cgroup.places[0].directory + "/cgroup.procs", "")
        cg.removeMade()
        #expect(!fs.isDirectory(fs.base + "/cgroup/user.slice/t"))
    }

    /// delete removes the levels create made above the leaf (the record's cgroupParents), not
    /// one that holds another container, nor a directory a hand-edited record names.
    @Test func deleteRemovesTheParentsCreateMade() throws {
        let (fs, layout) = try CgroupTreeTests().v2()
        let (made, _) = try BundleCgroup.make(spec("a/b/c"), id: "c1", layout: layout, fs: fs)
        let cg = try #require(made)
        #expect(cg.madeParents.map(fs.rel) == ["/cgroup/user.slice/a", "/cgroup/user.slice/a/b"])
        let (other, _) = try BundleCgroup.make(spec("a/x"), id: "c2", layout: layout, fs: fs)
        var record = ContainerRecord(id: "c1", status: .stopped, bundle: "/b")
        record.cgroupPaths = cg.paths
        record.cgroupParents = cg.madeParents + [fs.base + "/cgroup/user.slice"]
        let decoded = try ContainerRecord.decode(record.encoded)
        #expect(decoded.cgroupParents == record.cgroupParents)
        try ContainerCgroup.remove(cg.cgroup, record: decoded)
        #expect(!fs.isDirectory(fs.base + "/cgroup/user.slice/a/b"))
        #expect(fs.isDirectory(fs.base + "/cgroup/user.slice/a"), "a holds c2's cgroup")
        #expect(fs.isDirectory(fs.base + "/cgroup/user.slice"), "not made by create")
        var second = ContainerRecord(id: "c2", status: .stopped, bundle: "/b")
        second.cgroupPaths = try #require(other).paths
        second.cgroupParents = [fs.base + "/cgroup/user.slice/a", "/tmp"]
        try ContainerCgroup.remove(try #require(other).cgroup, record: second)
        #expect(!fs.isDirectory(fs.base + "/cgroup/user.slice/a") && fs.isDirectory(fs.base + "/cgroup/user.slice"))
    }

    /// With a cgroup namespace, a `cgroup` mount on v2 is a fresh cgroup2, rooted at the
    /// container's cgroup (without one it is a bind of the leaf: not made against the fake).
    @Test func v2MountWithANamespaceIsAFreshCgroup2() throws {
        let (fs, layout) = try CgroupTreeTests().v2()
        let (made, _) = try BundleCgroup.make(spec("/m1"), id: "c1", layout: layout, fs: fs)
        let cg = try #require(made)
        defer { cg.removeMade() }
        var trees: [Int32] = []
        let fresh = try cg.mountSteps(at: "/sys/fs/cgroup", cgroupNamespace: true, trees: &trees)
        #expect(fresh.count == 1 && trees.isEmpty)
        if case .fresh(let type, let target, _, _, _) = fresh[0].op { #expect(type == "cgroup2" && target == "/sys/fs/cgroup") } else { Issue.record("\(fresh)") }
    }

    /// A leaf that already holds processes is not taken over (delete would kill them).
    @Test func aCgroupWithProcessesIsRefused() throws {
        let (fs, layout) = try CgroupTreeTests().v2()
        try fs.mkdir(fs.base + "/cgroup/busy")
        fs.put(fs.base + "/cgroup/busy/cgroup.procs", "1\n")
        #expect(throws: RuntimeError.self) { try BundleCgroup.make(spec("/busy"), id: "c1", layout: layout, fs: fs) }
    }

    /// v1: the device rules in the config's order, then silo's default nodes after a "deny all";
    /// swappiness and the OOM switch; the TCP buffer limit only where the file exists.
    @Test func v1DeviceRulesInOrderThenTheDefaults() throws {
        let (fs, layout) = try CgroupTreeTests().hybrid()
        var res = OCISpec.Resources()
        res.devices = [OCISpec.DeviceRule(allow: false, access: "rwm"), OCISpec.DeviceRule(allow: true, type: "c", major: 10, minor: 229, access: "rwm")]
        var m = OCISpec.Memory()
        m.limit = 1 << 30
        m.swappiness = 10
        m.disableOOMKiller = true
        m.kernelTCP = 1 << 20
        res.memory = m
        let (made, warnings) = try BundleCgroup.make(spec("/d1", res), id: "c1", layout: layout, fs: fs)
        #expect(warnings.contains { $0.contains("kernelTCP: no memory.kmem.tcp.limit_in_bytes") }, "\(warnings)")
        let cg = try #require(made)
        defer { cg.removeMade() }
        let dev = fs.relativeWrites.filter { $0.hasPrefix("/cgroup/devices/d1/") }
        #expect(dev.prefix(3) == ["/cgroup/devices/d1/devices.deny=a *:* rwm", "/cgroup/devices/d1/devices.allow=c 10:229 rwm",
                                  "/cgroup/devices/d1/devices.allow=c 1:3 rwm"], "\(dev)")
        #expect(dev.last == "/cgroup/devices/d1/devices.allow=c 136:* rwm")
        let mem = fs.relativeWrites.filter { $0.hasPrefix("/cgroup/memory/d1/") }
        #expect(mem.contains("/cgroup/memory/d1/memory.swappiness=10") && mem.contains("/cgroup/memory/d1/memory.oom_control=1"), "\(mem)")
    }

    /// What silo cannot honour is still refused by its JSON path; cgroup v2 devices only warn.
    @Test func unsupportedFieldsAreRefusedByName() throws {
        var res = OCISpec.Resources()
        res.rdma = ["mlx5_1": OCISpec.RDMA(hcaHandles: 3, hcaObjects: nil)]
        do { _ = try BundleResources.read(res); Issue.record("accepted") } catch {
            #expect(error.message.hasPrefix("config.json: .linux.resources.rdma"), "\(error.message)")
        }
        let (fs, layout) = try CgroupTreeTests().v2()
        var dev = OCISpec.Resources()
        dev.devices = [OCISpec.DeviceRule(allow: false)]
        let (made, warnings) = try BundleCgroup.make(spec("/v2dev", dev), id: "c1", layout: layout, fs: fs)
        defer { made?.removeMade() }
        #expect(warnings.contains { $0.contains(".linux.resources.devices") }, "\(warnings)")
    }
}
