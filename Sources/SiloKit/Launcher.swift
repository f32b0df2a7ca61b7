#if canImport(Glibc)
import Glibc
#endif
import CSiloShim
import SiloSys

/// The parent's side of `silo run`: validates and plans everything, clones the child into its
/// namespaces, writes the id maps, idmaps the rootfs, then forwards signals and waits.
/// Must be called from a single-threaded process (see docs/architecture.md).
public struct Launcher {
    public static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]

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

    public init(_ config: RunConfig, childMemory: ChildMemory = .copied) {
        self.config = config
        self.childMemory = childMemory
    }

    /// Runs the container to completion and returns silo's exit status: the command's status,
    /// or 128+signal.
    public func run() throws(RuntimeError) -> Int32 {
        Trace.mark("run")
        var prepared = try Preparation.make(config)
        defer { prepared.closeAll() }

        let status = ProcessStatus.current()
        guard status.threads == 1 else {
            throw RuntimeError(.runtime, "run: the launcher must be single-threaded to clone safely")
        }
        prepared.plan.ignoredSignals = status.ignoredSignals
        Trace.mark("thread count checked")

        var socks: [Int32] = [-1, -1]
        if socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &socks) != 0 {
            throw RuntimeError(SyscallError.last("socketpair"))
        }
        let (parentEnd, childEnd) = (socks[0], socks[1])
        prepared.plan.syncFD = childEnd

        var blocked = sigset_t()
        sigemptyset(&blocked)
        for s in Launcher.forwardedSignals + [SIGCHLD] { sigaddset(&blocked, s) }
        var previousMask = sigset_t()
        sigprocmask(SIG_BLOCK, &blocked, &previousMask)
        defer { sigprocmask(SIG_SETMASK, &previousMask, nil) }

        Trace.mark("socketpair, signals blocked")
        // --init keeps a reaper running in the child after the parent resumes, so that child
        // always gets its own (copy-on-write) memory.
        if prepared.plan.useInit || childMemory == .copied {
            return try runForked(&prepared, parentEnd: parentEnd, childEnd: childEnd, blocked: blocked)
        }
        return try runSharingMemory(&prepared, parentEnd: parentEnd, childEnd: childEnd, blocked: blocked)
    }

    /// The child shares the parent's memory (CLONE_VM) until its execve, so neither pays a
    /// copy-on-write fault for every page it writes, and the execve drops a reference to the
    /// parent's address space instead of tearing down a copy of it (docs/architecture.md,
    /// docs/performance.md). The two never run at once: the child waits for the ack before it
    /// touches memory; the parent, after the ack, waits for the socket's EOF (the child's exec
    /// or exit) without touching any.
    private func runSharingMemory(_ prepared: inout Preparation, parentEnd: Int32, childEnd: Int32,
                                  blocked: sigset_t) throws(RuntimeError) -> Int32 {
        var child: SharedMemoryChild
        do throws(SyscallError) {
            child = try SharedMemoryChild(plan: prepared.plan, parentEnd: parentEnd)
        } catch {
            close(parentEnd)
            close(childEnd)
            throw RuntimeError(error)
        }
        defer { child.release() }
        let pid = child.clone(flags: prepared.cloneFlags)
        close(childEnd)
        defer { close(parentEnd) }
        if pid < 0 { throw RuntimeError(SyscallError("clone", errno: child.cloneErrno)) }
        Trace.mark("clone")

        do throws(SyscallError) {
            try prepared.configureChild(pid: pid)
            Trace.mark("id maps, idmapped rootfs")
        } catch {
            ProcessWait.killAndReap(pid)
            throw RuntimeError(error)
        }
        let outcome = child.acknowledgeAndAwaitExec(fd: parentEnd, pid: pid)
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
        return awaitExit(of: pid, blocked: blocked)
    }

    /// The container's command runs: forward signals to it until it exits.
    private func awaitExit(of pid: pid_t, blocked: sigset_t) -> Int32 {
        Trace.mark("child exec'd (sync socket EOF)")
        let status = ProcessWait.forwardingSignals(to: pid, blocked: blocked)
        Trace.mark("container exited")
        return status
    }

    /// A fork-like clone: the child gets a copy-on-write copy of the parent's memory.
    private func runForked(_ prepared: inout Preparation, parentEnd: Int32, childEnd: Int32,
                           blocked: sigset_t) throws(RuntimeError) -> Int32 {
        let pid = silo_clone(UInt(prepared.cloneFlags.rawValue))
        if pid < 0 {
            let e = SyscallError.last("clone")
            close(parentEnd)
            close(childEnd)
            throw RuntimeError(e)
        }
        if pid == 0 {
            close(parentEnd)
            ChildMain.awaitMaps(syncFD: prepared.plan.syncFD)
            ChildMain.run(plan: prepared.plan)
        }
        close(childEnd)
        defer { close(parentEnd) }
        Trace.mark("clone")

        do throws(SyscallError) {
            try prepared.configureChild(pid: pid)
            Trace.mark("id maps, idmapped rootfs")  // before the ack: the child runs at once
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
        return awaitExit(of: pid, blocked: blocked)
    }
}

/// Everything computed before clone: the plan, the clone flags and the fds the child inherits.
struct Preparation {
    var plan: ContainerPlan
    var cloneFlags: CloneFlags
    var idmap: IDMap
    var treeFDs: [Int32]
    var rootfsFD: Int32
    var rootfsPath: String
    var idSlotLock: Int32
    var network: ContainerNetwork

    static func make(_ config: RunConfig) throws(RuntimeError) -> Preparation {
        guard !config.argv.isEmpty else { throw RuntimeError(.usage, "run: no command given") }
        let rootfs = try Rootfs.resolve(config.rootfs, readWrite: config.rootfsReadWrite)
        try Rootfs.checkMountPoints(rootfs)
        Trace.mark("prepare: rootfs resolved")
        guard HostIdentity.isRealRoot else {
            throw RuntimeError(.runtime, "run: needs root for now (rootless containers are planned)")
        }
        let idmap: IDMap
        var slotLock: Int32 = -1
        if config.uidMaps.isEmpty || config.gidMaps.isEmpty {
            let (mapping, lock) = try IDRangeLock.acquire()
            slotLock = lock
            idmap = IDMap(uids: config.uidMaps.isEmpty ? [mapping.uids] : config.uidMaps,
                          gids: config.gidMaps.isEmpty ? [mapping.gids] : config.gidMaps)
        } else {
            idmap = IDMap(uids: config.uidMaps, gids: config.gidMaps)
        }
        try idmap.validate()
        Trace.mark("prepare: host id range")

        var trees: [Int32] = []
        var preparedNetwork: ContainerNetwork?
        func closeTrees() {
            for fd in trees { close(fd) }
            if slotLock >= 0 { close(slotLock) }
            preparedNetwork?.release()
        }
        do throws(RuntimeError) {
            // The overlay's lower layer is read-only as a mount: nothing in the child can write
            // through it into the base rootfs, whatever path leads there.
            let rootFD = try detachedCopy(of: rootfs, readOnly: !config.rootfsReadWrite, what: "rootfs")
            trees.append(rootFD)
            Trace.mark("prepare: open_tree rootfs")
            var volumes: [TreeMount] = []
            for v in config.volumes {
                let src = try Rootfs.realpath(v.source, what: "volume")
                guard v.target.hasPrefix("/"), !v.target.split(separator: "/").contains("..") else {
                    throw RuntimeError(.usage, "volume \(v.source):\(v.target): the container path must be absolute and without ..")
                }
                guard v.target.contains(where: { $0 != "/" && $0 != "." }) else {
                    throw RuntimeError(.usage, "volume \(v.source):\(v.target): cannot replace the container's root; give a directory below / (or use --rootfs)")
                }
                // Read-only on the detached copy, as host root: no locked flags get in the way.
                let fd = try detachedCopy(of: src, readOnly: v.readOnly, what: "volume")
                trees.append(fd)
                volumes.append(TreeMount(fd: fd, target: v.target, isFile: !FileIO.isDirectory(src)))
            }
            var tmpfs: [(target: String, options: String)] = []
            for t in config.tmpfs {
                let parts = t.split(separator: ":", maxSplits: 1)
                guard let first = parts.first, first.hasPrefix("/"), !first.split(separator: "/").contains("..") else {
                    throw RuntimeError(.usage, "tmpfs `\(t)`: expected an absolute PATH[:OPTIONS], without ..")
                }
                guard first.contains(where: { $0 != "/" && $0 != "." }) else {
                    throw RuntimeError(.usage, "tmpfs `\(t)`: cannot replace the container's root; give a directory below /")
                }
                tmpfs.append((String(first), MountPlan.tmpfsOptions(parts.count > 1 ? String(parts[1]) : nil)))
            }
            var network = try ContainerNetwork.prepare(config)
            let sysfsFD = network.sysfsFD
            if let fd = sysfsFD { trees.append(fd) }
            network.sysfsFD = nil  // now owned by `trees`
            preparedNetwork = network  // released if anything below fails
            let mode: RootfsMode = config.readOnly ? .readOnly : (config.rootfsReadWrite ? .readWrite : .overlay)
            let mounts = MountPlan.make(attachAt: try Rootfs.stagingDirectory(), rootfsFD: rootFD, mode: mode,
                                        rootfsSize: config.rootfsSize ?? MountPlan.defaultRootfsSize, volumes: volumes,
                                        tmpfs: tmpfs, maskPaths: true,
                                        sysfsFD: sysfsFD)
            Trace.mark("prepare: mount plan")
            let user = try UserSpec.resolve(config.user, rootfs: rootfs)
            if let spec = config.user { try user.checkMapped(in: idmap, option: spec) }
            let hostname = config.hostname ?? ContainerID.random()
            let env = try Environment.make(config: config, hostname: hostname, home: user.home)
            Trace.mark("prepare: user, hostname, env")
            let searchPath = (env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? RunConfig.defaultPath)
                .split(separator: ":").map(String.init)

            var plan = ContainerPlan(mounts: mounts, argv: config.argv, env: env, searchPath: searchPath)
            plan.hostname = hostname
            if let w = config.workdir {
                guard w.hasPrefix("/") else { throw RuntimeError(.usage, "workdir \(w): must be an absolute path") }
                plan.workdir = Workdir.clean(w)
            }
            plan.uid = user.uid
            plan.gid = user.gid
            plan.groups = user.groups
            plan.useInit = config.useInit
            if HostIdentity.hasTimeNamespaces {
                plan.timeOffsets = config.timeOffset
            }
            try Hardening.configure(&plan, config: config)
            Trace.mark("prepare: hardening")

            var flags: CloneFlags = [.newUser, .newNS, .newPID, .newUTS, .newIPC, .newCgroup]
            if network.newNamespace { flags.insert(.newNet) }
            plan.bringLoopbackUp = network.newNamespace
            try SharePlan(config.share).apply(to: &plan, flags: &flags, trees: &trees, config: config)
            return Preparation(plan: plan, cloneFlags: flags, idmap: idmap,
                               treeFDs: trees, rootfsFD: rootFD, rootfsPath: rootfs, idSlotLock: slotLock, network: network)
        } catch {
            closeTrees()
            throw error
        }
    }

    /// DetachedTree.clone, with the error naming what the tree is for ("rootfs /x: ...").
    static func detachedCopy(of path: String, readOnly: Bool, what: String) throws(RuntimeError) -> Int32 {
        do { return try DetachedTree.clone(path, readOnly: readOnly) } catch {
            throw RuntimeError(SyscallError(error.call, errno: error.errno, object: "\(what) \(error.object)"))
        }
    }

    /// The parent's half of the handshake: maps first, then the idmapped rootfs, which needs
    /// the child's user namespace to exist and to have its maps.
    mutating func configureChild(pid: pid_t) throws(SyscallError) {
        if !SharePlan.hasUserNamespace(cloneFlags) { return try network.configure(childPID: pid) }
        try FileIO.write("/proc/\(pid)/uid_map", IDMap.render(idmap.uids))
        try FileIO.write("/proc/\(pid)/gid_map", IDMap.render(idmap.gids))
        let nsPath = "/proc/\(pid)/ns/user"
        let userns = open(nsPath, O_RDONLY | O_CLOEXEC)
        if userns < 0 { throw SyscallError.last("open", nsPath) }
        defer { close(userns) }
        if silo_mount_setattr(rootfsFD, "", AtFlags.emptyPath | AtFlags.recursive, MountAttr.idmap.rawValue, 0, 0, UInt64(userns)) != 0 {
            throw SyscallError.last("mount_setattr(MOUNT_ATTR_IDMAP)", "rootfs \(rootfsPath)")
        }
        try network.configure(childPID: pid)
    }

    mutating func closeTrees() {
        for fd in treeFDs { close(fd) }
        treeFDs = []
    }

    mutating func closeAll() {
        closeTrees()
        network.release()
        if idSlotLock >= 0 { close(idSlotLock) }
        idSlotLock = -1
    }
}

/// The child right after clone: wait for the maps, prepare, exec; on any failure send one
/// error record to the parent and _exit. Never returns, never throws across the boundary.
enum ChildMain {
    /// The child's first step: nothing before it may touch memory, which a CLONE_VM child
    /// shares with the still-running parent.
    @inline(__always)
    static func awaitMaps(syncFD: Int32) {
        var ack: UInt8 = 0
        let n = retryingEINTR { read(syncFD, &ack, 1) }
        if n != 1 { silo_exit(125) }  // the parent died or gave up: it reports the error
    }

    static func run(plan: ContainerPlan) -> Never {
        Trace.mark("child: maps received")
        let initProcess = ContainerInit(plan: plan, sys: LinuxSyscalls())
        var failure: StageError
        do throws(StageError) {
            try initProcess.prepare()
            if plan.useInit {
                do { try Reaper.start(syncFD: plan.syncFD, ignoredSignals: plan.ignoredSignals) } catch { throw StageError(.initFork, error) }
            }
            failure = initProcess.exec()
        } catch {
            failure = error
        }
        ErrorRecord.send(failure, fd: plan.syncFD)
        silo_exit(127)
    }
}

/// The two lines of /proc/self/status the launcher needs, from one read of the file.
public struct ProcessStatus: Equatable {
    /// "Threads:": clone is safe only with one.
    public var threads = 0
    /// "SigIgn:": the signals this process ignores, bit n-1 for signal n; all of them when the
    /// line is missing or unreadable, so that the child then resets every disposition.
    public var ignoredSignals: UInt64 = .max

    public static func current() -> ProcessStatus {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        if fd < 0 { return ProcessStatus() }
        defer { close(fd) }
        guard let bytes = try? FileIO.readAll(fd: fd) else { return ProcessStatus() }
        return parse(bytes)
    }

    /// Scans bytes: splitting the 1.4 KB file into String lines cost ~0.1 ms of every run.
    static func parse(_ status: [UInt8]) -> ProcessStatus {
        var result = ProcessStatus()
        var lineStart = 0
        while lineStart < status.count {
            var end = lineStart
            while end < status.count && status[end] != 0x0a { end += 1 }
            let line = status[lineStart..<end]
            if let value = Self.value(of: "Threads:", in: line) {
                result.threads = Int(clamping: Self.number(value, radix: 10) ?? 0)
            } else if let value = Self.value(of: "SigIgn:", in: line) {
                result.ignoredSignals = Self.number(value, radix: 16) ?? .max
            }
            lineStart = end + 1
        }
        return result
    }

    private static func value(of key: StaticString, in line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let k = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        guard line.count >= k.count, line.prefix(k.count).elementsEqual(k) else { return nil }
        return line.dropFirst(k.count).drop { $0 == 0x20 || $0 == 0x09 }
    }

    /// The leading digits, nil if there are none or they overflow.
    private static func number(_ digits: ArraySlice<UInt8>, radix: UInt64) -> UInt64? {
        var n: UInt64 = 0
        var count = 0
        for c in digits {
            let d: UInt64
            switch c {
            case 0x30...0x39: d = UInt64(c - 0x30)
            case 0x61...0x66 where radix == 16: d = UInt64(c - 0x61 + 10)
            default: return count > 0 ? n : nil
            }
            let (m, o1) = n.multipliedReportingOverflow(by: radix)
            let (sum, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            n = sum
            count += 1
        }
        return count > 0 ? n : nil
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
