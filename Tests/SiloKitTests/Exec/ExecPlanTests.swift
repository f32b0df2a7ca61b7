import Testing
@testable import SiloKit
import SiloSpec
import SiloSys

/// What `exec` decides before it forks: which namespaces silo joins and which the child does,
/// the process's sets and limits, and what it refuses.
@Suite struct ExecPlanTests {
    static func record(_ namespaces: [String]) -> ContainerRecord {
        var r = ContainerRecord(id: "c1", status: .running, pid: 1, pidStartTime: 1, bundle: "/b")
        r.namespaces = namespaces
        return r
    }

    static func plan(_ p: OCISpec.Process, namespaces: [String] = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"],
                     console: String? = nil, setgroups: Bool = true, caps: [String] = [],
                     seccomp: [UInt8]? = [0, 0, 0, 0, 0, 0, 0xff, 0x7f]) throws(RuntimeError) -> ExecPlan {
        var request = ExecRequest(id: "c1", process: p)
        request.consoleSocket = console
        return try ExecPlan.make(request, record: record(namespaces), setgroupsAllowed: setgroups, lastCap: 40, seccompFilter: seccomp,
                                 addCapabilities: caps)
    }

    @Test func pidAndTimeAreSilosTheRestTheChilds() throws {
        let plan = try Self.plan(ExecRequest.defaultProcess(args: ["true"]))
        #expect(plan.parentNamespaces == [.newPID, .newTime])
        #expect(plan.childNamespaces == [.newUser, .newNS, .newNet, .newUTS, .newIPC, .newCgroup])
        #expect(plan.joinsUserNamespace)
        let shared = try Self.plan(ExecRequest.defaultProcess(args: ["true"]), namespaces: ["mnt", "uts"])
        #expect(shared.parentNamespaces.isEmpty)
        #expect(shared.childNamespaces == [.newNS, .newUTS])
        #expect(!shared.joinsUserNamespace)
    }

    @Test func defaultsAreSiloRunsAndCapAdds() throws {
        let plan = try Self.plan(ExecRequest.defaultProcess(args: ["ls"]), caps: ["NET_ADMIN"])
        let netAdmin = UInt64(1) << 12
        #expect(plan.process.capabilities?.bounding == Capabilities.defaultMask | netAdmin)
        #expect(plan.process.capabilities?.effective == Capabilities.defaultMask | netAdmin)
        #expect(plan.process.capabilities?.inheritable == 0)
        #expect(plan.process.noNewPrivs)
        #expect(plan.process.seccompFilter != nil)
        #expect(plan.process.searchPath.contains("/bin"))
        #expect(plan.umask == 0o022)
    }

    @Test func processFileSetsAreTaken() throws {
        var p = OCISpec.Process()
        p.args = ["sh"]
        p.env = ["PATH=/opt/bin:/bin"]
        p.user.uid = 1000
        p.user.gid = 100
        p.user.umask = 0o027
        p.user.additionalGids = [5]
        var c = OCISpec.Capabilities()
        c.bounding = ["CAP_KILL", "CAP_CHOWN"]
        c.permitted = ["CAP_KILL"]
        p.capabilities = c
        p.rlimits = [OCISpec.Rlimit(type: "RLIMIT_NOFILE", hard: 200, soft: 100)]
        let plan = try Self.plan(p)
        #expect(plan.process.capabilities == CapabilityState(bounding: 0x21, effective: 0, permitted: 0x20, inheritable: 0, lastCap: 40))
        #expect(plan.process.rlimits == [Rlimit(resource: 7, name: "RLIMIT_NOFILE", soft: 100, hard: 200)])
        #expect(plan.process.searchPath == ["/opt/bin", "/bin"])
        #expect(plan.process.groups == [5])
        #expect((plan.process.uid, plan.process.gid, plan.umask) == (1000, 100, 0o027))
        #expect(!plan.process.noNewPrivs)
    }

    @Test func refusals() {
        // A terminal without a console socket is silo's own relay now (ExecTerminal): planned.
        var tty = ExecRequest.defaultProcess(args: ["sh"])
        tty.terminal = true
        #expect((try? Self.plan(tty))?.terminal == true)
        #expect(throws: RuntimeError.self) { try Self.plan(ExecRequest.defaultProcess(args: ["sh"]), console: "/tmp/s") }
        #expect(throws: RuntimeError.self) { try Self.plan(ExecRequest.defaultProcess(args: [])) }
        var relative = ExecRequest.defaultProcess(args: ["sh"])
        relative.cwd = "tmp"
        #expect(throws: RuntimeError.self) { try Self.plan(relative) }
        var groups = ExecRequest.defaultProcess(args: ["sh"])
        groups.user.additionalGids = [5]
        #expect(throws: RuntimeError.self) { try Self.plan(groups, setgroups: false) }
        #expect((try? Self.plan(ExecRequest.defaultProcess(args: ["sh"]), setgroups: false))?.process.groups == nil)
        #expect(throws: RuntimeError.self) { try Self.plan(ExecRequest.defaultProcess(args: ["sh"]), namespaces: ["bogus"]) }
    }
}
