#if canImport(Glibc)
import Glibc
#endif

/// An interactive session on a pty master: `silo run -t`, `silo exec -t`, and later `attach`.
/// With `interactive` and a terminal on stdin, that terminal goes raw for the session (with a
/// TerminalGuard for a silo killed by SIGKILL) and is restored before `run` returns; the pty
/// gets the caller's window size first and on every SIGWINCH.
///
///     var session = TerminalSession(master: m, pid: p, interactive: true)
///     session.detachKeys = .default           // nil: the keys go to the process
///     let outcome = try session.run(signals: blocked)   // .exited(status) or .detached
///
/// The caller blocks `signals` (ForwardedSignals and SIGCHLD) before it starts the process, so
/// that none is lost, and keeps them blocked; it owns `master` (after `.detached`, whatever
/// holds the master keeps the process's terminal alive: see `PtyHolder`).
public struct TerminalSession {
    public var master: Int32
    public var pid: pid_t
    /// -i: the caller's stdin is relayed; else nothing reads it.
    public var interactive: Bool
    public var detachKeys: DetachKeys?

    public init(master: Int32, pid: pid_t, interactive: Bool) {
        self.master = master
        self.pid = pid
        self.interactive = interactive
    }

    public func run(signals: sigset_t) throws(SyscallError) -> PtyRelay.Outcome {
        var relay = PtyRelay(master: master, pid: pid, input: interactive ? 0 : nil)
        relay.detachKeys = detachKeys
        relay.copyWindowSize()  // the caller may have resized since the pty was made
        let raw = TerminalGuard.rawSession(enabled: interactive)
        defer { raw.end() }
        return try relay.run(signals: signals)
    }
}
