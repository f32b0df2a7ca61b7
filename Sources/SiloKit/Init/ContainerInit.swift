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
    public func prepare(beforeUserSwitch: () -> Void = {}) throws(StageError) {
        // First of all, so that no step runs while silo could die unnoticed (a container that
        // outlives silo keeps its id slot and address, which the next container is given again).
        try step(.parentDeath) { () throws(SyscallError) in try armParentDeath() }
        try step(.credentials) { () throws(SyscallError) in try becomeRoot() }
        if !plan.cgroupTasksFDs.isEmpty || plan.cgroupNamespace {
            try step(.cgroupNamespace) { () throws(SyscallError) in
                for fd in plan.cgroupTasksFDs { try sys.moveSelfToCgroup(tasksFD: fd) }
                if plan.cgroupNamespace { try sys.unshare(.newCgroup) }
            }
        }
        if let hostname = plan.hostname { try step(.hostname) { () throws(SyscallError) in try sys.sethostname(hostname) } }
        if let name = plan.domainname { try step(.hostname) { () throws(SyscallError) in try sys.setdomainname(name) } }
        if plan.bringLoopbackUp { try step(.network) { () throws(SyscallError) in try sys.setLoopbackUp() } }
        var root: Int32 = -1  // the new root's mount, once attached
        if plan.mountNamespaceFD >= 0 {
            try step(.mountPropagation) { () throws(SyscallError) in try NamespaceFile.enter(plan.mountNamespaceFD, .mnt, name: "mount namespace") }
        }
        for s in plan.mounts.beforePivot { try step(s.stage) { () throws(SyscallError) in try apply(s.op, root: &root) } }
        try step(.pivotRoot) { () throws(SyscallError) in
            guard !plan.mounts.newRoot.isEmpty else { return }  // --share mnt: the host's root stays
            if root >= 0 { try sys.fchdir(root) } else { try sys.chdir(plan.mounts.newRoot) }
            try sys.pivotRoot(newRoot: ".", putOld: ".")
            try sys.umount(".", detach: true)
            try sys.chdir("/")
            sys.close(root)
        }
        for s in plan.mounts.afterPivot { try step(s.stage) { () throws(SyscallError) in try apply(s.op, root: &root) } }
        if let t = plan.timeOffsets {
            try step(.timeNamespace) { () throws(SyscallError) in
                try sys.unshare(.newTime)
                // A new time namespace starts at zero offsets: the default needs no write, which
                // also spares a read-only /proc (--share pid).
                if t.monotonic != 0 || t.boottime != 0 {
                    try sys.writeFile("/proc/self/timens_offsets", "monotonic \(t.monotonic) 0\nboottime \(t.boottime) 0\n")
                }
            }
        }
        try step(.workdir) { () throws(SyscallError) in
            if plan.workdir != "/" && sys.fileKind(plan.workdir) == nil {
                for dir in MountPlan.parents(of: plan.workdir, includingSelf: true) { try sys.mkdir(dir, mode: 0o755) }
            }
            try sys.chdir(plan.workdir)
            // The cwd must lie inside the new root (CVE-2024-21626): the kernel's path for it
            // may differ through symlinks, but is never absolute when it lies outside.
            let cwd = (try? sys.getcwd()) ?? ""
            if !Workdir.isInsideRoot(cwd: cwd) {
                throw SyscallError("chdir", errno: Errno.noSuchFile, object: plan.workdir + " (outside the container's root)")
            }
        }
        for r in plan.rlimits {
            try step(.rlimits) { () throws(SyscallError) in
                do throws(SyscallError) { try sys.setrlimit(resource: r.resource, soft: r.soft, hard: r.hard) } catch {
                    throw SyscallError(error.call, errno: error.errno, object: "\(r.name)=\(r.soft):\(r.hard)")
                }
            }
        }
        try startSession()
        // Before any filter: a profile given in a bundle may not know close_range (runtime-tools'
        // does not), and without no_new_privs that filter is loaded next.
        beforeUserSwitch()
        try step(.closeFds) { () throws(SyscallError) in try sys.closeOnExec(from: 3 + plan.preservedFDs) }
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the drop below takes
        // away: load it now; the profile must then allow what follows (prctl, capset, setres*id,
        // get*id, setgroups, rt_sig*, execve).
        if !plan.noNewPrivs, let f = plan.seccompFilter { try step(.seccomp) { () throws(SyscallError) in try sys.loadSeccomp(filter: f) } }
        try step(.capabilities) { () throws(SyscallError) in try switchUserAndCapabilities() }
        try step(.parentDeath) { () throws(SyscallError) in try armParentDeath() }  // the user switch cleared it again
        if !plan.useInit { try step(.signals) { () throws(SyscallError) in try sys.resetSignals(ignored: plan.ignoredSignals) } }
        // An OCI init still opens exec.fifo and runs startContainer hooks: it locks down after.
        if plan.hold == nil { try lockDown() }
    }

    /// Container root, once the maps are there: the child writes them itself when the plan has
    /// its own (rootless with the caller's ids alone, Launcher's CLONE_VFORK path), which the
    /// kernel allows an unprivileged writer for its own euid and egid alone, and for the gid map
    /// only once setgroups is denied (user_namespaces(7)).
    func becomeRoot() throws(SyscallError) {
        if let maps = plan.ownMaps {
            try sys.writeFile("/proc/self/setgroups", "deny")
            try sys.writeFile("/proc/self/uid_map", maps.uid)
            try sys.writeFile("/proc/self/gid_map", maps.gid)
        }
        try sys.setresgid(0)
        try sys.setresuid(0)
        // The uid change cleared "dumpable", which makes /proc/self owned by the host's
        // root; container root needs it back to write /proc/self/timens_offsets.
        try sys.setDumpable(true)
        // It cleared the death signal too, as every change of euid, egid, fsuid or fsgid does.
        try armParentDeath()
    }

    /// `silo run -t`: a pty of the container's devpts (mounted by now) becomes the session's
    /// terminal and stdio, made as container root before the user switch, the slave given to
    /// the user; its master goes to silo. Without -i/-t on a terminal: stdin from /dev/null.
    func attachStdio() throws(SyscallError) {
        if plan.consoleSocket >= 0 {
            try ConsoleSetup.attachNewPty(consoleSocket: plan.consoleSocket, size: plan.consoleSize, owner: plan.uid)
        } else {
            try ConsoleSetup.stdinFromNull()
        }
    }

    /// no_new_privs and the filter that needs it: the last steps before exec.
    public func lockDown() throws(StageError) {
        if plan.noNewPrivs { try step(.noNewPrivs) { () throws(SyscallError) in try sys.setNoNewPrivs() } }
        if plan.noNewPrivs, let f = plan.seccompFilter { try step(.seccomp) { () throws(SyscallError) in try sys.loadSeccomp(filter: f) } }
    }

    /// PR_SET_PDEATHSIG, then a look at the sync socket: silo's end closes when it dies (its
    /// files close before its children are told), so EOF there means it died before the signal
    /// was armed and none will come. getppid() cannot tell: it is 0 in a new PID namespace.
    /// The peek is a recvfrom, which a profile loaded before the user switch must allow.
    func armParentDeath() throws(SyscallError) {
        guard plan.armsParentDeath else { return }
        try sys.setParentDeathSignal(Signal.kill)
        if sys.peerHasClosed(plan.syncFD) { throw SyscallError("prctl(PR_SET_PDEATHSIG)", errno: Errno.noSuchProcess, object: "silo exited") }
    }

    /// Bounding set first (needs CAP_SETPCAP), then the id change with KEEPCAPS so the permitted
    /// set survives it, then the final sets; inheritable and ambient are what the plan says
    /// (empty for `silo run`, a bundle's for OCI).
    func switchUserAndCapabilities() throws(SyscallError) {
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
            // The kernel raises only what is both permitted and inheritable; the rest is skipped,
            // as runc does, rather than failing the start.
            let raisable = caps.ambient & caps.permitted & caps.inheritable
            if raisable != 0 {
                for cap in 0...caps.lastCap where raisable & (1 << UInt64(cap)) != 0 { try sys.raiseAmbientCapability(cap) }
            }
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
            case Errno.noSuchFile, Errno.notADirectory: continue
            case Errno.permissionDenied: if denied == nil { denied = e }
            default: if other == nil { other = e }
            }
        }
        return StageError(.exec, denied ?? other ?? SyscallError("exec", errno: Errno.noSuchFile, object: name))
    }

    @inline(__always)
    func step(_ stage: InitStage, _ body: () throws(SyscallError) -> Void) throws(StageError) {
        defer { Trace.step("child: \(stage)") }
        do { try body() } catch { throw StageError(stage, error) }
    }
}
