#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The parent's side of `silo run`: validates and plans everything, clones the child into its
/// namespaces, writes the id maps, idmaps the rootfs, then forwards signals and waits.
/// Must be called from a single-threaded process (see docs/architecture.md).
public struct Launcher {
    /// How the container's first process gets its memory between clone and execve.
    public enum ChildMemory: Sendable {
        /// A copy-on-write copy, as fork gives. For a process that runs many containers.
        case copied
        /// The parent's own memory (CLONE_VM): about 0.5 ms faster per start, but what the
        /// child allocates before its execve is never freed (about 14 KiB per container,
        /// `benchmarks/heap-probe`). For a process that exits after its container, as the
        /// `silo` executable does.
        case shared
    }

    public let config: RunConfig
    public let childMemory: ChildMemory
    /// What waits once the command runs, instead of forwarding signals to it: a detached
    /// container's monitor (Detached/DetachedMonitor.swift), given the pty master with -t.
    /// Returns the exit status.
    var supervise: ((pid_t, Int32?) -> Int32)?

    public init(_ config: RunConfig, childMemory: ChildMemory = .copied) {
        self.config = config
        self.childMemory = childMemory
    }

    /// Everything before clone: the plan, the trees, the network. Nothing runs yet; what the
    /// caller should be told comes back in `warnings`.
    public func prepare() throws(RuntimeError) -> Preparation {
        Trace.mark("run")
        return try Preparation.make(config)
    }

    /// Prepares and runs the container to completion; see `run(_:)`.
    public func run() throws(RuntimeError) -> Int32 {
        var prepared = try prepare()
        return try run(&prepared)
    }

    /// Runs a prepared container to completion and returns silo's exit status: the command's
    /// status, or 128+signal. Releases what `prepare` opened, whatever happens.
    public func run(_ prepared: inout Preparation) throws(RuntimeError) -> Int32 {
        defer { prepared.closeAll() }

        let status = ProcessStatus.current()
        guard status.threads == 1 else {
            throw RuntimeError(.runtime, "run: the launcher must be single-threaded to clone safely")
        }
        prepared.plan.ignoredSignals = status.ignoredSignals
        Trace.mark("thread count checked")

        let parentEnd: Int32, childEnd: Int32
        do { (parentEnd, childEnd) = try UnixSocket.seqpacketPair() } catch { throw RuntimeError(error) }
        prepared.plan.syncFD = childEnd
        var terminal: RunTerminal
        do { terminal = try RunTerminal.make(config, plan: &prepared.plan) } catch {
            close(parentEnd)
            close(childEnd)
            throw error
        }
        defer { terminal.close() }

        var blocked = ForwardedSignals.withChild
        var previousMask = sigset_t()
        sigprocmask(SIG_BLOCK, &blocked, &previousMask)
        defer { sigprocmask(SIG_SETMASK, &previousMask, nil) }

        Trace.mark("socketpair, signals blocked")
        // --init keeps a reaper running in the child after the parent resumes, so that child
        // always gets its own (copy-on-write) memory; so does a child born in its v2 cgroup
        // (clone3 with CLONE_VM would need an assembly trampoline; the copy costs ~0.5 ms, a
        // cold cgroup.procs write ~12 ms: docs/cgroups.md).
        let exitStatus = prepared.plan.useInit || childMemory == .copied || prepared.cgroup.cloneIntoFD >= 0
            ? try runForked(&prepared, parentEnd: parentEnd, childEnd: childEnd, terminal: &terminal, blocked: blocked)
            : try runSharingMemory(&prepared, parentEnd: parentEnd, childEnd: childEnd, terminal: &terminal, blocked: blocked)
        prepared.resources = prepared.cgroup.finish()
        return exitStatus
    }

    /// The child shares the parent's memory (CLONE_VM) until its execve, so neither pays a
    /// copy-on-write fault for every page it writes, and the execve drops a reference to the
    /// parent's address space instead of tearing down a copy of it (docs/architecture.md,
    /// docs/performance.md). The two never run at once: the child waits for the ack before it
    /// touches memory; the parent, after the ack, waits for the socket's EOF (the child's exec
    /// or exit) without touching any.
    private func runSharingMemory(_ prepared: inout Preparation, parentEnd: Int32, childEnd: Int32,
                                  terminal: inout RunTerminal, blocked: sigset_t) throws(RuntimeError) -> Int32 {
        // Rootless with its own ids alone and nothing else for the parent to do: the child maps
        // itself and runs straight to its execve while the parent sleeps (CLONE_VFORK). No ack:
        // on a busy machine each hand-over between the two waits for a CPU (docs/rootless.md).
        let ownMaps = prepared.childMapsItself
        if ownMaps { prepared.plan.ownMaps = (IDMap.render(prepared.idmap.uids), IDMap.render(prepared.idmap.gids)) }
        var child: SharedMemoryChild
        do throws(SyscallError) {
            child = try SharedMemoryChild(plan: prepared.plan, parentEnd: parentEnd)
        } catch {
            close(parentEnd)
            close(childEnd)
            throw RuntimeError(error)
        }
        defer { child.release() }
        let pid = child.clone(flags: ownMaps ? prepared.cloneFlags.union(.vfork) : prepared.cloneFlags)
        close(childEnd)
        terminal.closeChildEnd()
        defer { close(parentEnd) }
        if pid < 0 { throw RuntimeError(SyscallError("clone", errno: child.cloneErrno)) }
        Trace.mark("clone")

        if !ownMaps {
            do throws(SyscallError) {
                try prepared.configureChild(pid: pid)
                Trace.mark("id maps, idmapped rootfs")
            } catch {
                ProcessWait.killAndReap(pid)
                throw RuntimeError(error)
            }
            try enterCgroup(prepared, pid: pid)
        }
        let outcome = child.acknowledgeAndAwaitExec(fd: parentEnd, pid: pid, acknowledging: !ownMaps)
        prepared.closeTrees()
        switch outcome {
        case .execed:
            break
        case .failed(let length):
            _ = ProcessWait.status(of: pid)
            throw child.record(length: length).runtimeError
        case .lost(let call, let e):
            throw RuntimeError(SyscallError(call, errno: e, object: "sync socket"))
        }
        return awaitExit(of: pid, terminal: terminal, blocked: blocked)
    }

    /// The child joins its cgroup before the ack: nothing of the user's runs outside it, and its
    /// cgroup namespace (unshared after the ack) is rooted there. On failure the child is killed;
    /// `closeAll` removes the cgroup.
    private func enterCgroup(_ prepared: Preparation, pid: pid_t, joined: Bool = false) throws(RuntimeError) {
        do { try prepared.cgroup.enter(pid: pid, joined: joined) } catch {
            ProcessWait.killAndReap(pid)
            throw error
        }
        Trace.mark("cgroup joined")
    }

    /// The container's command runs: forward signals to it until it exits.
    private func awaitExit(of pid: pid_t, terminal: RunTerminal, blocked: sigset_t) -> Int32 {
        Trace.mark("child exec'd (sync socket EOF)")
        if let supervise { return supervise(pid, terminal.receiveMaster()) }
        let status = terminal.awaitExit(of: pid, blocked: blocked)
        Trace.mark("container exited")
        return status
    }

    /// A fork-like clone: the child gets a copy-on-write copy of the parent's memory.
    private func runForked(_ prepared: inout Preparation, parentEnd: Int32, childEnd: Int32,
                           terminal: inout RunTerminal, blocked: sigset_t) throws(RuntimeError) -> Int32 {
        let pid: pid_t, joined: Bool
        do { (pid, joined) = try prepared.cgroup.clone(prepared.cloneFlags) } catch {
            close(parentEnd)
            close(childEnd)
            throw RuntimeError(error)
        }
        if pid == 0 {
            close(parentEnd)
            ChildMain.awaitMaps(syncFD: prepared.plan.syncFD)
            ChildMain.run(plan: prepared.plan)
        }
        close(childEnd)
        terminal.closeChildEnd()
        defer { close(parentEnd) }
        Trace.mark(joined ? "clone3 into cgroup" : "clone")

        do throws(SyscallError) {
            try prepared.configureChild(pid: pid)
            Trace.mark("id maps, idmapped rootfs")  // before the ack: the child runs at once
        } catch {
            ProcessWait.killAndReap(pid)
            throw RuntimeError(error)
        }
        try enterCgroup(prepared, pid: pid, joined: joined)
        do throws(SyscallError) {
            var ack: UInt8 = 1
            if write(parentEnd, &ack, 1) != 1 { throw SyscallError.last("write", "sync socket") }
        } catch {
            ProcessWait.killAndReap(pid)
            throw RuntimeError(error)
        }
        prepared.closeTrees()

        if let failure = ErrorRecord.receive(fd: parentEnd) {
            _ = ProcessWait.status(of: pid)
            throw failure.runtimeError
        }
        return awaitExit(of: pid, terminal: terminal, blocked: blocked)
    }
}
