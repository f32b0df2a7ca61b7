#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `silo run -t` and `-i` (docs/terminals.md): with -t the container's init makes a pty in the
/// container's own devpts before it execs (ContainerInit, ConsoleSetup) and sends the master
/// over a socket pair made here; silo then relays between its stdio and that master
/// (TerminalSession) instead of only forwarding signals. Without -i and -t, a terminal on
/// silo's stdin is replaced by /dev/null in the container; a pipe or file is passed on as is.
struct RunTerminal {
    private(set) var parentEnd: Int32 = -1
    private(set) var childEnd: Int32 = -1
    let tty: Bool
    let interactive: Bool

    /// Before clone: nothing here for a plain `silo run` without a terminal on stdin but one
    /// isatty.
    static func make(_ config: RunConfig, plan: inout ContainerPlan) throws(RuntimeError) -> RunTerminal {
        var t = RunTerminal(tty: config.tty, interactive: config.interactive)
        if config.tty {
            do { (t.parentEnd, t.childEnd) = try UnixSocket.seqpacketPair(object: "console socket") } catch { throw RuntimeError(error) }
            plan.consoleSocket = t.childEnd
            plan.consoleSize = config.consoleSize ?? TerminalMode.windowSize()
            if !plan.env.contains(where: { $0.hasPrefix("TERM=") }) { plan.env.append("TERM=xterm") }
        } else if !config.interactive && Terminal.isTerminal(0) {
            // A session of its own too: no controlling terminal, so /dev/tty is no way back
            // to the caller's (which only -i shares, as silo did before -i existed).
            plan.stdinFromNull = true
        }
        if config.tty || plan.stdinFromNull { plan.newSession = true }
        return t
    }

    /// In the parent right after clone: the child has its own copy.
    mutating func closeChildEnd() {
        if childEnd >= 0 { Glibc.close(childEnd) }
        childEnd = -1
    }

    mutating func close() {
        closeChildEnd()
        if parentEnd >= 0 { Glibc.close(parentEnd) }
        parentEnd = -1
    }

    /// After the exec, with -t: the pty master the container's init sent.
    func receiveMaster() -> Int32? {
        guard tty else { return nil }
        return try? UnixSocket.receive(over: parentEnd, object: "console socket").fd
    }

    /// After the exec: relays the pty until `pid` exits, or (no -t) forwards signals.
    func awaitExit(of pid: pid_t, blocked: sigset_t) -> Int32 {
        guard tty, let master = try? UnixSocket.receive(over: parentEnd, object: "console socket").fd else {
            return SignalForwarder.forward(to: pid, waitingOn: blocked, reapAll: false)
        }
        defer { Glibc.close(master) }
        let session = TerminalSession(master: master, pid: pid, interactive: interactive)
        if case .exited(let status)? = try? session.run(signals: blocked) { return status }
        return SignalForwarder.forward(to: pid, waitingOn: blocked, reapAll: false)
    }
}
