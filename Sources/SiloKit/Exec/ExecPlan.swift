#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// Everything the exec'd process does, decided by silo before it forks: the child only
/// replays it (docs/architecture.md, "The thread rule"). Its `process` part is the same
/// ContainerPlan the init of `silo run` replays, so the user switch and the capability sets
/// go through the same code (ContainerInit.switchUserAndCapabilities, ContainerInit.exec).
public struct ExecPlan: Sendable {
    public var process: ContainerPlan
    public var umask: UInt32 = 0o022
    /// Joined by silo before the fork: these apply to its children only (pid, time), and silo
    /// itself stays in the host's mount and user namespaces, where the pid file, the cgroup and
    /// the console socket paths mean what the caller meant.
    public var parentNamespaces: CloneFlags = []
    /// Joined by the child in one setns (the user namespace first): user, mnt, net, uts, ipc, cgroup.
    public var childNamespaces: CloneFlags = []
    public var terminal = false
    public var consoleSize: (rows: UInt16, columns: UInt16)?
    public var preserveFds: Int32 = 0
    public var stdinFromNull = false

    public var joinsUserNamespace: Bool { childNamespaces.contains(.newUser) }

    /// `setgroupsAllowed`: /proc/INIT/setgroups of a container with a user namespace reads
    /// "allow" (setgroups(2) is refused in the namespace otherwise).
    /// `seccompFilter`: the container's own (ContainerStateStore.seccompFilter), nil for none.
    public static func make(_ request: ExecRequest, record: ContainerRecord, setgroupsAllowed: Bool,
                            lastCap: Int32, seccompFilter: [UInt8]?, addCapabilities: [String] = []) throws(RuntimeError) -> ExecPlan {
        let p = request.process
        guard !p.args.isEmpty, !p.args[0].isEmpty else { throw RuntimeError(.usage, "exec: no command given (args is empty)") }
        guard p.cwd.hasPrefix("/") else { throw RuntimeError(.usage, "exec: cwd \(p.cwd): not an absolute path") }
        if !p.terminal && request.consoleSocket != nil {
            throw RuntimeError(.usage, "exec --console-socket needs --tty (process.terminal)")
        }
        guard request.preserveFds >= 0 else { throw RuntimeError(.usage, "exec --preserve-fds \(request.preserveFds): not a count") }

        let pathValue = p.env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? RunConfig.defaultPath
        var cp = ContainerPlan(mounts: MountPlan(newRoot: ""), argv: p.args, env: p.env,
                               searchPath: pathValue.split(separator: ":").map(String.init))
        cp.workdir = p.cwd
        cp.uid = p.user.uid
        cp.gid = p.user.gid
        if setgroupsAllowed {
            cp.groups = p.user.additionalGids
        } else if p.user.additionalGids.isEmpty {
            cp.groups = nil
        } else {
            throw RuntimeError(.usage, "exec: user.additionalGids: setgroups is denied in the container's user namespace")
        }
        cp.capabilities = try capabilities(p, adding: addCapabilities, lastCap: lastCap)
        cp.rlimits = try rlimits(p.rlimits)
        cp.noNewPrivs = p.noNewPrivileges
        // process.json has no seccomp member: the container's filter, as runc gives the config's.
        cp.seccompFilter = seccompFilter
        cp.newSession = !p.terminal && (isatty(0) == 0 || request.stdinFromNull)

        var plan = ExecPlan(process: cp)
        plan.umask = p.user.umask ?? 0o022
        plan.terminal = p.terminal
        if let s = p.consoleSize { plan.consoleSize = (UInt16(clamping: s.height), UInt16(clamping: s.width)) }
        plan.preserveFds = request.preserveFds
        plan.stdinFromNull = request.stdinFromNull && !p.terminal
        for name in record.namespaces {
            guard let kind = NamespaceKind(rawValue: name) else {
                throw RuntimeError(.runtime, "state of \(record.id): namespaces: unknown namespace \"\(name)\"")
            }
            if kind == .pid || kind == .time { plan.parentNamespaces.insert(kind.cloneFlag) } else { plan.childNamespaces.insert(kind.cloneFlag) }
        }
        return plan
    }

    /// The process's sets: process.json's when it has `capabilities` (absent sets are empty, as
    /// the spec says; the ambient set is not raised, see docs/oci.md), else silo run's default
    /// (Docker's 14). `--cap` adds to the bounding, effective and permitted sets.
    static func capabilities(_ p: OCISpec.Process, adding extra: [String], lastCap: Int32) throws(RuntimeError) -> CapabilityState {
        func mask(_ names: [String]?, _ what: String) throws(RuntimeError) -> UInt64 {
            var m: UInt64 = 0
            for name in names ?? [] {
                guard let n = Capabilities.number(name) else { throw RuntimeError(.usage, "exec: \(what): unknown capability \(name)") }
                if n <= lastCap { m |= 1 << UInt64(n) }
            }
            return m
        }
        let added = try mask(extra, "--cap")
        var state: CapabilityState
        if let c = p.capabilities {
            state = CapabilityState(bounding: try mask(c.bounding, "capabilities.bounding"),
                                    effective: try mask(c.effective, "capabilities.effective"),
                                    permitted: try mask(c.permitted, "capabilities.permitted"),
                                    inheritable: try mask(c.inheritable, "capabilities.inheritable"), lastCap: lastCap)
        } else {
            let all: UInt64 = lastCap >= 63 ? ~0 : (UInt64(1) << UInt64(lastCap + 1)) - 1
            state = Capabilities.state(Capabilities.defaultMask & all, uid: p.user.uid, lastCap: lastCap)
        }
        state.bounding |= added
        state.effective |= added
        state.permitted |= added
        return state
    }

    static func rlimits(_ list: [OCISpec.Rlimit]) throws(RuntimeError) -> [Rlimit] {
        var out: [Rlimit] = []
        for r in list {
            guard let n = OCISpec.rlimitTypes.firstIndex(of: r.type) else { throw RuntimeError(.usage, "exec: rlimits: unknown type \(r.type)") }
            out.append(Rlimit(resource: Int32(n), name: r.type, soft: r.soft, hard: r.hard))
        }
        return out
    }
}
