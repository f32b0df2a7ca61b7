#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The OCI init's last stretch after `prepare` (CreateHold): resolve the command, READY,
/// block on exec.fifo until `start`, startContainer hooks, lock down, exec.
extension ContainerInit {
    /// Never returns: exec, or report and exit. Before READY a failure goes to `create` as an
    /// error record; after it `create` is gone, and the exit status (127 for a command that
    /// vanished, else 126) is what whoever waits for the container sees.
    func holdForStart(_ hold: CreateHold, opened: (command: Int32, fdDirectory: Int32) = (-1, -1)) -> Never {
        let commandFD = opened.command
        // A config without `process`: everything is set up and the init holds like any other, but
        // has nothing to exec; `silo start` refuses it, and anyone else opening the fifo only ends it.
        let hasProcess = !plan.argv.isEmpty
        var path: String?
        do { path = hasProcess ? try resolveCommand() : nil } catch {
            // Not reachable by the user (a 0700 bundle as the root, runtime-tools' process_user):
            // the command container root opened before the switch runs, if the user may execute it.
            if error.errno != EACCES || commandFD < 0 {
                ErrorRecord.send(StageError(.exec, error), fd: plan.syncFD)
                Exit.now(127)
            }
        }
        closeInherited(keeping: [plan.syncFD, hold.fifoFD, commandFD, opened.fdDirectory])
        var r = CreateHold.ready
        if retryingEINTR({ write(plan.syncFD, &r, 1) }) != 1 { Exit.now(125) }
        // Through /proc/self/fd opened as root: the user may not search the path to /proc.
        let fifo = opened.fdDirectory >= 0
            ? retryingEINTR { openat(opened.fdDirectory, "\(hold.fifoFD)", O_WRONLY | O_CLOEXEC) }
            : retryingEINTR { open("/proc/self/fd/\(hold.fifoFD)", O_WRONLY | O_CLOEXEC) }
        if fifo < 0 || !hasProcess { Exit.now(125) }
        close(hold.fifoFD)
        // The byte `start` waits for comes after the startContainer hooks: its poststart hooks
        // then run after them, and a failing one fails `start` (the init exits without the byte).
        for hook in hold.startContainer {
            do { try Hooks.run(hook, kind: .startContainer, input: hold.hookInput) } catch { Exit.now(125) }
        }
        var byte = UInt8(ascii: "0")
        _ = retryingEINTR { write(fifo, &byte, 1) }
        close(fifo)
        do { try lockDown() } catch { Exit.now(125) }
        let e = path.map { sys.execve($0, plan.argv, plan.env) } ?? ExecAt.run(commandFD, plan.argv, plan.env, object: plan.argv[0])
        Exit.now(e.errno == ENOENT ? 127 : 126)
    }

    /// Before the user switch (create): the command as container root resolves it, and
    /// /proc/self/fd, both O_PATH, for when the user cannot search the way to them (a 0700
    /// bundle as the root: runtime-tools' process_user); -1 for what root cannot open either.
    func openBeforeUserSwitch() -> (command: Int32, fdDirectory: Int32) {
        let oPath: Int32 = 0o10000000  // O_PATH, a _GNU_SOURCE macro Swift does not import
        let command = plan.argv.isEmpty ? -1 : (try? resolveCommand()).map { path in retryingEINTR { open(path, oPath | O_CLOEXEC) } } ?? -1
        return (command, retryingEINTR { open("/proc/self/fd", oPath | O_DIRECTORY | O_CLOEXEC) })
    }

    /// A new session, or with process.terminal (create) or -t (run) the pty's: before the user switch, so
    /// that the pty is opened as container root and then given to the user.
    func startSession() throws(StageError) {
        if let hold = plan.hold, hold.consoleSocket >= 0 {
            try step(.console) { () throws(SyscallError) in
                try ConsoleSetup.attachNewPty(consoleSocket: hold.consoleSocket, size: hold.consoleSize, owner: plan.uid,
                                              console: "/dev/console")
            }
        } else {
            if plan.newSession {
                try step(.session) { () throws(SyscallError) in try sys.setsid() }
            } else if plan.newProcessGroup {
                try step(.session) { () throws(SyscallError) in try sys.newProcessGroup() }
            }
            // `silo run -t` (its own console socket pair) or stdin from /dev/null.
            if plan.consoleSocket >= 0 || plan.stdinFromNull { try step(.console) { () throws(SyscallError) in try attachStdio() } }
        }
    }

    /// The init waits for `start` for as long as it likes: it must not hold what the caller
    /// of `create` leaked to it (a pipe's write end would keep the caller's reader from EOF),
    /// as runc's init, which receives only fds 0-2 and the preserved ones, does not.
    func closeInherited(keeping: [Int32]) {
        guard let names = try? FileIO.list("/proc/self/fd") else { return }
        for name in names {
            guard let fd = Int32(name), fd >= 3 + plan.preservedFDs, !keeping.contains(fd) else { continue }
            close(fd)
        }
    }

    /// execvp's PATH search, done before exec so that `create` can report it: the first
    /// executable regular file wins; EACCES from any candidate wins over ENOENT.
    func resolveCommand() throws(SyscallError) -> String {
        let name = plan.argv[0]
        let candidates = name.contains("/") ? [name] : plan.searchPath.filter { !$0.isEmpty }.map { $0 + "/" + name }
        var denied = false
        for c in candidates {
            if access(c, X_OK) == 0 {
                var st = stat()
                if stat(c, &st) == 0 && st.st_mode & S_IFMT == S_IFREG { return c }
                denied = true
            } else if errno == EACCES {
                denied = true
            }
        }
        throw SyscallError("exec", errno: denied ? EACCES : ENOENT, object: name)
    }
}
