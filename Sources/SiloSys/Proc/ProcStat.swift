#if canImport(Glibc)
import Glibc
#endif

/// The fields of /proc/PID/stat that tell one process from a later one with the same pid.
public struct ProcStat: Equatable, Sendable {
    /// Field 2, without the parentheses.
    public var comm: String
    /// Field 3: R, S, D, T, t, Z (zombie), X (dead), I, P, W, K.
    public var state: Character
    /// Field 4.
    public var ppid: pid_t
    /// Field 22: when the process started, in clock ticks since boot. A pid reused by a later
    /// process has a later start time, which is what runc and crun compare.
    public var startTime: UInt64

    public init(comm: String, state: Character, ppid: pid_t, startTime: UInt64) {
        self.comm = comm
        self.state = state
        self.ppid = ppid
        self.startTime = startTime
    }

    /// A zombie (Z) or a process being torn down (X): it has exited, only its pid is left.
    public var hasExited: Bool { state == "Z" || state == "X" }

    /// Parses the text of /proc/PID/stat. The command name may hold spaces and ')' (a process
    /// can name itself `a) R 1 (`), so the fields are read after the LAST ')'.
    public static func parse(_ text: String) -> ProcStat? {
        let bytes = Array(text.utf8)
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close else { return nil }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        // rest[0] is field 3, so field N is rest[N - 3].
        guard rest.count > 19, rest[0].count == 1,
              let ppid = pid_t(String(decoding: rest[1], as: UTF8.self)),
              let start = UInt64(String(decoding: rest[19], as: UTF8.self).trimmingSuffixNewline()) else { return nil }
        return ProcStat(comm: comm, state: Character(UnicodeScalar(rest[0].first!)), ppid: ppid, startTime: start)
    }

    /// /proc/PID/stat of a live (or zombie) process.
    public static func read(_ pid: pid_t) throws(SyscallError) -> ProcStat {
        let path = "/proc/\(pid)/stat"
        let text = try FileIO.read(path, limit: 4096)
        guard let stat = parse(text) else { throw SyscallError("parse", errno: EINVAL, object: path) }
        return stat
    }
}

extension String {
    fileprivate func trimmingSuffixNewline() -> String {
        var s = self
        while s.last == "\n" { s.removeLast() }
        return s
    }
}
