#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The forked child of `exec`, from the fork to execve: it joins the container's namespaces,
/// becomes the process the plan describes and execs; on any failure it sends one ErrorRecord
/// over the sync socket and _exits, as the init of `silo run` does (ChildMain). The fork came
/// from a single-threaded silo, so plain Swift is safe here; nothing may start a thread.
enum ExecChild {
    /// `cgroupFiles`: the container's `tasks` (v1) or cgroup.procs (v2) files, written "0"
    /// first, in the host's namespaces: the child moves itself, as the init of `silo run` does.
    static func run(_ plan: ExecPlan, initProcess: Pidfd, syncFD: Int32, consoleSocket: Int32?, cgroupFiles: [Int32]) -> Never {
        let sys = LinuxSyscalls()
        let process = ContainerInit(plan: plan.process, sys: sys)
        var failure: StageError
        do throws(StageError) {
            var zero: UInt8 = 0x30
            for fd in cgroupFiles { _ = write(fd, &zero, 1) }
            try prepare(plan, process: process, initProcess: initProcess, consoleSocket: consoleSocket)
            failure = process.exec()
        } catch {
            failure = error
        }
        ErrorRecord.send(failure, fd: syncFD)
        Exit.now(127)
    }

    static func prepare(_ plan: ExecPlan, process: ContainerInit<LinuxSyscalls>, initProcess: Pidfd,
                        consoleSocket: Int32?) throws(StageError) {
        let sys = process.sys
        let p = plan.process
        if !plan.childNamespaces.isEmpty {
            try step(.joinNamespaces) { () throws(SyscallError) in try initProcess.enterNamespaces(plan.childNamespaces) }
        }
        // Host root is no id of the container's user namespace: become its root first, as its
        // init did, so that what follows (the pty, the user switch) runs as container root.
        if plan.joinsUserNamespace {
            try step(.credentials) { () throws(SyscallError) in
                try sys.setresgid(0)
                try sys.setresuid(0)
            }
        }
        // setns into the mount namespace set the root and cwd to the container's root.
        try step(.workdir) { () throws(SyscallError) in
            try sys.chdir(p.workdir)
            let cwd = (try? sys.getcwd()) ?? ""
            if !Workdir.isInsideRoot(cwd: cwd) {
                throw SyscallError("chdir", errno: Errno.noSuchFile, object: p.workdir + " (outside the container's root)")
            }
        }
        if plan.terminal, let socket = consoleSocket {
            try step(.console) { () throws(SyscallError) in
                try ConsoleSetup.attachNewPty(consoleSocket: socket, size: plan.consoleSize, owner: p.uid)
            }
        } else if p.newSession {
            try step(.session) { () throws(SyscallError) in try sys.setsid() }
        }
        if plan.stdinFromNull { try step(.console) { () throws(SyscallError) in try ConsoleSetup.stdinFromNull() } }
        for r in p.rlimits {
            try step(.rlimits) { () throws(SyscallError) in
                do throws(SyscallError) { try sys.setrlimit(resource: r.resource, soft: r.soft, hard: r.hard) } catch {
                    throw SyscallError(error.call, errno: error.errno, object: "\(r.name)=\(r.soft):\(r.hard)")
                }
            }
        }
        _ = Glibc.umask(mode_t(plan.umask))
        if !p.noNewPrivs, let f = p.seccompFilter { try step(.seccomp) { () throws(SyscallError) in try sys.loadSeccomp(filter: f) } }
        try step(.capabilities) { () throws(SyscallError) in try process.switchUserAndCapabilities() }
        try step(.signals) { () throws(SyscallError) in try sys.resetSignals(ignored: p.ignoredSignals) }
        try step(.closeFds) { () throws(SyscallError) in try sys.closeOnExec(from: 3 + plan.preserveFds) }
        if p.noNewPrivs { try step(.noNewPrivs) { () throws(SyscallError) in try sys.setNoNewPrivs() } }
        if p.noNewPrivs, let f = p.seccompFilter { try step(.seccomp) { () throws(SyscallError) in try sys.loadSeccomp(filter: f) } }
    }

    @inline(__always)
    static func step(_ stage: InitStage, _ body: () throws(SyscallError) -> Void) throws(StageError) {
        do { try body() } catch { throw StageError(stage, error) }
    }
}
