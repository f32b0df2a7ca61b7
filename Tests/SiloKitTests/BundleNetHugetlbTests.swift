import Foundation
import SiloSpec
import SiloSys
import Testing

@testable import SiloKit

/// linux.resources.network and .hugepageLimits against the fake cgroupfs: written to v1
/// net_cls/net_prio/hugetlb hierarchies exactly as the config says when the host mounts them,
/// refused by JSON path naming the hierarchy when it does not, hugetlb.SIZE.max on v2.
@Suite struct BundleNetHugetlbTests {
    /// This machine's hybrid layout plus what most systemd hosts also mount: hugetlb and
    /// net_cls,net_prio as v1 hierarchies (hugetlb then leaves the unified mount).
    func hybridWithNetAndHugetlb() throws -> (FakeCgroupTree, CgroupLayout) {
        let (fs, _) = try CgroupTreeTests().hybrid()
        let r = fs.base + "/cgroup"
        fs.mount(r + "/hugetlb", version: 1, controllers: ["hugetlb"])
        fs.mount(r + "/net_cls,net_prio", version: 1, controllers: ["net_cls", "net_prio"])
        fs.put(r + "/unified/cgroup.controllers", "\n")
        fs.put("\(fs.base)/proc/cgroup", "11:hugetlb:/\n10:net_cls,net_prio:/\n" + CgroupSamples.hybridCgroup)
        fs.put("\(fs.base)/proc/mountinfo", CgroupSamples.hybridMountinfo(r)
            + "42 31 0:39 / \(r)/hugetlb rw,relatime - cgroup cgroup rw,hugetlb\n"
            + "43 31 0:40 / \(r)/net_cls,net_prio rw,relatime - cgroup cgroup rw,net_cls,net_prio\n")
        return (fs, try CgroupLayout.detect(fs: fs, root: r, proc: fs.base + "/proc"))
    }

    func spec(_ path: String, _ resources: OCISpec.Resources) -> OCISpec {
        var s = OCISpec.defaultConfig(rootless: false)
        s.linux!.cgroupsPath = path
        s.linux!.resources = resources
        return s
    }

    func netAndHuge(classID: UInt32? = 255, priorities: [(String, UInt32)] = [("lo", 10), ("eth0", 30)],
                    huge: [(String, UInt64)] = [("2MB", 2 << 30), ("1GB", 2 << 30)]) -> OCISpec.Resources {
        var r = OCISpec.Resources()
        if classID != nil || !priorities.isEmpty {
            var n = OCISpec.Network()
            n.classID = classID
            n.priorities = priorities.map { OCISpec.InterfacePriority(name: $0.0, priority: $0.1) }
            r.network = n
        }
        r.hugepageLimits = huge.map { OCISpec.HugepageLimit(pageSize: $0.0, limit: $0.1) }
        return r
    }

    @Test func v1HierarchiesGetTheConfigsValues() throws {
        let (fs, layout) = try hybridWithNetAndHugetlb()
        #expect(layout.hierarchy(for: "net_prio")?.key == "net_cls,net_prio" && layout.hierarchy(for: "hugetlb")?.version == 1)
        let (made, warnings) = try BundleCgroup.make(spec("/n1", netAndHuge()), id: "c1", layout: layout, fs: fs)
        let cg = try #require(made)
        #expect(warnings.isEmpty, "\(warnings)")
        let w = fs.relativeWrites.filter { $0.hasPrefix("/cgroup/net_cls,net_prio/") || $0.hasPrefix("/cgroup/hugetlb/") }
        #expect(w == ["/cgroup/net_cls,net_prio/n1/net_cls.classid=255",
                      "/cgroup/net_cls,net_prio/n1/net_prio.ifpriomap=lo 10", "/cgroup/net_cls,net_prio/n1/net_prio.ifpriomap=eth0 30",
                      "/cgroup/hugetlb/n1/hugetlb.2MB.limit_in_bytes=2147483648", "/cgroup/hugetlb/n1/hugetlb.1GB.limit_in_bytes=2147483648"], "\(w)")
        // delete finds them through the record's paths, and a failed create removes them.
        #expect(cg.paths["net_cls,net_prio"].map(fs.rel) == "/cgroup/net_cls,net_prio/n1" && cg.paths["hugetlb"].map(fs.rel) == "/cgroup/hugetlb/n1")
        cg.removeMade()
        #expect(!fs.isDirectory(fs.base + "/cgroup/net_cls,net_prio/n1") && !fs.isDirectory(fs.base + "/cgroup/hugetlb/n1"))
    }

    /// `update --resources`: the container's own places, checked before anything is written.
    @Test func updateWritesTheLiveCgroupAndRefusesAHierarchyItWasMadeWithout() throws {
        let (fs, layout) = try hybridWithNetAndHugetlb()
        let (made, _) = try BundleCgroup.make(spec("/u1", OCISpec.Resources()), id: "u1", layout: layout, fs: fs)
        let cg = try #require(made)
        defer { cg.removeMade() }
        var record = ContainerRecord(id: "u1", status: .running, bundle: "/b")
        record.cgroupPaths = cg.paths
        let live = try #require(ContainerCgroup.open(id: "u1", record: record, layout: layout, fs: fs))
        try CgroupNetHugetlb(oci: netAndHuge(classID: 7, priorities: [("eth0", 3)], huge: [("2MB", 4 << 20)])).apply(to: live)
        #expect(try fs.read(fs.base + "/cgroup/net_cls,net_prio/u1/net_cls.classid") == "7\n")
        #expect(try fs.read(fs.base + "/cgroup/net_cls,net_prio/u1/net_prio.ifpriomap") == "eth0 3\n")
        #expect(try fs.read(fs.base + "/cgroup/hugetlb/u1/hugetlb.2MB.limit_in_bytes") == "4194304\n")

        record.cgroupPaths["net_cls,net_prio"] = nil
        let without = try #require(ContainerCgroup.open(id: "u1", record: record, layout: layout, fs: fs))
        let before = fs.relativeWrites.count
        #expect(throws: CgroupError("linux.resources.network.classID: the container has no cgroup in the net_cls hierarchy (it was not mounted when the container was created)")) {
            try CgroupNetHugetlb(oci: netAndHuge(classID: 8, priorities: [], huge: [("2MB", 0)])).apply(to: without)
        }
        #expect(fs.relativeWrites.count == before, "a refused update wrote \(fs.relativeWrites.suffix(from: before))")
    }

    /// This host as it is: no net_cls/net_prio anywhere, hugetlb only in the unified mount.
    /// Each field is refused by its path, naming the hierarchy, before any directory is made.
    @Test func refusedNamingTheMissingHierarchy() throws {
        let (fs, layout) = try CgroupTreeTests().hybrid()
        for (res, path, hierarchy) in [(netAndHuge(huge: []), "network.classID", "net_cls"),
                                       (netAndHuge(classID: nil, huge: []), "network.priorities", "net_prio"),
                                       (netAndHuge(classID: nil, priorities: []), "hugepageLimits", "hugetlb")] {
            do {
                _ = try BundleCgroup.make(spec("/r1", res), id: "c1", layout: layout, fs: fs)
                Issue.record("\(path) accepted")
            } catch {
                #expect(error.message.hasPrefix("config.json: .linux.resources.\(path): no \(hierarchy) cgroup v1 hierarchy is mounted under "), "\(error.message)")
                #expect(!error.message.contains("\n"))
                if hierarchy == "hugetlb" { #expect(error.message.contains("only in the cgroup v2 mount"), "\(error.message)") }
            }
            #expect(!fs.isDirectory(fs.base + "/cgroup/pids/r1"), "\(path): a refused create left its cgroup")
            // Refused before any directory was made (a new v1 cpuset would have had cpus written).
            #expect(fs.relativeWrites.isEmpty, "\(path): \(fs.relativeWrites)")
        }
    }

    /// A page size the kernel has no file for, an interface it does not know: the field's path.
    @Test func unknownPageSizeAndInterfaceNameTheirField() throws {
        let (fs, layout) = try hybridWithNetAndHugetlb()
        do {
            _ = try BundleCgroup.make(spec("/p1", netAndHuge(classID: nil, priorities: [], huge: [("2MB", 0), ("3MB", 1)])), id: "c1", layout: layout, fs: fs)
            Issue.record("3MB accepted")
        } catch {
            #expect(error.message == "config.json: .linux.resources.hugepageLimits[1].pageSize: \"3MB\": no such huge page size on this host (no hugetlb.3MB.limit_in_bytes; sizes: 1GB, 2MB)")
        }
        fs.failures["net_prio.ifpriomap"] = ENODEV
        do {
            _ = try BundleCgroup.make(spec("/p2", netAndHuge(classID: nil, priorities: [("lo", 1)], huge: [])), id: "c1", layout: layout, fs: fs)
            Issue.record("unknown interface accepted")
        } catch {
            #expect(error.message == "config.json: .linux.resources.network.priorities[0].name: no interface \"lo\" in the host's network namespace")
        }
        #expect(!fs.isDirectory(fs.base + "/cgroup/hugetlb/p1") && !fs.isDirectory(fs.base + "/cgroup/net_cls,net_prio/p2"))
        #expect(throws: RuntimeError.self) { try BundleResources.read(netAndHuge(classID: nil, priorities: [], huge: [("../x", 1)])) }
        #expect(throws: RuntimeError.self) { try BundleResources.read(netAndHuge(classID: nil, priorities: [("a b", 1)], huge: [])) }
    }

    /// v2 as before: hugetlb enabled above the leaf, hugetlb.SIZE.max written; net_cls refused.
    @Test func v2HugetlbMaxAndNoNetCls() throws {
        let fs = FakeCgroupTree()
        fs.magic = CgroupMagic.cgroup2
        let r = fs.base + "/cgroup"
        fs.mount(r, version: 2, controllers: ["memory", "pids", "hugetlb"])
        fs.put(r + "/cgroup.subtree_control", "memory pids\n")
        fs.put("\(fs.base)/proc/cgroup", "0::/\n")
        fs.put("\(fs.base)/proc/mountinfo", "29 23 0:26 / \(r) rw - cgroup2 cgroup2 rw\n")
        let layout = try CgroupLayout.detect(fs: fs, root: r, proc: fs.base + "/proc")
        let (made, _) = try BundleCgroup.make(spec("/h2", netAndHuge(classID: nil, priorities: [], huge: [("2MB", 2 << 20)])), id: "c1", layout: layout, fs: fs)
        let cg = try #require(made)
        defer { cg.removeMade() }
        let w = fs.relativeWrites
        #expect(w.contains("/cgroup/cgroup.subtree_control=+hugetlb") && w.last == "/cgroup/h2/hugetlb.2MB.max=2097152", "\(w)")
        do {
            _ = try BundleCgroup.make(spec("/h3", netAndHuge(huge: [])), id: "c2", layout: layout, fs: fs)
            Issue.record("net_cls accepted on v2")
        } catch {
            #expect(error.message.hasPrefix("config.json: .linux.resources.network.classID: cgroup v2 has no net_cls controller"), "\(error.message)")
        }
        #expect(!fs.isDirectory(r + "/h3"))
    }
}
