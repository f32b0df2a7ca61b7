#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `exec`: a new process in every namespace of a running container (docs/oci.md, "exec").
///
/// silo takes the init by pidfd (checked against its recorded start time), joins the PID and
/// time namespaces itself (they apply to children), forks, and the child joins the rest in one
/// setns through the same pidfd, becomes the process and execs. Must be called from a
/// single-threaded process: setns into a user or mount namespace refuses a threaded caller,
/// and the forked child runs Swift (docs/architecture.md, "The thread rule").
public enum ContainerExec {
    public static let stopped = RuntimeError(.runtime, "cannot exec in a stopped container")
    /// A process entering a frozen cgroup freezes before its execve, deaf to SIGTERM: refused, as runc.
    public static let paused = RuntimeError(.runtime, "cannot exec in a paused container (resume it first)")

    /// Runs the process; without `detach`, waits for it (forwarding signals) and returns its
    /// status or 128+signal; with `detach`, returns 0 once it runs, after writing the pid file.
    /// The process's failures before its execve come back as RuntimeError: `.notFound` for a
    /// command that is not there, `.cannotExecute` for one that cannot run.
    /// `childMemory`: `.shared` (the `silo` executable) clones the child with CLONE_VM
    /// (ExecSharedChild); a process that lives on after the exec keeps the copying fork.
    /// `store`: the one the caller already opened on `request.root` (the CLI's, which resolved
    /// a name with it), or nil to open it here; `record`: the container's, if the caller has read
    /// it already (the CLI, for the config's process), else read here.
    public static func run(_ request: ExecRequest, store: ContainerStateStore? = nil, record: ContainerRecord? = nil,
                           addCapabilities: [String] = [], childMemory: Launcher.ChildMemory = .copied) throws(RuntimeError) -> Int32 {
        try ContainerStateStore.validate(id: request.id)
        let store = if let store { store } else { try ContainerStateStore(root: request.root) }
        let loaded = if let record, record.id == request.id { record } else { try store.load(id: request.id) }
        guard let record = loaded, let initProcess = try ContainerLiveness.openInit(record) else { throw stopped }
        if ContainerCgroup.isFrozen(id: request.id)(record) { throw paused }
        let setgroups = (try? FileIO.read("/proc/\(initProcess.pid)/setgroups"))?.hasPrefix("deny") != true
        var plan = try ExecPlan.make(request, record: record, setgroupsAllowed: setgroups,
                                     lastCap: Capabilities.lastCap(), seccompFilter: try store.seccompFilter(of: record),
                                     addCapabilities: addCapabilities)
        let status = ProcessStatus.current()
        guard status.threads == 1 else { throw RuntimeError(.runtime, "exec: silo must be single-threaded to join a container's namespaces") }
        plan.process.ignoredSignals = status.ignoredSignals
        // Rootless, the caps over the container's PID and time namespaces are those of its user
        // namespace: the parent joins that one too (one setns enters it first), and the child
        // is then already in it.
        if !plan.parentNamespaces.isEmpty && plan.joinsUserNamespace && !HostIdentity.isRealRoot {
            plan.parentNamespaces.insert(.newUser)
            plan.childNamespaces.remove(.newUser)
        }

        let (console, relay) = try consoleFDs(request, terminal: plan.terminal)
        defer { if let console { close(console) } }
        defer { if relay >= 0 { close(relay) } }
        let cgroupProcs = openCgroupProcs(record)
        Trace.mark("exec: planned")
        defer { for fd in cgroupProcs { close(fd) } }

        let parentEnd: Int32, childEnd: Int32
        do { (parentEnd, childEnd) = try UnixSocket.seqpacketPair() } catch { throw RuntimeError(error) }
        defer { close(parentEnd) }

        var blocked = ForwardedSignals.withChild
        var previousMask = sigset_t()
        sigprocmask(SIG_BLOCK, &blocked, &previousMask)
        defer { sigprocmask(SIG_SETMASK, &previousMask, nil) }

        do throws(SyscallError) {
            if !plan.parentNamespaces.isEmpty { try initProcess.enterNamespaces(plan.parentNamespaces) }
        } catch {
            close(childEnd)
            throw RuntimeError(error, stage: .joinNamespaces)
        }
        let (pid, failure) = try startChild(plan, initProcess: initProcess, ends: (parentEnd, childEnd), console: console,
                                            cgroupFiles: cgroupProcs, childMemory: childMemory)
        Trace.mark("exec: child exec'd")
        if let failure {
            _ = ProcessWait.status(of: pid)
            throw failure.execError
        }
        if request.detach {
            if let path = request.pidFile { try ContainerStateStore.writePidFile(path, pid: pid) }
            return 0
        }
        if let path = request.pidFile { try ContainerStateStore.writePidFile(path, pid: pid) }
        if relay >= 0 { return try ExecTerminal.relay(request, pid: pid, consolePair: relay, blocked: blocked) }
        return SignalForwarder.forward(to: pid, waitingOn: blocked, reapAll: false)
    }
}

extension ContainerExec {
    /// The child, up to its execve; its error record instead when it failed before (nil: it
    /// exec'd). Closes the child's end of the sync socket.
    static func startChild(_ plan: ExecPlan, initProcess: Pidfd, ends: (parent: Int32, child: Int32), console: Int32?,
                           cgroupFiles: [Int32], childMemory: Launcher.ChildMemory) throws(RuntimeError) -> (pid_t, ErrorRecord?) {
        let run = { () -> Never in
            ExecChild.run(plan, initProcess: initProcess, syncFD: ends.child, consoleSocket: console, cgroupFiles: cgroupFiles)
        }
        guard childMemory == .shared else {
            let pid: pid_t
            do { pid = try Clone.fork([]) } catch {
                close(ends.child)
                throw RuntimeError(error, stage: .joinNamespaces)
            }
            if pid == 0 {
                close(ends.parent)
                run()
            }
            close(ends.child)
            return (pid, ErrorRecord.receive(fd: ends.parent))
        }
        let child: ExecSharedChild
        do { child = try ExecSharedChild(syncFD: ends.child, parentEnd: ends.parent, body: run) } catch {
            close(ends.child)
            throw RuntimeError(error)
        }
        defer { child.release() }
        let (pid, e) = child.clone()
        close(ends.child)
        if pid < 0 { throw RuntimeError(SyscallError("clone", errno: e), stage: .joinNamespaces) }
        switch child.acknowledgeAndAwaitExec(fd: ends.parent, pid: pid) {
        case .success(let record): return (pid, record)
        case .failure(let error): throw RuntimeError(error)
        }
    }

    /// The process's console end: connected to `--console-socket`, or for `exec -t` without
    /// one, a socket pair whose other end (`relay`, else -1) silo keeps to relay the pty.
    static func consoleFDs(_ request: ExecRequest, terminal: Bool) throws(RuntimeError) -> (console: Int32?, relay: Int32) {
        if let path = request.consoleSocket {
            do { return (try UnixSocket.connect(path), -1) } catch { throw RuntimeError(.runtime, "console socket \(path): \(error.reason)") }
        }
        guard terminal else { return (nil, -1) }
        let pair = try ExecTerminal.consolePair(request)
        return (pair.1, pair.0)
    }

    /// The files through which the child moves itself into the container's cgroups, opened
    /// now, as host root in the host's mount namespace: the kernel checks such a write against
    /// the opener's credentials. v1: `tasks`, since a thread writing "0" there moves itself
    /// without the cgroup-wide threadgroup lock, whose writers may wait for an RCU grace
    /// period (ms) and which every write of a pid to cgroup.procs takes; v2 has no `tasks`:
    /// cgroup.procs. Best effort, as before: a container made without cgroups has none recorded.
    static func openCgroupProcs(_ record: ContainerRecord) -> [Int32] {
        record.cgroupPaths.values.sorted().compactMap { dir -> Int32? in
            var fd = open(dir + "/tasks", O_WRONLY | O_CLOEXEC)
            if fd < 0 { fd = open(dir + "/cgroup.procs", O_WRONLY | O_CLOEXEC) }
            return fd >= 0 ? fd : nil
        }
    }
}

extension ErrorRecord {
    /// The message engines map to exit statuses: podman reads "no such file or directory" or
    /// "executable file not found in" as 127, "permission denied" as 126 (oci-research (c)).
    var execError: RuntimeError {
        guard stage == .exec else { return runtimeError }
        let cause = error.errno == ENOENT || error.errno == ENOTDIR
            ? (error.object.contains("/") ? "no such file or directory" : "executable file not found in $PATH: no such file or directory")
            : error.reason.lowercased()
        return RuntimeError(error.errno == ENOENT || error.errno == ENOTDIR ? .notFound : .cannotExecute,
                            "exec \(error.object): \(cause)", cause: error)
    }
}
