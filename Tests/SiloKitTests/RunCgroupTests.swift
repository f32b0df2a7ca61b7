import Foundation
import SiloSys
import Testing

@testable import SiloKit

/// `silo run`'s use of the cgroup layer, against a fake hybrid cgroupfs and a lock directory of
/// its own: what is made before clone, what the parent writes for the child, what a later run
/// sweeps.
@Suite struct ContainerCgroupTests {
    func hybrid() throws -> (FakeCgroupTree, CgroupLayout, String) {
        let (fs, layout) = try CgroupTreeTests().hybrid()
        return (fs, layout, fs.base + "/locks")
    }

    func lockExists(_ dir: String, _ name: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/" + name) }

    @Test func theDefaultContainerGetsItsOwnCgroupEverywhereWithThePidsLimit() throws {
        let (fs, layout, locks) = try hybrid()
        var (c, warnings) = try RunCgroup.make(limits: CgroupLimits(), layout: layout, fs: fs, lockDirectory: locks)
        #expect(warnings.isEmpty)
        let cg = try #require(c.cgroup)
        #expect(cg.name.hasPrefix("silo-") && Set(cg.places.map { $0.hierarchy.key }) == ["memory", "pids", "freezer"])
        #expect(fs.relativeWrites.contains("/cgroup/pids/\(cg.name)/pids.max=2048"))
        #expect(lockExists(locks, cg.name))
        c.release()
        #expect(Cgroup.names(prefix: "silo-", layout: layout, fs: fs).isEmpty)
        #expect(!lockExists(locks, cg.name))
    }

    /// Only the hierarchies the options need join the default three (each costs ~100 µs a start).
    @Test func theHierarchiesFollowTheOptions() throws {
        #expect(RunCgroup.hierarchies(for: CgroupLimits()) == ["memory", "pids", "freezer"])
        var l = CgroupLimits()
        try l.set("cpus", "0.5")
        try l.set("cpuset-cpus", "0")
        try l.set("blkio-weight", "100")
        #expect(RunCgroup.hierarchies(for: l) == ["memory", "pids", "freezer", "cpu", "cpuacct", "cpuset", "blkio"])
    }

    /// v1: the child moves itself, through `tasks` files the parent opened for it (no grace
    /// period); the parent writes nothing to the v1 cgroup.procs files.
    @Test func theChildGetsATasksFileForEveryV1Place() throws {
        let (fs, layout, locks) = try hybrid()
        var (c, _) = try RunCgroup.make(limits: CgroupLimits(), layout: layout, fs: fs, lockDirectory: locks)
        defer { c.release() }
        var trees: [Int32] = []
        let fds = try c.tasksFiles(trees: &trees)
        defer { for fd in fds { close(fd) } }
        let cg = try #require(c.cgroup)
        #expect(trees == fds && fds.count == cg.places.count)
        let opened = try fds.map { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
        #expect(Set(opened) == Set(cg.places.map { $0.directory + "/tasks" }))
        try c.enter(pid: 4242)
        #expect(!fs.relativeWrites.contains { $0.hasSuffix("cgroup.procs=4242") })
    }

    /// The parent's step before the ack on v2: the child's pid in cgroup.procs, then its OOM score.
    @Test func enterMovesTheChildOnV2ThenSetsItsOOMScore() throws {
        let (fs, layout) = try CgroupTreeTests().v2()
        var limits = CgroupLimits()
        try limits.set("oom-score-adj", "300", fs: fs)
        var (c, _) = try RunCgroup.make(limits: limits, layout: layout, fs: fs, lockDirectory: fs.base + "/locks")
        defer { c.release() }
        c.proc = fs.base + "/proc"
        fs.put(fs.base + "/proc/4242/oom_score_adj", "0\n")
        var trees: [Int32] = []
        #expect(try c.tasksFiles(trees: &trees).isEmpty)
        try c.enter(pid: 4242)
        let cg = try #require(c.cgroup)
        let joins = fs.relativeWrites.filter { $0.hasSuffix("/cgroup.procs=4242") }
        #expect(joins == [fs.rel(cg.places[0].directory) + "/cgroup.procs=4242"])
        #expect(fs.relativeWrites.last == "/proc/4242/oom_score_adj=300")
    }

    /// v2: the cgroup's directory is open for clone3(CLONE_INTO_CGROUP); a child born there is
    /// not moved again (no cgroup.procs write), only its OOM score set. Not on v1/hybrid, where
    /// the child moves itself through `tasks`.
    @Test func v2OpensTheCgroupForCloneIntoCgroupAndSkipsTheMove() throws {
        let (fs, layout) = try CgroupTreeTests().v2()
        var limits = CgroupLimits()
        try limits.set("oom-score-adj", "300", fs: fs)
        var (c, _) = try RunCgroup.make(limits: limits, layout: layout, fs: fs, lockDirectory: fs.base + "/locks")
        c.proc = fs.base + "/proc"
        fs.put(fs.base + "/proc/4242/oom_score_adj", "0\n")
        let cg = try #require(c.cgroup)
        let fd = c.cloneIntoFD
        #expect(fd >= 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") == cg.places[0].directory)
        try c.enter(pid: 4242, joined: true)
        #expect(!fs.relativeWrites.contains { $0.hasSuffix("cgroup.procs=4242") })
        #expect(fs.relativeWrites.last == "/proc/4242/oom_score_adj=300")
        c.release()
        #expect(c.cloneIntoFD == -1 && fcntl(fd, F_GETFD) == -1)

        let (hfs, hybrid, locks) = try hybrid()
        var (h, _) = try RunCgroup.make(limits: CgroupLimits(), layout: hybrid, fs: hfs, lockDirectory: locks)
        defer { h.release() }
        #expect(h.cgroup != nil && h.cloneIntoFD == -1)
    }

    @Test func theEndReportsTheKernelsCountsThenRemovesTheCgroup() throws {
        let (fs, layout, locks) = try hybrid()
        var limits = CgroupLimits()
        try limits.set("memory", "64m", fs: fs)
        var (c, _) = try RunCgroup.make(limits: limits, layout: layout, fs: fs, lockDirectory: locks)
        let cg = try #require(c.cgroup)
        let mem = try #require(cg.places.first { $0.hierarchy.controllers == ["memory"] }).directory
        let pids = try #require(cg.places.first { $0.hierarchy.controllers == ["pids"] }).directory
        fs.put(mem + "/memory.limit_in_bytes", "\(64 << 20)\n")
        fs.put(mem + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        fs.put(pids + "/pids.events", "max 5\n")
        let end = c.finish()
        let r = try #require(end)
        #expect(r.outOfMemory && r.memoryLimit == 64 << 20 && r.forksRefused == 5 && r.pidsLimit == 2048)
        #expect(Cgroup.open(name: cg.name, layout: layout, fs: fs) == nil)
    }

    /// A host where the cgroup cannot be made: the default container runs with a warning, a
    /// container that asked for a limit does not run.
    @Test func anUnusableHostSkipsTheDefaultButRefusesAnExplicitLimit() throws {
        let (fs, layout, locks) = try hybrid()
        let failing = FailingMkdir(fs)
        let (c, warnings) = try RunCgroup.make(limits: CgroupLimits(), layout: layout, fs: failing, lockDirectory: locks)
        #expect(c.cgroup == nil && warnings.count == 1)
        #expect(warnings.first?.message.contains("without a cgroup of its own") == true)
        var limits = CgroupLimits()
        try limits.set("pids-limit", "32", fs: fs)
        #expect(throws: RuntimeError.self) { try RunCgroup.make(limits: limits, layout: layout, fs: failing, lockDirectory: locks) }
        try limits.set("pids-limit", "0", fs: fs)
        #expect(try RunCgroup.make(limits: limits, layout: layout, fs: failing, lockDirectory: locks).0.cgroup == nil)
    }

    /// The sweep removes a `silo-*` cgroup only when silo run made it (its lock file exists), no
    /// live silo holds the lock, and it has no processes.
    @Test func theSweepRemovesOnlyDeadContainersCgroups() throws {
        let (fs, layout, locks) = try hybrid()
        var (alive, _) = try RunCgroup.make(limits: CgroupLimits(), layout: layout, fs: fs, lockDirectory: locks)
        defer { alive.release() }
        var (dead, _) = try RunCgroup.make(limits: CgroupLimits(), layout: layout, fs: fs, lockDirectory: locks)
        var (busy, _) = try RunCgroup.make(limits: CgroupLimits(), layout: layout, fs: fs, lockDirectory: locks)
        let deadName = try #require(dead.cgroup?.name), busyName = try #require(busy.cgroup?.name)
        try busy.cgroup?.join(pid: 99)
        // Their silos died: the locks are gone with their fds, the directories stay.
        close(dead.lockFD)
        close(busy.lockFD)
        let foreign = try Cgroup.create(name: "silo-oci", layout: layout, limits: .contained, fs: fs)
        // A silo killed between its lock and its mkdir (or its rmdir and its unlink).
        FileManager.default.createFile(atPath: locks + "/silo-orphan", contents: nil)
        let dir = open(locks, O_RDONLY | O_DIRECTORY)
        defer { close(dir) }
        _ = RunCgroup.sweep(layout: layout, lockDirectory: dir, path: locks, fs: fs)
        #expect(!lockExists(locks, "silo-orphan") && lockExists(locks, busyName))
        let left = Cgroup.names(prefix: "silo-", layout: layout, fs: fs)
        #expect(!left.contains(deadName) && !lockExists(locks, deadName))
        #expect(left.contains(try #require(alive.cgroup?.name)))
        #expect(left.contains(busyName) && left.contains("silo-oci"))
        try foreign.remove(killing: true)
        try Cgroup.open(name: busyName, layout: layout, fs: fs)?.remove(killing: true)
    }
}

extension ContainerCgroupTests {
    /// A dead run started from another memory cgroup (this host gives each session its own):
    /// the sweep removes its memory directory there too, not only the hierarchies where both
    /// callers sit at the root, before it unlinks the lock.
    @Test func theSweepRemovesADeadRunsCgroupUnderAnotherCaller() throws {
        let (fs, layout, locks) = try hybrid()
        try fs.mkdir(fs.base + "/cgroup/memory/process_api/other")
        for d in ["memory/process_api/other", "pids", "freezer"] { try fs.mkdir(fs.base + "/cgroup/\(d)/silo-elsewhere") }
        try FileManager.default.createDirectory(atPath: locks, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: locks + "/silo-elsewhere", contents: nil))
        let dir = open(locks, O_RDONLY | O_DIRECTORY)
        defer { close(dir) }
        _ = RunCgroup.sweep(layout: layout, lockDirectory: dir, path: locks, fs: fs)
        #expect(!fs.isDirectory(fs.base + "/cgroup/memory/process_api/other/silo-elsewhere"))
        #expect(!fs.isDirectory(fs.base + "/cgroup/pids/silo-elsewhere"))
        #expect(!lockExists(locks, "silo-elsewhere"))
    }
}

/// mkdir refused as for a caller without write access to its cgroup.
struct FailingMkdir: CgroupFS {
    let base: FakeCgroupTree
    init(_ base: FakeCgroupTree) { self.base = base }
    func read(_ path: String) throws(SyscallError) -> String { try base.read(path) }
    func write(_ path: String, _ value: String) throws(SyscallError) { try base.write(path, value) }
    func mkdir(_ path: String) throws(SyscallError) { throw SyscallError("mkdir", errno: EACCES, object: path) }
    func rmdir(_ path: String) throws(SyscallError) { try base.rmdir(path) }
    func list(_ path: String) throws(SyscallError) -> [String] { try base.list(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func filesystemType(_ path: String) throws(SyscallError) -> Int64 { try base.filesystemType(path) }
    func deviceNumber(_ path: String) throws(SyscallError) -> (major: UInt32, minor: UInt32) { try base.deviceNumber(path) }
    func kill(_ pid: Int32, signal: Int32) throws(SyscallError) { try base.kill(pid, signal: signal) }
    func sleep(microseconds: UInt32) {}
}
