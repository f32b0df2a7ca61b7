#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// posix_spawn with stdin fed and stdout/stderr collected through pipes, driven by poll(2):
/// no threads, no Foundation.
/// What a spawned process printed and how it ended.
public struct SpawnResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
}

public enum Spawn {
    public static func run(_ argv: [String], input: [UInt8] = []) throws(SyscallError) -> SpawnResult {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard silo_pipe2(&inPipe, O_CLOEXEC) == 0, silo_pipe2(&outPipe, O_CLOEXEC) == 0, silo_pipe2(&errPipe, O_CLOEXEC) == 0 else {
            let e = SyscallError.last("pipe2")
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            throw e
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var pid: pid_t = 0
        let rc = CStringArray.with(argv) { cargv in
            posix_spawnp(&pid, argv[0], &actions, nil, UnsafeMutablePointer(mutating: cargv), environ)
        }
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        if rc != 0 {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw SyscallError("spawn", errno: rc, object: argv[0])
        }
        if !input.isEmpty {
            // Non-blocking, so that a write never waits for a container that is itself waiting
            // for us to read its output: a blocking write of a large input deadlocks against it.
            _ = fcntl(inPipe[1], F_SETFL, O_NONBLOCK)
        }
        var pump = PipePump(stdout: outPipe[0], stderr: errPipe[0], stdin: inPipe[1], input: input)
        // A container that exits without reading its input makes our write raise SIGPIPE. It is
        // blocked on this thread only, and taken back before the mask is restored, instead of
        // ignoring it for the whole caller's process (and for every process it spawns later).
        var pipeSignal = sigset_t(), savedMask = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &savedMask)
        defer {
            if pump.raisedPipeSignal {
                var now = timespec()
                _ = sigtimedwait(&pipeSignal, nil, &now)
            }
            pthread_sigmask(SIG_SETMASK, &savedMask, nil)
        }
        while pump.stdoutOpen || pump.stderrOpen {
            if pump.step(timeoutMillis: -1) == .failed { break }
        }
        // A container may exit without reading all of its input, and poll may fail: whatever is
        // still open is closed before the wait, so a caller that runs many containers keeps none.
        pump.closeAll()
        var result = SpawnResult(status: 0, stdout: pump.stdout, stderr: pump.stderr)
        result.status = ProcessWait.status(of: pid)
        return result
    }
}

extension Spawn {
    /// Starts every command at once and waits for all of them: for short helpers whose run
    /// time is mostly exec (newuidmap and newgidmap side by side cost one exec's time, not two).
    /// Each one's stdout and stderr go to a pipe of its own, read after it exits: meant for a
    /// few lines of error text, not more than a pipe holds.
    public static func runConcurrently(_ commands: [[String]]) throws(SyscallError) -> [SpawnResult] {
        var started: [(pid: pid_t, output: Int32)] = []
        defer { for s in started { close(s.output) } }
        var failure: SyscallError?
        for argv in commands {
            var p: [Int32] = [-1, -1]
            guard silo_pipe2(&p, O_CLOEXEC) == 0 else { failure = SyscallError.last("pipe2"); break }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            posix_spawn_file_actions_adddup2(&actions, p[1], 1)
            posix_spawn_file_actions_adddup2(&actions, p[1], 2)
            var pid: pid_t = 0
            let rc = CStringArray.with(argv) { cargv in
                posix_spawn(&pid, argv[0], &actions, nil, UnsafeMutablePointer(mutating: cargv), environ)
            }
            posix_spawn_file_actions_destroy(&actions)
            close(p[1])
            if rc != 0 {
                close(p[0])
                failure = SyscallError("spawn", errno: rc, object: argv[0])
                break
            }
            started.append((pid, p[0]))
        }
        // Every started one is waited for, even after a failure: none is left a zombie.
        var results: [SpawnResult] = []
        for s in started {
            let status = ProcessWait.status(of: s.pid)
            let text = (try? FileIO.readAll(fd: s.output, limit: 64 << 10)) ?? []
            results.append(SpawnResult(status: status, stdout: [], stderr: text))
        }
        if let failure { throw failure }
        return results
    }
}
