#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `silo exec -t` without `--console-socket`: the exec'd process makes its pty in the
/// container's devpts (ConsoleSetup, as for an engine's console socket) and sends the master to
/// silo over a socket pair, and silo relays it to its own stdio (TerminalSession), with detach
/// keys: detaching leaves the process running, its terminal held open by a PtyHolder.
enum ExecTerminal {
    /// (silo's end, the process's end), both close-on-exec.
    static func consolePair(_ request: ExecRequest) throws(RuntimeError) -> (Int32, Int32) {
        if request.detach {
            throw RuntimeError(.usage, "exec --detach --tty needs --console-socket: nobody would hold the terminal")
        }
        do { return try UnixSocket.seqpacketPair(object: "console socket") } catch { throw RuntimeError(error) }
    }

    /// After the process's execve: its status, or 0 once the caller detached.
    static func relay(_ request: ExecRequest, pid: pid_t, consolePair: Int32, blocked: sigset_t) throws(RuntimeError) -> Int32 {
        let master: Int32
        do { master = try UnixSocket.receive(over: consolePair, object: "console socket").fd } catch {
            return SignalForwarder.forward(to: pid, waitingOn: blocked, reapAll: false)
        }
        defer { close(master) }
        var session = TerminalSession(master: master, pid: pid, interactive: request.interactive)
        session.detachKeys = request.detachKeys
        do throws(SyscallError) {
            switch try session.run(signals: blocked) {
            case .exited(let status):
                return status
            case .detached:
                _ = try PtyHolder.start(master: master)
                return 0
            }
        } catch {
            throw RuntimeError(error)
        }
    }
}
