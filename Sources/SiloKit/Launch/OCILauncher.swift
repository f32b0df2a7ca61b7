#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// The OCI lifecycle's process side: `create` clones the init (a copy of silo's memory, no
/// parent-death signal: it outlives `create` and is re-parented to the caller's subreaper),
/// `start` releases it through exec.fifo, `run` does both and waits. docs/oci.md.
public struct OCILauncher {
    public struct Options: Sendable {
        public var bundle = "."
        public var pidFile: String?
        public var consoleSocket: String?
        public var preserveFDs: Int32 = 0
        /// `run --bundle`: with process.terminal and no console socket, silo receives the pty
        /// master itself and relays the caller's terminal to it (BundleTerminal), as runc does.
        public var relaysTerminal = false
        /// `run --bundle`: start follows at once, so a config without `process` is refused before
        /// anything is made (create alone accepts it; `start` then fails).
        public var startsAtOnce = false
        public init() {}
    }

    public let store: ContainerStateStore
    public let id: String
    public let options: Options
    public private(set) var warnings: [String] = []
    /// `run --bundle`'s end of the console socket pair (BundleTerminal), else -1.
    private var relayEnd: Int32 = -1

    public init(store: ContainerStateStore, id: String, options: Options) {
        self.store = store
        self.id = id
        self.options = options
    }

    /// Everything up to the user's process; returns the init's pid once it waits on exec.fifo.
    /// Must be called single-threaded. On failure nothing stays: no process, no state dir.
    public mutating func create() throws(RuntimeError) -> ContainerRecord {
        try ContainerStateStore.validate(id: id)
        let bundle = try Rootfs.realpath(options.bundle, what: "bundle")
        let (spec, parseWarnings, configBytes) = try BundlePlan.read(path: bundle + "/config.json")
        Trace.mark("create: config read")
        warnings += parseWarnings
        try refuseOptions(for: spec)
        let terminal = spec.process?.terminal == true
        // The state dir first: it claims the id before a cgroup named after it is made.
        try store.create(id: id)
        var prepared: BundlePlan
        do throws(RuntimeError) {
            // The config as create read it: later verbs use this copy, not the bundle's file,
            // which may change after create.
            try store.keep("config.json", configBytes, id: id)
            Trace.mark("create: state dir")
            prepared = try BundlePlan.make(spec, bundle: bundle, id: id)
            Trace.mark("create: plan, cgroup")
        } catch {
            try? store.remove(id: id)
            throw error
        }
        defer { prepared.closeAll() }
        warnings += prepared.warnings
        prepared.plan.preservedFDs = options.preserveFDs

        var pid: pid_t = 0
        do throws(RuntimeError) {
            let lock = try store.lock(id: id)
            defer { close(lock) }
            try store.makeExecFifo(id: id, owner: prepared.rootOwner)
            var hold = CreateHold(fifoFD: try store.openExecFifoForInit(id: id))
            defer { close(hold.fifoFD) }
            hold.closeAfterClone = [lock]
            hold.startContainer = spec.hooks.startContainer
            if !spec.hooks.startContainer.isEmpty {
                hold.hookInput = OCIState(id: id, status: .created, pid: nil, bundle: bundle, annotations: spec.annotations).hookInput
            }
            if let path = options.consoleSocket {
                do { hold.consoleSocket = try UnixSocket.connect(path) } catch {
                    throw RuntimeError(.runtime, "console socket \(path): \(error.reason)")
                }
            } else if terminal {
                (relayEnd, hold.consoleSocket) = try BundleTerminal.pair()
                hold.closeAfterClone.append(relayEnd)  // silo's end only: the init never holds it
            }
            if terminal, let c = spec.process?.consoleSize { hold.consoleSize = (UInt16(clamping: c.height), UInt16(clamping: c.width)) }
            // The caller's window wins, from the first byte on (runc's foreground tty too).
            if relayEnd >= 0, let size = TerminalMode.windowSize() { hold.consoleSize = size }
            defer { if hold.consoleSocket >= 0 { close(hold.consoleSocket) } }
            prepared.plan.hold = hold
            var record = ContainerRecord(id: id, status: .created, bundle: bundle, rootfs: prepared.rootfs)
            record.annotations = spec.annotations
            record.namespaces = prepared.namespaces
            record.laterHooks = [("poststart", spec.hooks.poststart), ("poststop", spec.hooks.poststop)].filter { !$0.1.isEmpty }.map(\.0)
            record.noProcess = spec.process == nil
            record.seccomp = try store.saveSeccomp(prepared.plan.seccompFilter, builtIn: false, id: id)
            record.cgroupPaths = prepared.cgroup?.paths ?? [:]
            record.cgroupParents = prepared.cgroup?.madeParents ?? []
            pid = try InitClone.run(&prepared, state: { p in OCIState(id: id, status: .created, pid: p, bundle: bundle, annotations: spec.annotations) })
            Trace.mark("create: init ready")
            record.pid = pid
            do { record.pidStartTime = try ProcStat.read(pid).startTime } catch { throw RuntimeError(error) }
            try store.save(record)
            if let f = options.pidFile { try ContainerStateStore.writePidFile(f, pid: pid) }
            Trace.mark("create: state saved")
            return record
        } catch {
            if pid > 0 { ProcessWait.killAndReap(pid) }
            if relayEnd >= 0 { close(relayEnd) }
            relayEnd = -1
            prepared.cgroup?.removeMade()
            try? store.remove(id: id)
            throw error
        }
    }

    /// What the command line asks that this config cannot give, refused before anything is made.
    private func refuseOptions(for spec: OCISpec) throws(RuntimeError) {
        if spec.process == nil && options.startsAtOnce { throw RuntimeError(.usage, "config.json: .process: required to run") }
        let terminal = spec.process?.terminal == true
        if terminal && options.consoleSocket == nil && !options.relaysTerminal {
            throw RuntimeError(.usage, "cannot allocate tty if silo will detach without setting console socket")
        }
        if !terminal && options.consoleSocket != nil { throw RuntimeError(.usage, "--console-socket given but process.terminal is false") }
        for fd in 3..<(3 + options.preserveFDs) where fcntl(fd, F_GETFD) < 0 {
            throw RuntimeError(.usage, "--preserve-fds: unable to stat preserved-fd \(fd - 3) (fd \(fd)): not open")
        }
    }

    /// `start`: the init, waiting on exec.fifo, goes on to exec; then the poststart hooks (a
    /// failing one kills the container, as runc does). The record is not rewritten: "running"
    /// is what `ContainerLiveness.status` computes once exec.fifo is gone (a rename over
    /// state.json costs a data flush on ext4).
    public static func start(store: ContainerStateStore, id: String) throws(RuntimeError) {
        try store.withLock(id: id) { () throws(RuntimeError) in
            guard let record = try store.load(id: id) else { throw RuntimeError(.runtime, "cannot start a container that is still being created") }
            let live = try ContainerLiveness.openInit(record)
            switch try ContainerLiveness.status(of: record, in: store, id: id, initAlive: live != nil) {
            case .created: break
            case .stopped: throw RuntimeError(.runtime, "cannot start a container that has stopped")
            default: throw RuntimeError(.runtime, "cannot start an already running container")
            }
            guard let initProcess = live else { throw RuntimeError(.runtime, "cannot start a container that has stopped") }
            // A record from before `noProcess` cannot tell: read the config copy then.
            var noProcess = record.noProcess
            if !noProcess && record.laterHooks == nil { noProcess = try BundlePlan.created(record, in: store).process == nil }
            if noProcess { try refuseWithoutProcess(initProcess) }
            try store.releaseExecFifo(id: id, initProcess: initProcess)
            Trace.mark("start: released")
            guard record.mayHaveHooks("poststart") else { return }
            let spec = try BundlePlan.created(record, in: store)
            do throws(RuntimeError) { try Hooks.run(spec.hooks.poststart, kind: .poststart, state: record.ociState(status: .running)) } catch {
                try? initProcess.signal(Signal.kill)
                throw error
            }
        }
    }
}

extension OCILauncher {
    /// A config without `process` (the spec: start MUST then fail): the init, which has nothing
    /// to exec, is ended through its pidfd and awaited, so that `state` says stopped at once and
    /// `delete` removes the rest. exec.fifo is never opened: nothing can run in its place.
    static func refuseWithoutProcess(_ initProcess: Pidfd) throws(RuntimeError) {
        do { try initProcess.signal(SIGKILL) } catch {
            if error.errno != ESRCH { throw RuntimeError(error) }
        }
        _ = initProcess.waitForExit(milliseconds: 10_000)
        throw RuntimeError(.usage, "config.json: .process: not set, so there is nothing to start (the container is stopped now)")
    }

    /// `run --bundle`: create, start, wait. silo stays the init's parent: signals are forwarded,
    /// the status is the process's (or 128+signal), and the state is removed afterwards.
    public mutating func run() throws(RuntimeError) -> Int32 {
        var blocked = ForwardedSignals.withChild
        var previous = sigset_t()
        sigprocmask(SIG_BLOCK, &blocked, &previous)
        defer { sigprocmask(SIG_SETMASK, &previous, nil) }
        let record = try create()
        var master: Int32 = -1
        do throws(RuntimeError) {
            if relayEnd >= 0 {
                defer { relayEnd = -1 }
                master = try BundleTerminal.receiveMaster(relayEnd)
            }
            try Self.start(store: store, id: id)
        } catch {
            if master >= 0 { close(master) }
            if let pid = record.pid { ProcessWait.killAndReap(pid) }
            if let cg = ContainerCgroup.open(id: id, record: record) { try? ContainerCgroup.remove(cg, record: record) }
            try? store.remove(id: id)
            throw error
        }
        let status = master >= 0 ? BundleTerminal.relay(master: master, pid: record.pid ?? 0, blocked: blocked)
            : SignalForwarder.forward(to: record.pid ?? 0, waitingOn: blocked, reapAll: false)
        var stopped = record
        stopped.status = .stopped
        if let cg = ContainerCgroup.open(id: id, record: record) {
            do { try ContainerCgroup.remove(cg, record: record) } catch { warnings.append(error.message) }
        }
        let poststop = record.mayHaveHooks("poststop") ? try BundlePlan.created(record, in: store).hooks.poststop : []
        try store.remove(id: id)
        if !record.cgroupParents.isEmpty { ContainerCgroup.handOffParents(of: record, store: store) }
        try Hooks.run(poststop, kind: .poststop, state: stopped.ociState(status: .stopped))
        return status
    }
}
