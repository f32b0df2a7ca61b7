#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// Puts the caller's terminal back when silo dies without doing it itself (SIGKILL): a forked
/// process in a session of its own that holds only the terminal and the read end of a pipe
/// whose write end only silo holds. Silo's death, however it comes, closes the pipe; the guard
/// then restores the saved modes if the terminal still has the raw ones (after a normal exit
/// silo has restored them itself, and a shell that already set its own keeps them).
/// A SIGKILL sent to the guard too (kill -9 of the whole process group reaches silo only: the
/// guard has its own session) leaves the terminal raw: `stty sane` mends it.
public enum TerminalGuard {
    /// Returns the pipe's write end (close-on-exec), to be closed after `mode.restore()`;
    /// nil when no guard could be started (the session runs without one).
    public static func start(_ mode: TerminalMode) -> Int32? {
        guard let ends = try? PipePair.make("terminal guard") else { return nil }
        // Its own session (no controlling terminal: no SIGHUP, no job control stop on
        // tcsetattr), entered without a window for the terminal's signals (NewSession).
        let previous = NewSession.blockTerminalSignals()
        let pid = fork()
        if pid == 0 {
            NewSession.begin(restoring: previous)
            watch(mode, readEnd: ends.read)
        }
        NewSession.restore(previous)
        if pid < 0 {
            close(ends.read)
            close(ends.write)
            return nil
        }
        close(ends.read)
        return ends.write
    }

    private static func watch(_ mode: TerminalMode, readEnd: Int32) -> Never {
        let keep = [mode.fd, readEnd].sorted()
        var first: UInt32 = 0
        for fd in keep {
            if UInt32(fd) > first { _ = silo_close_range(first, UInt32(fd) - 1, 0) }
            first = UInt32(fd) + 1
        }
        _ = silo_close_range(first, UInt32.max, 0)
        var byte: UInt8 = 0
        while true {
            let n = read(readEnd, &byte, 1)
            if n == 0 || (n < 0 && errno != EINTR) { break }
        }
        if mode.isStillRaw() { mode.restore() }
        Exit.now(0)
    }
}

extension TerminalGuard {
    /// stdin's terminal made raw for one session, under a TerminalGuard (started first, so a
    /// SIGKILL right after the mode change still finds it there); nothing when `enabled` is
    /// false or stdin is no terminal. A terminal that refuses raw mode (EIO: it is hanging up)
    /// is left as it is and its session still runs. `RawSession.end()` puts everything back.
    public static func rawSession(enabled: Bool) -> RawSession {
        guard enabled, let m = TerminalMode(fd: 0) else { return RawSession(mode: nil, guardFD: -1) }
        let guardFD = start(m) ?? -1
        return RawSession(mode: (try? m.makeRaw()) == nil ? nil : m, guardFD: guardFD)
    }

    public struct RawSession {
        let mode: TerminalMode?
        let guardFD: Int32

        /// The saved modes back, the guard released.
        public func end() {
            mode?.restore()
            if guardFD >= 0 { close(guardFD) }
        }
    }
}
