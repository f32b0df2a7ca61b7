import Foundation
import SiloSys
import Testing

@testable import SiloKit

/// The cgroup handle against fake cgroupfs trees of both layouts.
@Suite struct CgroupTreeTests {
    /// This machine's hybrid layout under a temporary root, the caller in memory:/process_api/abc.
    func hybrid() throws -> (FakeCgroupTree, CgroupLayout) {
        let fs = FakeCgroupTree()
        let r = fs.base + "/cgroup"
        for c in ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"] { fs.mount(r + "/" + c, version: 1, controllers: [c]) }
        fs.mount(r + "/systemd", version: 1, controllers: [])
        fs.mount(r + "/unified", version: 2, controllers: ["hugetlb"])
        fs.put(r + "/cpuset/cpuset.cpus", "0-1\n")
        fs.put(r + "/cpuset/cpuset.mems", "0\n")
        try fs.mkdir(r + "/memory/process_api")
        try fs.mkdir(r + "/memory/process_api/abc")
        fs.put("\(fs.base)/proc/cgroup", CgroupSamples.hybridCgroup)
        fs.put("\(fs.base)/proc/mountinfo", CgroupSamples.hybridMountinfo(r))
        let layout = try CgroupLayout.detect(fs: fs, root: r, proc: fs.base + "/proc")
        return (fs, layout)
    }

    /// Pure v2, the caller in a non-root cgroup with memory and pids available.
    func v2(callerHasProcesses: Bool = false) throws -> (FakeCgroupTree, CgroupLayout) {
        let fs = FakeCgroupTree()
        fs.magic = CgroupMagic.cgroup2
        let r = fs.base + "/cgroup"
        fs.mount(r, version: 2, controllers: ["cpuset", "cpu", "io", "memory", "pids"])
        fs.put(r + "/cgroup.subtree_control", "cpuset cpu io memory pids\n")
        try fs.mkdir(r + "/user.slice")
        if callerHasProcesses { fs.failures["/user.slice/cgroup.subtree_control"] = EBUSY }
        fs.put("\(fs.base)/proc/cgroup", "0::/user.slice\n")
        fs.put("\(fs.base)/proc/mountinfo", "29 23 0:26 / \(r) rw - cgroup2 cgroup2 rw,nsdelegate\n")
        return (fs, try CgroupLayout.detect(fs: fs, root: r, proc: fs.base + "/proc"))
    }

    @Test func hybridCreateUnderOwnCgroup() throws {
        let (fs, layout) = try hybrid()
        #expect(layout.kind == .hybrid)
        #expect(layout.unified?.controllers == ["hugetlb"])
        var limits = CgroupLimits.contained
        limits.memory = 64 << 20
        limits.cpusetCpus = "1"
        let cg = try Cgroup.create(name: "silo-t1", layout: layout, limits: limits, fs: fs)
        #expect(cg.places.map { fs.rel($0.directory) } == [
            "/cgroup/cpu/silo-t1", "/cgroup/cpuacct/silo-t1", "/cgroup/cpuset/silo-t1", "/cgroup/memory/process_api/abc/silo-t1",
            "/cgroup/devices/silo-t1", "/cgroup/freezer/silo-t1", "/cgroup/blkio/silo-t1", "/cgroup/pids/silo-t1",
            "/cgroup/systemd/silo-t1", "/cgroup/unified/silo-t1",
        ])
        // cpuset: mems copied from the parent (empty in a new v1 cpuset), cpus given by the user.
        #expect(fs.relativeWrites == [
            "/cgroup/cpuset/silo-t1/cpuset.cpus=0-1", "/cgroup/cpuset/silo-t1/cpuset.mems=0",
            "/cgroup/memory/process_api/abc/silo-t1/memory.limit_in_bytes=67108864",
            "/cgroup/memory/process_api/abc/silo-t1/memory.memsw.limit_in_bytes=134217728",
            "/cgroup/pids/silo-t1/pids.max=2048", "/cgroup/cpuset/silo-t1/cpuset.cpus=1",
        ])
        try cg.join(pid: 4242)
        #expect(try cg.pids() == [4242])
        #expect(try fs.read(fs.base + "/cgroup/memory/process_api/abc/silo-t1/cgroup.procs") == "4242\n")
        #expect(try fs.read(fs.base + "/cgroup/unified/silo-t1/cgroup.procs") == "4242\n")

        try cg.freeze()
        #expect(cg.isFrozen())
        #expect(try fs.read(fs.base + "/cgroup/freezer/silo-t1/freezer.state") == "FROZEN\n")
        try cg.thaw()
        #expect(!cg.isFrozen())

        let s = cg.stats()
        #expect(s.memoryLimit == 64 << 20 && s.memoryUsage == 4096 && s.pidsLimit == 2048 && s.cpuUsageNanoseconds == 12345 && s.oomKills == 0 && s.forksRefused == 0)
        #expect(!cg.wasOOMKilled())
        fs.put(fs.base + "/cgroup/memory/process_api/abc/silo-t1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        #expect(cg.wasOOMKilled())
        // An old kernel's oom_control without the oom_kill field: the failure count decides.
        fs.put(fs.base + "/cgroup/memory/process_api/abc/silo-t1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n")
        #expect(!cg.wasOOMKilled())
        fs.put(fs.base + "/cgroup/memory/process_api/abc/silo-t1/memory.failcnt", "12\n")
        #expect(cg.wasOOMKilled())

        // Without killing, a cgroup with a process stays and says so; with it, nothing is left.
        #expect(throws: CgroupError("cgroup \(fs.base)/cgroup/cpu/silo-t1: still has processes", errno: EBUSY)) { try cg.remove(killing: false) }
        try cg.remove(killing: true)
        #expect(fs.killed.contains(4242))
        #expect(Cgroup.names(prefix: "silo-", layout: layout, fs: fs).isEmpty)
    }

    @Test func onlyNeededHierarchies() throws {
        let (fs, layout) = try hybrid()
        let cg = try Cgroup.create(name: "silo-t2", layout: layout, limits: .contained, only: ["memory", "pids", "freezer"], fs: fs)
        #expect(cg.places.map { fs.rel($0.directory) } == ["/cgroup/memory/process_api/abc/silo-t2", "/cgroup/freezer/silo-t2", "/cgroup/pids/silo-t2"])
        try cg.remove()
    }

    @Test func existingNameAndRollback() throws {
        let (fs, layout) = try hybrid()
        let cg = try Cgroup.create(name: "silo-t3", layout: layout, limits: .contained, fs: fs)
        #expect(throws: CgroupError("cgroup \(fs.base)/cgroup/cpu/silo-t3: already exists (another container of that name, or one that died: `silo` removes its leftovers)", errno: EEXIST)) {
            try Cgroup.create(name: "silo-t3", layout: layout, limits: .contained, fs: fs)
        }
        try cg.remove()
        // A failing limit leaves no directory behind.
        fs.failures["pids.max"] = EINVAL
        #expect(throws: CgroupError("cgroup \(fs.base)/cgroup/pids/silo-t4/pids.max: Invalid argument", errno: EINVAL)) {
            try Cgroup.create(name: "silo-t4", layout: layout, limits: .contained, fs: fs)
        }
        #expect(Cgroup.names(prefix: "silo-", layout: layout, fs: fs).isEmpty)
        #expect(throws: CgroupError("cgroup name `a/b`: not a single path component")) { try Cgroup.create(name: "a/b", layout: layout, limits: .contained, fs: fs) }
    }

    @Test func leftoversOfADeadContainer() throws {
        let (fs, layout) = try hybrid()
        let cg = try Cgroup.create(name: "silo-dead", layout: layout, limits: .contained, fs: fs)
        try cg.join(pid: 77)
        // A sub-cgroup the container made for itself.
        try fs.mkdir(fs.base + "/cgroup/pids/silo-dead/inner")
        #expect(Cgroup.names(prefix: "silo-", layout: layout, fs: fs) == ["silo-dead"])
        let left = try #require(Cgroup.open(name: "silo-dead", layout: layout, fs: fs))
        try left.remove(killing: true)
        #expect(fs.killed == [77])
        #expect(Cgroup.open(name: "silo-dead", layout: layout, fs: fs) == nil)
    }

    @Test func v2EnablesOnlyWhatIsNeeded() throws {
        let (fs, layout) = try v2()
        #expect(layout.kind == .v2)
        var limits = CgroupLimits.contained
        limits.memory = 32 << 20
        let cg = try Cgroup.create(name: "silo-v2", layout: layout, limits: limits, fs: fs)
        #expect(cg.places.map { fs.rel($0.directory) } == ["/cgroup/user.slice/silo-v2"])
        #expect(fs.relativeWrites == [
            "/cgroup/user.slice/cgroup.subtree_control=+memory", "/cgroup/user.slice/cgroup.subtree_control=+pids",
            "/cgroup/user.slice/silo-v2/memory.max=33554432", "/cgroup/user.slice/silo-v2/memory.swap.max=33554432",
            "/cgroup/user.slice/silo-v2/pids.max=2048",
        ])
        try cg.join(pid: 99)
        try cg.freeze()
        #expect(try fs.read(fs.base + "/cgroup/user.slice/silo-v2/cgroup.freeze") == "1\n")
        #expect(cg.isFrozen())
        try cg.thaw()
        fs.put(fs.base + "/cgroup/user.slice/silo-v2/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
        #expect(cg.wasOOMKilled())
        #expect(cg.stats().memoryLimitHits == 3 && cg.stats().cpuUsageNanoseconds == 7000 && cg.stats().forksRefused == 2)
        try cg.remove(killing: true)
        // cgroup.kill, not signals one by one.
        #expect(fs.relativeWrites.last == "/cgroup/user.slice/silo-v2/cgroup.kill=1")
        #expect(!fs.exists(fs.base + "/cgroup/user.slice/silo-v2"))
    }

    @Test func v2NoInternalProcesses() throws {
        let (fs, layout) = try v2(callerHasProcesses: true)
        // The default pids limit is skipped and reported; nothing explicit was asked.
        let cg = try Cgroup.create(name: "silo-v2a", layout: layout, limits: .contained, fs: fs)
        #expect(cg.skipped == ["pids"])
        #expect(!fs.exists(fs.base + "/cgroup/user.slice/silo-v2a/pids.max"))
        try cg.remove()
        var limits = CgroupLimits.contained
        limits.memory = 32 << 20
        #expect(throws: CgroupError("cannot enable memory in \(fs.base)/cgroup/user.slice/cgroup.subtree_control: that cgroup holds processes (cgroup v2's no-internal-processes rule); run silo from a cgroup of its own, e.g. under systemd-run --scope -p Delegate=yes")) {
            try Cgroup.create(name: "silo-v2b", layout: layout, limits: limits, fs: fs)
        }
        #expect(!fs.exists(fs.base + "/cgroup/user.slice/silo-v2b"))
    }

    @Test func v2ControllerNotDelegated() throws {
        let (fs, layout) = try v2()
        fs.put(fs.base + "/cgroup/user.slice/cgroup.controllers", "memory pids\n")
        var limits = CgroupLimits()
        limits.cpuWeight = 50
        #expect(throws: CgroupError("the cpu controller is not available in \(fs.base)/cgroup/user.slice (cgroup.controllers: not delegated to this user or not enabled above)")) {
            try Cgroup.create(name: "silo-v2c", layout: layout, limits: limits, fs: fs)
        }
    }

    @Test func hybridRefusesUnified() throws {
        let (fs, layout) = try hybrid()
        var limits = CgroupLimits()
        limits.unified = ["hugetlb.2MB.max": "0"]
        #expect(throws: CgroupError("linux.resources.unified hugetlb.2MB.max: needs cgroup v2 for that controller, this host has v1")) {
            try Cgroup.create(name: "silo-t5", layout: layout, limits: limits, fs: fs)
        }
        #expect(Cgroup.names(prefix: "silo-", layout: layout, fs: fs).isEmpty)
    }

    @Test func detectChecksStatfs() throws {
        let (fs, _) = try hybrid()
        fs.magic = CgroupMagic.cgroup2
        #expect(throws: CgroupError("cgroups \(fs.base)/cgroup: a cgroup2 file system, but mountinfo shows no cgroup2 mount there")) {
            try CgroupLayout.detect(fs: fs, root: fs.base + "/cgroup", proc: fs.base + "/proc")
        }
    }
}
