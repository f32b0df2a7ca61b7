import Foundation
import SiloSys
import Testing

@testable import SiloKit

/// `silo stats`' reading of cgroups (Cgroup.usage, memoryCeiling, find) and its choice of
/// containers (ContainerStats.targets), against fake cgroupfs trees of both layouts.
@Suite struct ContainerStatsTests {
    let trees = CgroupTreeTests()

    @Test func hybridUsage() throws {
        let (fs, layout) = try trees.hybrid()
        var limits = CgroupLimits.contained
        limits.memory = 64 << 20
        limits.blkioWeight = 200
        let cg = try Cgroup.create(name: "silo-s1", layout: layout, limits: limits, only: ["memory", "pids", "freezer", "blkio", "cpuacct"], fs: fs)
        let mem = fs.base + "/cgroup/memory/process_api/abc/silo-s1"
        fs.put(mem + "/memory.usage_in_bytes", "10485760\n")
        fs.put(mem + "/memory.stat", "cache 4194304\ninactive_file 1\ntotal_inactive_file 2097152\n")
        fs.put(fs.base + "/cgroup/pids/silo-s1/pids.current", "3\n")
        fs.put(fs.base + "/cgroup/cpuacct/silo-s1/cpuacct.usage", "2500000000\n")
        fs.put(fs.base + "/cgroup/blkio/silo-s1/blkio.throttle.io_service_bytes_recursive",
               "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\n8:16 Read 1000\n8:16 Write 0\nTotal 13288\n")
        let s = cg.usage()
        #expect(s.memoryUsage == 10_485_760)
        // total_inactive_file (the hierarchy's), not the cgroup's own inactive_file line.
        #expect(s.memoryWorkingSet == 10_485_760 - 2_097_152)
        #expect(s.memoryLimit == 64 << 20)
        #expect(s.pidsCurrent == 3 && s.pidsLimit == 2048)
        #expect(s.cpuUsageNanoseconds == 2_500_000_000)
        #expect(s.ioReadBytes == 5096 && s.ioWriteBytes == 8192)
        // stats() (read at the end of every run) stays without the display-only files.
        #expect(cg.stats().memoryInactiveFile == nil && cg.stats().ioReadBytes == nil)
    }

    @Test func v2Usage() throws {
        let (fs, layout) = try trees.v2()
        var limits = CgroupLimits.contained
        limits.memory = 32 << 20
        limits.blkioWeight = 100
        let cg = try Cgroup.create(name: "silo-s2", layout: layout, limits: limits, fs: fs)
        let d = fs.base + "/cgroup/user.slice/silo-s2"
        fs.put(d + "/memory.current", "5000000\n")
        fs.put(d + "/memory.stat", "anon 100\nfile 200\ninactive_file 1000000\nactive_file 5\n")
        fs.put(d + "/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")
        fs.put(d + "/io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=5 wbytes=7 rios=1 wios=1 dbytes=0 dios=0\n")
        let s = cg.usage()
        #expect(s.memoryWorkingSet == 4_000_000)
        #expect(s.memoryLimit == 32 << 20)
        #expect(s.cpuUsageNanoseconds == 1_500_000)
        #expect(s.ioReadBytes == 105 && s.ioWriteBytes == 207)
    }

    @Test func ceilingIsTheLowestLimitOnTheWayUp() throws {
        let (fs, layout) = try trees.hybrid()
        fs.put(fs.base + "/cgroup/memory/process_api/memory.limit_in_bytes", "1073741824\n")
        fs.put(fs.base + "/cgroup/memory/process_api/abc/memory.limit_in_bytes", "536870912\n")
        let free = try Cgroup.create(name: "silo-c1", layout: layout, limits: .contained, fs: fs)
        #expect(free.memoryCeiling() == 512 << 20)
        var limits = CgroupLimits.contained
        limits.memory = 64 << 20
        let bound = try Cgroup.create(name: "silo-c2", layout: layout, limits: limits, fs: fs)
        #expect(bound.memoryCeiling() == 64 << 20)
        let (fs2, v2) = try trees.v2()
        #expect(try Cgroup.create(name: "silo-c3", layout: v2, limits: .contained, fs: fs2).memoryCeiling() == nil)
    }

    /// A run started from another memory cgroup than the caller's is found by walking.
    @Test func findsACgroupUnderAnotherCaller() throws {
        let (fs, layout) = try trees.hybrid()
        try fs.mkdir(fs.base + "/cgroup/memory/process_api/zzz")
        for d in ["memory/process_api/zzz", "pids", "freezer"] { try fs.mkdir(fs.base + "/cgroup/\(d)/silo-far") }
        #expect(Cgroup.open(name: "silo-far", layout: layout, fs: fs)?.places.count == 2)
        let cg = try #require(Cgroup.find(name: "silo-far", layout: layout, fs: fs))
        #expect(cg.places.map { fs.rel($0.directory) }.sorted() == ["/cgroup/freezer/silo-far", "/cgroup/memory/process_api/zzz/silo-far", "/cgroup/pids/silo-far"])
        #expect(Cgroup.find(name: "silo-nothere", layout: layout, fs: fs) == nil)
    }

    /// Foreground runs: a lock someone holds is a live run (shown), a free one a dead run's (not);
    /// a stored container (by id, name or prefix) comes from its record's cgroup paths, and a
    /// lock naming the same cgroup is not shown twice.
    @Test func targetsFromStoreAndLiveRuns() throws {
        let (fs, layout) = try trees.hybrid()
        let locks = StateTestSupport.tempDir("stats-locks"), root = StateTestSupport.tempDir("stats-store")
        defer { StateTestSupport.removeTree(locks); StateTestSupport.removeTree(root) }
        let live = try Cgroup.create(name: "silo-aaa111", layout: layout, limits: .contained, fs: fs)
        _ = try Cgroup.create(name: "silo-ddd444", layout: layout, limits: .contained, fs: fs)
        let web = try Cgroup.create(name: "silo-web1", layout: layout, limits: .contained, fs: fs)
        let dir = open(locks, O_RDONLY | O_DIRECTORY)
        defer { close(dir) }
        let held = try #require(try FileLock.tryLock("silo-aaa111", in: dir, object: "lock"))
        defer { close(held) }
        let deadFD = try #require(try FileLock.tryLock("silo-ddd444", in: dir, object: "lock"))
        close(deadFD)
        let webLock = try #require(try FileLock.tryLock("silo-web1", in: dir, object: "lock"))
        defer { close(webLock) }

        let store = try ContainerStateStore(root: root)
        try store.create(id: "web1")
        var rec = ContainerRecord(id: "web1", status: .running, pid: getpid(), bundle: "/b")
        rec.name = "web"
        rec.pidStartTime = try ProcStat.read(getpid()).startTime  // a pid without it is never taken as running
        rec.cgroupPaths = Dictionary(uniqueKeysWithValues: web.places.map { ($0.hierarchy.key, $0.directory) })
        try store.save(rec)
        try store.create(id: "old2")
        try store.save(ContainerRecord(id: "old2", status: .stopped, bundle: "/b"))

        let all = try ContainerStats.targets(ids: [], store: store, runLocks: locks, layout: layout, fs: fs)
        #expect(all.map(\.id) == ["aaa111", "web1"])
        #expect(all[0].cgroup?.places.map(\.directory) == live.places.map(\.directory))
        #expect(all[1].name == "web" && all[1].cgroup?.places.count == web.places.count)

        let picked = try ContainerStats.targets(ids: ["web", "aaa", "old2"], store: store, runLocks: locks, layout: layout, fs: fs)
        #expect(picked.map(\.id) == ["web1", "aaa111", "old2"])
        #expect(picked[2].cgroup == nil)
        #expect(throws: RuntimeError.self) { try ContainerStats.targets(ids: ["ddd444"], store: store, runLocks: locks, layout: layout, fs: fs) }

        let samples = ContainerStats.sample(all)
        #expect(samples[0].stats?.pidsLimit == 2048)
    }

    @Test func cpuShareBetweenTwoSamples() throws {
        let t = ContainerStats.Target(id: "x", name: nil, cgroup: nil)
        var a = ContainerStats.Sample(target: t, stats: CgroupStats(), memoryCeiling: nil, nanoseconds: 1_000_000_000)
        a.stats?.cpuUsageNanoseconds = 100_000_000
        var b = a
        b.nanoseconds = 2_000_000_000
        b.stats?.cpuUsageNanoseconds = 1_600_000_000
        #expect(ContainerStats.cpuPercent(from: a, to: b) == 150)
        #expect(ContainerStats.cpuPercent(from: nil, to: b) == nil)
    }
}

/// CPU time from /proc when the cgroup keeps none (v1 without cpuacct).
@Suite struct ProcessCPUTests {
    @Test func sumsOwnAndReapedChildrenTime() throws {
        let proc = StateTestSupport.tempDir("stats-proc")
        defer { StateTestSupport.removeTree(proc) }
        // A name with ") " in it: the fields are counted from the last ')'.
        let stat = "7 (a) R 1 (b) S 1 7 7 0 -1 4194560 100 0 0 0 120 30 40 10 20 0 1 0 555 0 0\n"
        try FileManager.default.createDirectory(atPath: proc + "/7", withIntermediateDirectories: true)
        try stat.write(toFile: proc + "/7/stat", atomically: true, encoding: .utf8)
        let tick = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        #expect(ContainerStats.processCPU([7, 8], proc: proc) == 200 * (1_000_000_000 / tick))
    }
}
