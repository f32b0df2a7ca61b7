import SiloSys
import Testing

@testable import SiloKit

/// The child's hardening steps, in order, over a fake kernel.
@Suite struct HardeningOrderTests {
    /// Records the calls the hardening tail of ContainerInit.prepare() makes.
    private final class Recorder: Syscalls {
        var calls: [String] = []
        var failSeccomp = false
        func mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?) throws { calls.append("mount") }
        func umount(_ target: String, detach: Bool) throws { calls.append("umount") }
        func moveMount(fd: Int32, to target: String) throws {}
        func mountSetattr(_ path: String, recursive: Bool, set: MountAttr, clear: MountAttr) throws {}
        func mkdir(_ path: String, mode: UInt32) throws {}
        func createFile(_ path: String) throws {}
        func fileKind(_ path: String) -> FileKind? { .directory }
        func symlink(_ target: String, at path: String) throws {}
        func chdir(_ path: String) throws {}
        func getcwd() throws -> String { "/" }
        func pivotRoot(newRoot: String, putOld: String) throws { calls.append("pivot_root") }
        func sethostname(_ name: String) throws {}
        func setresgid(_ gid: UInt32) throws { calls.append("setresgid \(gid)") }
        func setresuid(_ uid: UInt32) throws { calls.append("setresuid \(uid)") }
        func setgroups(_ groups: [UInt32]) throws { calls.append("setgroups") }
        func unshare(_ namespaces: CloneFlags) throws {}
        func writeFile(_ path: String, _ contents: String) throws {}
        func setLoopbackUp() throws {}
        func setsid() throws { calls.append("setsid") }
        func setrlimit(resource: Int32, soft: UInt64, hard: UInt64) throws { calls.append("setrlimit \(resource) \(soft) \(hard)") }
        func dropBoundingCapability(_ cap: Int32) throws { calls.append("capbset_drop") }
        func setKeepCaps(_ on: Bool) throws { calls.append("keepcaps \(on)") }
        func clearAmbientCapabilities() throws { calls.append("ambient_clear") }
        func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws {
            calls.append("capset e=\(String(effective, radix: 16)) p=\(String(permitted, radix: 16)) i=\(inheritable)")
        }
        func setDumpable(_ on: Bool) throws {}
        func setNoNewPrivs() throws { calls.append("no_new_privs") }
        func setParentDeathSignal(_ signal: Int32) throws { calls.append("pdeathsig") }
        func peerHasClosed(_ fd: Int32) -> Bool { false }
        func resetSignals(ignored: UInt64) throws { calls.append("signals") }
        func closeOnExec(from first: Int32) throws { calls.append("close_range \(first)") }
        func loadSeccomp(filter: [UInt8]) throws {
            calls.append("seccomp \(filter.count / 8)")
            if failSeccomp { throw SyscallError("seccomp", errno: 22) }
        }
        func execve(_ path: String, _ argv: [String], _ envp: [String]) -> SyscallError { SyscallError("exec", errno: 2, object: path) }
    }

    static func plan(noNewPrivs: Bool, uid: UInt32 = 0) -> ContainerPlan {
        var p = ContainerPlan(mounts: MountPlan(newRoot: "/r"), argv: ["true"], env: [], searchPath: ["/bin"])
        p.bringLoopbackUp = false
        p.noNewPrivs = noNewPrivs
        p.uid = uid
        p.gid = uid
        p.groups = nil
        p.rlimits = [Rlimit(resource: 7, name: "nofile", soft: 64, hard: 128)]
        p.capabilities = Capabilities.state(Capabilities.defaultMask, uid: uid, lastCap: 40)
        p.seccompFilter = [UInt8](repeating: 0, count: 16)
        return p
    }

    /// The calls from the rlimits on, with the bounding-set drops folded into one entry.
    static func tail(_ calls: [String]) -> [String] {
        var out: [String] = []
        for c in calls.drop(while: { !$0.hasPrefix("setrlimit") }) where !(c == "capbset_drop" && out.last == c) { out.append(c) }
        return out
    }

    @Test func seccompIsLastBeforeExecWithNoNewPrivs() throws {
        let sys = Recorder()
        try ContainerInit(plan: Self.plan(noNewPrivs: true), sys: sys).prepare()
        #expect(Self.tail(sys.calls) == [
            "setrlimit 7 64 128", "setsid", "capbset_drop", "capset e=a80425fb p=a80425fb i=0", "ambient_clear", "pdeathsig",
            "signals", "close_range 3", "no_new_privs", "seccomp 2",
        ])
    }

    /// Without no_new_privs the filter needs CAP_SYS_ADMIN to load, so it goes in before the
    /// capabilities are dropped.
    @Test func seccompBeforeTheCapabilityDropWithoutNoNewPrivs() throws {
        let sys = Recorder()
        try ContainerInit(plan: Self.plan(noNewPrivs: false), sys: sys).prepare()
        #expect(Self.tail(sys.calls) == [
            "setrlimit 7 64 128", "setsid", "seccomp 2", "capbset_drop", "capset e=a80425fb p=a80425fb i=0", "ambient_clear",
            "pdeathsig", "signals", "close_range 3",
        ])
    }

    @Test func nonRootUserKeepsNoCapabilities() throws {
        let sys = Recorder()
        try ContainerInit(plan: Self.plan(noNewPrivs: true, uid: 1000), sys: sys).prepare()
        #expect(Self.tail(sys.calls) == [
            "setrlimit 7 64 128", "setsid", "capbset_drop", "keepcaps true", "setresgid 1000", "setresuid 1000", "keepcaps false",
            "capset e=0 p=0 i=0", "ambient_clear", "pdeathsig", "signals", "close_range 3", "no_new_privs", "seccomp 2",
        ])
    }

    @Test func unconfinedLoadsNoFilter() throws {
        let sys = Recorder()
        var plan = Self.plan(noNewPrivs: true)
        plan.seccompFilter = nil
        plan.newSession = false
        try ContainerInit(plan: plan, sys: sys).prepare()
        #expect(!sys.calls.contains { $0.hasPrefix("seccomp") })
        #expect(!sys.calls.contains("setsid"))
    }

    @Test func seccompFailureIsReportedAsItsStage() {
        let sys = Recorder()
        sys.failSeccomp = true
        do {
            try ContainerInit(plan: Self.plan(noNewPrivs: true), sys: sys).prepare()
            Issue.record("no error")
        } catch {
            #expect(error.stage == .seccomp)
            #expect(error.error.errno == 22)
        }
    }

    @Test func boundingSetDropsEverythingOutsideTheSet() throws {
        let sys = Recorder()
        try ContainerInit(plan: Self.plan(noNewPrivs: true), sys: sys).prepare()
        // 41 capabilities, 14 kept.
        #expect(sys.calls.filter { $0 == "capbset_drop" }.count == 41 - 14)
    }
}
