import SiloSys

/// The child's side of `silo run`, from the moment the id maps are written to execve.
/// It runs in a freshly cloned process that had one thread at clone time, so plain Swift is
/// safe here, but nothing may start a thread: no Foundation, Dispatch, async or logging.
public struct ContainerInit<S: Syscalls> {
    public let plan: ContainerPlan
    public let sys: S

    public init(plan: ContainerPlan, sys: S) {
        self.plan = plan
        self.sys = sys
    }

    /// Everything before the optional init fork and the exec, in order.
    public func prepare() throws(StageError) {
        // First of all, so that no step runs while silo could die unnoticed (a container that
        // outlives silo keeps its id slot and address, which the next container is given again).
        try step(.parentDeath) { try armParentDeath() }
        try step(.credentials) {
            try sys.setresgid(0)
            try sys.setresuid(0)
            // The uid change cleared "dumpable", which makes /proc/self owned by the host's
            // root; container root needs it back to write /proc/self/timens_offsets.
            try sys.setDumpable(true)
            // It cleared the death signal too, as every change of euid, egid, fsuid or fsgid does.
            try armParentDeath()
        }
        if let hostname = plan.hostname { try step(.hostname) { try sys.sethostname(hostname) } }
        if plan.bringLoopbackUp { try step(.network) { try sys.setLoopbackUp() } }
        for s in plan.mounts.beforePivot { try step(s.stage) { try apply(s.op) } }
        try step(.pivotRoot) {
            guard !plan.mounts.newRoot.isEmpty else { return }  // --share mnt: the host's root stays
            try sys.chdir(plan.mounts.newRoot)
            try sys.pivotRoot(newRoot: ".", putOld: ".")
            try sys.umount(".", detach: true)
            try sys.chdir("/")
        }
        for s in plan.mounts.afterPivot { try step(s.stage) { try apply(s.op) } }
        if let t = plan.timeOffsets {
            try step(.timeNamespace) {
                try sys.unshare(.newTime)
                // A new time namespace starts at zero offsets: the default needs no write, which
                // also spares a read-only /proc (--share pid).
                if t.monotonic != 0 || t.boottime != 0 {
                    try sys.writeFile("/proc/self/timens_offsets", "monotonic \(t.monotonic) 0\nboottime \(t.boottime) 0\n")
                }
            }
        }
        try step(.workdir) {
            if plan.workdir != "/" && sys.fileKind(plan.workdir) == nil {
                for dir in MountPlan.parents(of: plan.workdir, includingSelf: true) { try sys.mkdir(dir, mode: 0o755) }
            }
            try sys.chdir(plan.workdir)
            // The cwd must lie inside the new root: a leaked host fd as cwd (CVE-2024-21626)
            // shows up here as a path that does not match.
            let cwd = try sys.getcwd()
            if cwd != plan.workdir { throw SyscallError("chdir", errno: 2 /* ENOENT */, object: plan.workdir) }
        }
        for r in plan.rlimits {
            try step(.rlimits) {
                do { try sys.setrlimit(resource: r.resource, soft: r.soft, hard: r.hard) } catch let e as SyscallError {
                    throw SyscallError(e.call, errno: e.errno, object: "\(r.name)=\(r.soft):\(r.hard)")
                }
            }
        }
        if plan.newSession { try step(.session) { try sys.setsid() } }
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the drop below takes
        // away: load it now; the profile must then allow what follows (prctl, capset, setres*id,
        // setgroups, rt_sig*, close_range, execve).
        if !plan.noNewPrivs, let f = plan.seccompFilter { try step(.seccomp) { try sys.loadSeccomp(filter: f) } }
        try step(.capabilities) { try switchUserAndCapabilities() }
        try step(.parentDeath) { try armParentDeath() }  // the user switch cleared it again
        if !plan.useInit { try step(.signals) { try sys.resetSignals(ignored: plan.ignoredSignals) } }
        try step(.closeFds) { try sys.closeOnExec(from: 3) }
        if plan.noNewPrivs { try step(.noNewPrivs) { try sys.setNoNewPrivs() } }
        if plan.noNewPrivs, let f = plan.seccompFilter { try step(.seccomp) { try sys.loadSeccomp(filter: f) } }
    }

    /// PR_SET_PDEATHSIG, then a look at the sync socket: silo's end closes when it dies (its
    /// files close before its children are told), so EOF there means it died before the signal
    /// was armed and none will come. getppid() cannot tell: it is 0 in a new PID namespace.
    /// The peek is a recvfrom, which a profile loaded before the user switch must allow.
    func armParentDeath() throws {
        try sys.setParentDeathSignal(9 /* SIGKILL */)
        if sys.peerHasClosed(plan.syncFD) { throw SyscallError("prctl(PR_SET_PDEATHSIG)", errno: 3 /* ESRCH */, object: "silo exited") }
    }

    /// Bounding set first (needs CAP_SETPCAP), then the id change with KEEPCAPS so the permitted
    /// set survives it, then the final sets: inheritable and ambient stay empty.
    func switchUserAndCapabilities() throws {
        if let caps = plan.capabilities {
            for cap in 0...caps.lastCap where caps.bounding & (1 << UInt64(cap)) == 0 {
                try sys.dropBoundingCapability(cap)
            }
        }
        if plan.uid != 0 && plan.capabilities != nil { try sys.setKeepCaps(true) }
        if let groups = plan.groups { try sys.setgroups(groups) }
        if plan.gid != 0 { try sys.setresgid(plan.gid) }
        if plan.uid != 0 { try sys.setresuid(plan.uid) }
        if let caps = plan.capabilities {
            if plan.uid != 0 { try sys.setKeepCaps(false) }
            try sys.capset(effective: caps.effective, permitted: caps.permitted, inheritable: caps.inheritable)
            try sys.clearAmbientCapabilities()
        }
    }

    /// execve with the PATH search of execvp, inside the container. Returns only on failure:
    /// EACCES from any candidate wins over ENOENT, as in execvp.
    public func exec() -> StageError {
        Trace.mark("child: execve")
        let name = plan.argv[0]
        if name.contains("/") {
            return StageError(.exec, sys.execve(name, plan.argv, plan.env))
        }
        var denied: SyscallError?
        var other: SyscallError?
        for dir in plan.searchPath where !dir.isEmpty {
            let e = sys.execve(dir + "/" + name, plan.argv, plan.env)
            switch e.errno {
            case 2, 20: continue  // ENOENT, ENOTDIR
            case 13: if denied == nil { denied = e }
            default: if other == nil { other = e }
            }
        }
        return StageError(.exec, denied ?? other ?? SyscallError("exec", errno: 2, object: name))
    }

    func apply(_ op: MountOp) throws {
        switch op {
        case let .mount(source, target, type, flags, data):
            try sys.mount(source: source, target: target, type: type, flags: flags, data: data)
        case let .moveTree(fd, target):
            try sys.moveMount(fd: fd, to: target)
        case let .setattr(path, recursive, set):
            try sys.mountSetattr(path, recursive: recursive, set: set, clear: [])
        case let .mkdir(path, mode):
            try sys.mkdir(path, mode: mode)
        case let .createFile(path):
            if sys.fileKind(path) == nil { try sys.createFile(path) }
        case let .symlink(target, at):
            try sys.symlink(target, at: at)
        case let .mask(path):
            switch sys.fileKind(path) {
            case nil: return
            case .directory?:
                try sys.mount(source: "tmpfs", target: path, type: "tmpfs", flags: [.rdonly, .nosuid, .nodev, .noexec], data: nil)
            default:
                try sys.mount(source: "/dev/null", target: path, type: nil, flags: [.bind], data: nil)
            }
        case let .readonlyIfPresent(path):
            if sys.fileKind(path) == nil { return }
            try sys.mount(source: path, target: path, type: nil, flags: [.bind, .rec], data: nil)
            try sys.mountSetattr(path, recursive: true, set: .rdonly, clear: [])
        }
    }

    @inline(__always)
    func step(_ stage: InitStage, _ body: () throws -> Void) throws(StageError) {
        defer { Trace.step("child: \(stage)") }
        do { try body() } catch let e as SyscallError {
            throw StageError(stage, e)
        } catch {
            throw StageError(stage, SyscallError("\(error)", errno: 0))
        }
    }
}
