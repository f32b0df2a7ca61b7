import Foundation
import SiloSys
import Testing

@testable import SiloKit

/// A rootless run's cgroup (docs/rootless.md, "Cgroups") against fake cgroupfs trees: whether the
/// caller's v2 cgroup is delegated, what its controllers allow, the leaf the caller's processes
/// move to, and that everything silo made is gone afterwards. `writable` stands in for access(2)
/// as the caller: a path is writable when it is under one of `owned`.
@Suite struct CgroupDelegationTests {
    static let me = Rootless(uid: 1001, gid: 1001)

    struct Host {
        let fs: FakeCgroupTree
        let root: String
        /// The caller's v2 cgroup, `user.slice/user-1001.slice/app.scope` under the v2 mount.
        let own: String
        var owned: [String]
        var proc: String { fs.base + "/proc" }
        var locks: String { fs.base + "/locks" }

        func writable(_ path: String) -> Bool { owned.contains { path == $0 || path.hasPrefix($0 + "/") } }

        func make(_ limits: CgroupLimits) throws(RuntimeError) -> (RunCgroup, [Warning], note: String?) {
            try RunCgroup.make(rootless: CgroupDelegationTests.me, limits: limits, fs: fs, root: root, procSelf: proc,
                               lockDirectory: locks, writable: writable)
        }

        func children(_ dir: String) -> [String] { ((try? fs.list(dir)) ?? []).filter { fs.isDirectory(dir + "/" + $0) }.sorted() }
        func procs(_ dir: String) -> [String] { fs.words(dir + "/cgroup.procs") }
    }

    /// `v2`: a pure v2 host whose root enables `enabledAbove` for the caller's subtree. Else
    /// this machine's hybrid layout: memory and pids on v1, the v2 mount with hugetlb only.
    /// The caller's cgroup holds two processes (silo and its shell) and is delegated (owned).
    func host(v2: Bool = true, enabledAbove: [String] = ["memory", "pids"], delegated: Bool = true,
              callerCgroup: String = "user.slice/user-1001.slice/app.scope") throws -> Host {
        let fs = FakeCgroupTree()
        let r = fs.base + "/cgroup"
        let unified = v2 ? r : r + "/unified"
        if v2 {
            fs.magic = CgroupMagic.cgroup2
            fs.mount(r, version: 2, controllers: ["cpu", "io", "memory", "pids"])
        } else {
            for c in ["memory", "pids"] { fs.mount(r + "/" + c, version: 1, controllers: [c]) }
            fs.mount(unified, version: 2, controllers: ["hugetlb"])
        }
        var dir = unified
        for part in callerCgroup.split(separator: "/") {
            fs.put(dir + "/cgroup.subtree_control", enabledAbove.joined(separator: " ") + "\n")
            dir += "/" + part
            try fs.mkdir(dir)
        }
        let own = callerCgroup.hasSuffix(CgroupDelegation.leafName) ? String(dir[..<dir.lastIndex(of: "/")!]) : dir
        fs.put(dir + "/cgroup.procs", "100\n101\n")
        fs.put(fs.base + "/proc/cgroup", (v2 ? "" : "2:memory:/\n1:pids:/\n") + "0::/\(callerCgroup)\n")
        var mountinfo = "29 23 0:26 / \(unified) rw - cgroup2 cgroup2 rw,nsdelegate\n"
        if !v2 {
            mountinfo = "28 23 0:25 / \(r) rw - tmpfs tmpfs rw\n" + mountinfo
                + "30 28 0:27 / \(r)/memory rw - cgroup cgroup rw,memory\n31 28 0:28 / \(r)/pids rw - cgroup cgroup rw,pids\n"
        }
        fs.put(fs.base + "/proc/mountinfo", mountinfo)
        return Host(fs: fs, root: r, own: own, owned: delegated ? [own] : [])
    }

    /// The error `make` throws for `pairs`, nil when it made a cgroup (released at once).
    func refusal(_ h: Host, _ pairs: [(String, String)]) throws -> RuntimeError? {
        let l = try limits(pairs)
        do throws(RuntimeError) {
            var (c, _, _) = try h.make(l)
            c.release()
            return nil
        } catch { return error }
    }

    func limits(_ pairs: [(String, String)]) throws -> CgroupLimits {
        var l = CgroupLimits()
        for (k, v) in pairs { try l.set(k, v) }
        return l
    }

    @Test func aCgroupTheCallerCannotWriteIsNotDelegatedLimitsAreRefusedTheDefaultRunsWithout() throws {
        let h = try host(delegated: false)
        #expect(throws: CgroupError("no cgroup v2 subtree delegated to uid 1001: its cgroup \(h.own) is not writable by it (systemd's Delegate=yes makes it so)")) {
            try CgroupDelegation.find(layout: try CgroupLayout.detect(fs: h.fs, root: h.root, proc: h.proc), uid: 1001, fs: h.fs, writable: h.writable)
        }
        // The directory alone is not enough: cgroup.procs and cgroup.subtree_control too.
        var partly = h
        partly.owned = [h.own + "/cgroup.procs"]
        #expect(throws: RuntimeError.self) { try partly.make(try limits([("memory", "64m")])) }

        let e = try #require(try refusal(h, [("memory", "64m")]))
        #expect(e.code == .usage)
        #expect(e.message.hasPrefix("resource limits: no cgroup v2 subtree delegated to uid 1001"), "\(e.message)")
        #expect(e.message.hasSuffix("or as root"))
        let (c, warnings, note) = try h.make(CgroupLimits())
        #expect(c.cgroup == nil && warnings.isEmpty)
        #expect(note == "no cgroup of its own (no delegated cgroup v2 subtree: no default pids limit)")
        #expect(h.children(h.own).isEmpty && h.procs(h.own) == ["100", "101"])
    }

    /// This machine: the v2 mount has no memory or pids controller to give (they are v1's). The
    /// container still gets a cgroup of its own under the delegated one; --memory is refused
    /// saying so.
    @Test func onThisHybridHostTheContainerGetsACgroupButNoLimits() throws {
        let h = try host(v2: false, enabledAbove: [])
        #expect(try refusal(h, [("memory", "64m")])?.message == "--memory: no memory controller in the delegated cgroup \(h.own) (its cgroup.controllers: none; this host's memory controller is on cgroup v1, which cannot be delegated); run without --memory, or as root")
        #expect(h.children(h.own).isEmpty)

        var (c, warnings, note) = try h.make(CgroupLimits())
        let cg = try #require(c.cgroup)
        #expect(warnings.isEmpty)
        #expect(note == "its cgroup is under the delegated \(h.own), without the default pids limit (no pids controller there)")
        #expect(cg.layout.kind == .v2 && cg.places.map(\.directory) == [h.own + "/" + cg.name])
        #expect(c.cloneIntoFD >= 0)
        // Nothing had to be enabled: the caller's processes stay where they are.
        #expect(h.children(h.own) == [cg.name] && h.procs(h.own) == ["100", "101"])
        #expect(!h.fs.relativeWrites.contains { $0.contains("subtree_control") })
        c.release()
        #expect(h.children(h.own).isEmpty)
    }

    /// Pure v2 with memory and pids delegated: the caller's cgroup holds processes, so they move
    /// to a leaf before the controllers are enabled (EBUSY otherwise); the container's limits are
    /// written; at the end the controllers go off, the processes come back and the leaf goes.
    @Test func enablingControllersMovesTheCallersProcessesToALeafAndTheEndUndoesIt() throws {
        let h = try host()
        var (c, warnings, note) = try h.make(try limits([("memory", "64m")]))
        let cg = try #require(c.cgroup)
        #expect(warnings.isEmpty && note == nil)
        let leaf = h.own + "/" + CgroupDelegation.leafName
        #expect(h.children(h.own) == [cg.name, CgroupDelegation.leafName].sorted())
        #expect(h.procs(h.own).isEmpty && h.procs(leaf) == ["100", "101"])
        #expect(h.fs.words(h.own + "/cgroup.subtree_control") == ["memory", "pids"])
        let dir = h.fs.rel(cg.places[0].directory)
        #expect(h.fs.relativeWrites.contains("\(dir)/memory.max=\(64 << 20)"))
        #expect(h.fs.relativeWrites.contains("\(dir)/pids.max=2048"))
        #expect(c.delegation?.base == h.own)
        c.release()
        #expect(h.children(h.own).isEmpty)
        #expect(h.procs(h.own) == ["100", "101"])
        #expect(h.fs.words(h.own + "/cgroup.subtree_control").isEmpty)
    }

    /// Without the move the kernel refuses the controllers: the fake enforces the rule too.
    @Test func theFakeEnforcesTheNoInternalProcessesRule() throws {
        let h = try host()
        #expect(throws: SyscallError.self) { try h.fs.write(h.own + "/cgroup.subtree_control", "+pids") }
    }

    /// A later run from the leaf (the caller's shell was moved there) works under the same base
    /// and does not nest another leaf; while another container's cgroup is there, the end
    /// leaves the leaf and the controllers for the last run to undo.
    @Test func aRunFromTheLeafUsesItsParentAndTheLastRunUndoes() throws {
        let h = try host(callerCgroup: "user.slice/user-1001.slice/app.scope/" + CgroupDelegation.leafName)
        var owned = h
        owned.owned = [h.own]
        var (first, _, _) = try owned.make(try limits([("pids-limit", "64")]))
        let leaf = h.own + "/" + CgroupDelegation.leafName
        #expect(first.delegation?.base == h.own)
        // Enabled by the run that made the leaf, which is still running.
        #expect(h.fs.words(h.own + "/cgroup.subtree_control") == ["memory", "pids"])
        var (second, _, _) = try owned.make(CgroupLimits())
        let a = try #require(first.cgroup), b = try #require(second.cgroup)
        #expect(h.children(h.own) == [CgroupDelegation.leafName, a.name, b.name].sorted())
        #expect(h.children(leaf).isEmpty)
        first.release()
        #expect(h.children(h.own) == [CgroupDelegation.leafName, b.name].sorted())
        #expect(h.fs.words(h.own + "/cgroup.subtree_control") == ["memory", "pids"])
        second.release()
        #expect(h.children(h.own).isEmpty && h.procs(h.own) == ["100", "101"])
        #expect(h.fs.words(h.own + "/cgroup.subtree_control").isEmpty)
    }

    /// A delegated cgroup whose parent does not pass a controller on: the limit is refused
    /// naming it; a default limit is skipped.
    @Test func aControllerTheParentDoesNotEnableIsRefusedForALimitAndSkippedForADefault() throws {
        let h = try host(enabledAbove: ["pids"])
        let e = try #require(try refusal(h, [("cpus", "0.5")]))
        #expect(e.message.hasPrefix("--cpus/--cpu-shares: no cpu controller in the delegated cgroup \(h.own) (its cgroup.controllers: pids; the cgroup above does not enable it for this subtree)"), "\(e.message)")
        #expect(h.children(h.own).isEmpty && h.procs(h.own) == ["100", "101"])
        var (c, _, note) = try h.make(CgroupLimits())
        #expect(note == nil && c.cgroup != nil)
        #expect(h.fs.words(h.own + "/cgroup.subtree_control") == ["pids"])
        c.release()
        #expect(h.children(h.own).isEmpty && h.fs.words(h.own + "/cgroup.subtree_control").isEmpty)
    }

    /// Without mountinfo: on a v2 host the cgroup2 mount is the root and the caller's cgroup
    /// the 0:: line; anything unusual (no cgroup2 where systemd puts it, a path the mount does
    /// not hold) falls back to CgroupLayout.detect.
    @Test func theQuickLayoutReadsNoMountinfoAndFallsBackWhenUnsure() throws {
        let h = try host()
        let quick = try #require(CgroupDelegation.quickLayout(fs: h.fs, root: h.root, procSelf: h.proc))
        #expect(quick.kind == .v2 && quick.unified?.ownDirectory == h.own)
        let found = try CgroupDelegation.find(layout: quick, uid: 1001, fs: h.fs, writable: h.writable)
        #expect(found.base == h.own && found.available == ["memory", "pids"])
        h.fs.put(h.proc + "/cgroup", "0::/elsewhere\n")
        #expect(CgroupDelegation.quickLayout(fs: h.fs, root: h.root, procSelf: h.proc) == nil)
        let hybrid = try host(v2: false)
        #expect(CgroupDelegation.quickLayout(fs: hybrid.fs, root: hybrid.root, procSelf: hybrid.proc) == nil)  // the fake's statfs says tmpfs
    }

    @Test func noticeSaysWhatDiffersFromRoot() {
        #expect(Rootless(uid: 1, gid: 1, subUIDs: RootlessTests.range, subGIDs: RootlessTests.range).notice(cgroup: nil) == nil)
        let both = Self.me.notice(cgroup: "no cgroup of its own (x)")?.message ?? ""
        #expect(both.hasPrefix("rootless: uid 1001 has no range") && both.hasSuffix("; no cgroup of its own (x)"))
    }
}
