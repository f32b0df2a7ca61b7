#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// OCI hooks (config.json `hooks`): each is run in silo's namespaces with the container's state
/// JSON on stdin, its own args and env, and an optional timeout after which it is killed.
/// posix_spawn, poll and a pidfd: no threads, no Foundation.
public enum Hooks {
    public enum Kind: String, Sendable, CaseIterable {
        case prestart, createRuntime, createContainer, startContainer, poststart, poststop
    }

    /// Runs the hooks of one kind in order; the first failure stops the rest and is thrown.
    public static func run(_ hooks: [OCISpec.Hook], kind: Kind, state: OCIState) throws(RuntimeError) {
        guard !hooks.isEmpty else { return }  // no state JSON encoded for nothing (create calls this thrice)
        let input = state.hookInput
        for hook in hooks { try run(hook, kind: kind, input: input) }
    }

    /// One hook. argv is `args` (the path alone when empty, as runc does); the environment is
    /// exactly `env`; stdin is `input`; stdout is discarded and stderr collected for the
    /// message: `poststart hook /x: exit status 1: <first line of stderr>`.
    public static func run(_ hook: OCISpec.Hook, kind: Kind, input: [UInt8]) throws(RuntimeError) {
        let what = "\(kind.rawValue) hook \(hook.path)"
        guard hook.path.hasPrefix("/") else { throw RuntimeError(.usage, "\(what): the path must be absolute") }
        let inPipe: (read: Int32, write: Int32), errPipe: (read: Int32, write: Int32)
        do { inPipe = try PipePair.make(what) } catch { throw RuntimeError(error) }
        do { errPipe = try PipePair.make(what) } catch {
            close(inPipe.read)
            close(inPipe.write)
            throw RuntimeError(error)
        }
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe.read, 0)
        posix_spawn_file_actions_adddup2(&actions, devNull >= 0 ? devNull : errPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe.write, 2)
        // Nothing of silo's beyond stdio: conmon hands runtimes fds (--preserve-fds) that are
        // not close-on-exec, and a hook must not hold them open.
        for fd in inheritableDescriptors() { posix_spawn_file_actions_addclose(&actions, fd) }
        var pid: pid_t = 0
        let argv = hook.args.isEmpty ? [hook.path] : hook.args
        let rc = SpawnAttributes.withDefaultSignals { attr in
            CStringArray.with(argv) { cargv in
                CStringArray.with(hook.env) { cenv in
                    posix_spawn(&pid, hook.path, &actions, attr, UnsafeMutablePointer(mutating: cargv), UnsafeMutablePointer(mutating: cenv))
                }
            }
        }
        close(inPipe.read)
        close(errPipe.write)
        if devNull >= 0 { close(devNull) }
        if rc != 0 {
            close(inPipe.write)
            close(errPipe.read)
            throw RuntimeError(.runtime, "\(what): \(errnoString(rc))")
        }
        let outcome = supervise(pid: pid, input: input, stdin: inPipe.write, stderr: errPipe.read, timeout: hook.timeout)
        switch outcome.result {
        case .exited(0): return
        case .exited(let code): throw RuntimeError(.runtime, "\(what): exit status \(code)\(firstLine(outcome.stderr))")
        case .signaled(let sig):
            throw RuntimeError(.runtime, "\(what): killed by signal \(SignalName.name(of: sig) ?? String(sig))\(firstLine(outcome.stderr))")
        case .timedOut(let seconds): throw RuntimeError(.runtime, "\(what): did not finish within its timeout of \(seconds) s (killed)")
        }
    }

    enum Result: Equatable { case exited(Int32), signaled(Int32), timedOut(Int) }

    /// Feeds stdin, collects stderr and waits, killing the hook at its deadline. A hook that
    /// leaves a child holding its stderr open does not make silo wait: once the hook itself
    /// has exited, what is already in the pipe is read and the rest is left.
    static func supervise(pid: pid_t, input: [UInt8], stdin: Int32, stderr: Int32, timeout: Int?) -> (result: Result, stderr: [UInt8]) {
        defer { close(stderr) }
        var stdinFd: Int32 = stdin
        _ = fcntl(stdin, F_SETFL, O_NONBLOCK)
        _ = fcntl(stderr, F_SETFL, O_NONBLOCK)
        if input.isEmpty { close(stdin); stdinFd = -1 }
        // A hook that exits without reading stdin would raise SIGPIPE on our write: block it on
        // this thread and take a pending one back afterwards, as Spawn does.
        var pipeSignal = sigset_t(), savedMask = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &savedMask)
        defer {
            var now = timespec()
            while sigtimedwait(&pipeSignal, nil, &now) > 0 {}
            pthread_sigmask(SIG_SETMASK, &savedMask, nil)
        }
        let handle = try? Pidfd.open(pid)  // our unreaped child: cannot fail but for EMFILE
        let deadline = timeout.map { monotonicMilliseconds() + Int64($0) * 1000 }
        var collected: [UInt8] = []
        var written = 0
        var buf = [UInt8](repeating: 0, count: 4096)
        var exited = false
        var timedOut = false
        var errFd: Int32 = stderr
        while !exited {
            var fds = [pollfd(fd: handle?.fd ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errFd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stdinFd, events: Int16(POLLOUT), revents: 0)]
            var wait: Int32 = handle == nil ? 50 : -1
            if let deadline {
                let left = deadline - monotonicMilliseconds()
                if left <= 0 {
                    kill(pid, SIGKILL)
                    timedOut = true
                    break
                }
                wait = wait < 0 ? Int32(min(left, Int64(Int32.max))) : min(wait, Int32(min(left, Int64(Int32.max))))
            }
            if poll(&fds, 3, wait) < 0 && errno != EINTR { break }
            if fds[1].revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(errFd, $0.baseAddress, $0.count) }
                if n > 0 { if collected.count < 65536 { collected += buf[0..<n] } } else if n == 0 { errFd = -1 }
            }
            if fds[2].revents != 0 {
                let n = input.withUnsafeBytes { write(stdinFd, $0.baseAddress! + written, $0.count - written) }
                if n > 0 { written += n }
                if n < 0 && errno != EAGAIN || written == input.count { close(stdinFd); stdinFd = -1 }
            }
            if handle == nil || fds[0].revents != 0 {
                var st: Int32 = 0
                exited = waitpid(pid, &st, WNOHANG) == pid
                if exited { return (decode(st), drain(errFd, into: collected)) }
            }
        }
        if stdinFd >= 0 { close(stdinFd) }
        var st: Int32 = 0
        _ = retryingEINTR { waitpid(pid, &st, 0) }
        if timedOut { return (.timedOut(timeout ?? 0), collected) }
        return (decode(st), drain(errFd, into: collected))
    }

    private static func decode(_ st: Int32) -> Result {
        if st & 0x7F == 0 { return .exited((st >> 8) & 0xFF) }
        return .signaled(st & 0x7F)
    }

    private static func drain(_ fd: Int32, into collected: [UInt8]) -> [UInt8] {
        var out = collected
        guard fd >= 0 else { return out }
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 65536 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    private static func firstLine(_ bytes: [UInt8]) -> String {
        let line = bytes.split(separator: 0x0A, omittingEmptySubsequences: true).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return line.isEmpty ? "" : ": " + line
    }

    /// Open fds from 3 up without close-on-exec.
    static func inheritableDescriptors() -> [Int32] {
        ((try? FileIO.list("/proc/self/fd")) ?? []).compactMap { Int32($0) }.filter { fd in
            fd > 2 && fcntl(fd, F_GETFD) >= 0 && fcntl(fd, F_GETFD) & FD_CLOEXEC == 0
        }
    }

    private static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
