#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// One container of `silo demo`: silo's own Launcher, run in a forked child (the demo stays
/// single-threaded, so the child may run Swift and clone again), with the container's
/// stdin, stdout and stderr on pipes.
///
/// The container runs a busybox script in two phases. It prints its evidence as blocks
/// (`@@name` then lines), prints `@@ready` and waits on stdin; meanwhile the demo measures the
/// host's side and looks at the container's process from outside (/proc/PID); then it writes
/// one line and the script finishes.
struct DemoContainer {
    static let ready = "@@ready"
    static let kept = "@@kept"

    let launcher: pid_t
    private var stdinFD: Int32
    /// The container's stdout and stderr (the pump owns and closes them).
    private var pipes: PipePump
    private var reaped = false
    /// The container's first process, as the host numbers it (a child of the launcher).
    private(set) var pid: pid_t?

    /// Forks; the child runs `Launcher(config).run()` with the pipes as fds 0-2, and exits after it.
    static func start(_ config: RunConfig, keep: Bool = false, launch: (RunConfig) -> Never) throws(RuntimeError) -> DemoContainer {
        var fds: [Int32] = []
        func pipePair() throws(RuntimeError) -> (Int32, Int32) {
            do throws(SyscallError) {
                let p = try PipePair.make("demo container")
                fds += [p.read, p.write]
                return p
            } catch {
                throw RuntimeError(error)
            }
        }
        do throws(RuntimeError) {
            let (inR, inW) = try pipePair()
            let (outR, outW) = try pipePair()
            let (errR, errW) = try pipePair()
            let pid = fork()
            if pid < 0 { throw RuntimeError(SyscallError.last("fork", "demo container")) }
            if pid == 0 {
                // dup2 clears close-on-exec on the copies; every other pipe end closes here, so
                // that the demo sees EOF when the container and this launcher are gone.
                dup2(inR, 0)
                dup2(outW, 1)
                dup2(errW, 2)
                for fd in fds { Glibc.close(fd) }
                if keep {
                    // A kept container outlives the demo: its launcher leaves the demo's
                    // session (no hangup from the terminal), a write to the demo's closed
                    // pipes fails with EPIPE instead of killing it before it cleans up, and it
                    // holds nothing the demo inherited: whoever waits for the demo's end by its
                    // descriptors (a pipe, Foundation's Process socket) must see it.
                    setsid()
                    for fd in ((try? FileIO.list("/proc/self/fd")) ?? []).compactMap({ Int32($0) }) where fd > 2 { Glibc.close(fd) }
                } else {
                    signal(SIGPIPE, SIG_DFL)
                }
                launch(config)
            }
            Glibc.close(inR)
            Glibc.close(outW)
            Glibc.close(errW)
            return DemoContainer(launcher: pid, stdinFD: inW, pipes: PipePump(stdout: outR, stderr: errR, bufferSize: 8192))
        } catch {
            for fd in fds { Glibc.close(fd) }
            throw error
        }
    }

    /// Reads until the script reports `@@ready` (true), or ends or times out (false).
    mutating func waitUntilReady(seconds: Int32 = 20) -> Bool {
        let deadline = DemoClock.monotonicMillis() + Int64(seconds) * 1000
        // Complete lines only (the part after the last newline is still being written). Not
        // String.contains(String): that one is _StringProcessing's, and would link the regex
        // engine into silo for this one call.
        while !text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().contains(Substring(DemoContainer.ready)) {
            if !pipes.stdoutOpen || !pump(until: deadline) { return false }
        }
        if let child = ProcFS.children(of: launcher).first { pid = child }
        return pid != nil
    }

    /// Lets the script go on until it reports `@@kept` (its last line before it sleeps with
    /// /dev/null as stdin and stdout), then lets go of the container and its launcher: they run
    /// on, and the launcher cleans up when the container ends. False if the script ended first.
    mutating func detach(seconds: Int32 = 20) -> Bool {
        var line: UInt8 = 0x0A
        _ = write(stdinFD, &line, 1)
        let deadline = DemoClock.monotonicMillis() + Int64(seconds) * 1000
        while !text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().contains(Substring(DemoContainer.kept)) {
            if !pipes.stdoutOpen || !pump(until: deadline) { return false }
        }
        Glibc.close(stdinFD)
        stdinFD = -1
        reaped = true  // not ours to reap or kill any more
        pipes.closeAll()
        return true
    }

    /// Lets the script go on, reads to the end and reaps the launcher: silo's exit status.
    mutating func finish(seconds: Int32 = 20) -> Int32 {
        var line: UInt8 = 0x0A
        _ = write(stdinFD, &line, 1)
        Glibc.close(stdinFD)
        stdinFD = -1
        let deadline = DemoClock.monotonicMillis() + Int64(seconds) * 1000
        while pipes.stdoutOpen || pipes.stderrOpen {
            if !pump(until: deadline) {
                terminate()
                break
            }
        }
        reaped = true
        return ProcessWait.status(of: launcher)
    }

    /// SIGKILL to the container and its launcher, by PID, while they are still ours: the
    /// launcher is not reaped yet (so its PID cannot be reused) and the container is still its
    /// child.
    mutating func terminate() {
        guard !reaped else { return }
        if let pid, ProcFS.children(of: launcher).contains(pid) { Glibc.kill(pid, SIGKILL) }
        Glibc.kill(launcher, SIGKILL)
    }

    /// Releases everything, whatever state the container is in.
    mutating func release() {
        if !reaped {
            terminate()
            reaped = true
            _ = ProcessWait.status(of: launcher)
        }
        if stdinFD >= 0 { Glibc.close(stdinFD) }
        stdinFD = -1
        pipes.closeAll()
    }

    var text: String { String(decoding: pipes.stdout, as: UTF8.self) }
    var errorText: String { String(decoding: pipes.stderr, as: UTF8.self) }

    /// The script's blocks: `@@name` starts one, every following line belongs to it.
    var blocks: DemoBlocks { DemoBlocks(parsing: text) }

    /// One poll round over stdout and stderr; false once the deadline has passed or poll fails.
    private mutating func pump(until deadline: Int64) -> Bool {
        let left = deadline - DemoClock.monotonicMillis()
        if left <= 0 { return false }
        return pipes.step(timeoutMillis: Int32(min(left, 1000))) == .progress
    }
}
