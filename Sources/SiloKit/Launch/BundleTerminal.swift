#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `silo run --bundle` with process.terminal and no `--console-socket`: runc's foreground tty.
/// The init makes the pty in the container's devpts exactly as for an engine's console socket
/// (ConsoleSetup: the slave bound over /dev/console, fds 0-2, controlling terminal), but the
/// socket is one end of a pair made here, so the master comes to silo itself, which relays it
/// to its own stdio until the process exits (TerminalSession: the caller's terminal raw when
/// stdin is one, under a TerminalGuard; SIGWINCH copies the window size; restored on return).
/// `create` has nobody to relay to after it returns: there runc's refusal stays.
enum BundleTerminal {
    /// (silo's end, the init's end), both close-on-exec; made before clone.
    static func pair() throws(RuntimeError) -> (relay: Int32, console: Int32) {
        do { return try UnixSocket.seqpacketPair(object: "console socket") } catch { throw RuntimeError(error) }
    }

    /// After create: the init sent the master before it reported ready, so it is queued; the
    /// relay end is closed either way.
    static func receiveMaster(_ relay: Int32) throws(RuntimeError) -> Int32 {
        defer { close(relay) }
        do { return try UnixSocket.receive(over: relay, object: "console socket").fd } catch { throw RuntimeError(error) }
    }

    /// After start: every byte both ways until `pid` exits; its status (128+signal). Stdin is
    /// always relayed, as runc does: a terminal process has no other input.
    static func relay(master: Int32, pid: pid_t, blocked: sigset_t) -> Int32 {
        defer { close(master) }
        let session = TerminalSession(master: master, pid: pid, interactive: true)
        if case .exited(let status)? = try? session.run(signals: blocked) { return status }
        return SignalForwarder.forward(to: pid, waitingOn: blocked, reapAll: false)
    }
}
