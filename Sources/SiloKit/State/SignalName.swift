/// Signal names as `kill` takes them (runc, crun and podman accept the same forms): a number as
/// it is, or a name in any case with or without "SIG", from Linux's table, including
/// RTMIN+n / RTMAX-n (glibc's SIGRTMIN is 34: it keeps 32 and 33 for itself).
public enum SignalName {
    /// Linux's numbers (x86, arm, and the generic table every other architecture silo targets uses).
    public static let table: [(name: String, number: Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7),
        ("FPE", 8), ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14),
        ("TERM", 15), ("STKFLT", 16), ("CHLD", 17), ("CLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20),
        ("TTIN", 21), ("TTOU", 22), ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27),
        ("WINCH", 28), ("IO", 29), ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ]
    public static let rtmin: Int32 = 34
    public static let rtmax: Int32 = 64

    /// The signal number for "KILL", "SIGKILL", "sigterm", "9", "RTMIN+3", "SIGRTMAX-1".
    /// Numbers 0 (existence check) to 64 are taken as they are.
    public static func parse(_ text: String) throws(RuntimeError) -> Int32 {
        if let n = Int32(text) {
            guard (0...rtmax).contains(n) else { throw unknown(text) }
            return n
        }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let hit = table.first(where: { $0.name == name }) { return hit.number }
        if name == "RTMIN" { return rtmin }
        if name == "RTMAX" { return rtmax }
        for (prefix, base, sign) in [("RTMIN+", rtmin, Int32(1)), ("RTMAX-", rtmax, Int32(-1))] where name.hasPrefix(prefix) {
            let digits = name.dropFirst(prefix.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let n = Int32(digits), n <= rtmax - rtmin else { throw unknown(text) }
            return base + sign * n
        }
        throw unknown(text)
    }

    /// The usual name of a number ("KILL", "RTMIN+2"), for messages; nil for 0 or out of range.
    public static func name(of number: Int32) -> String? {
        if let hit = table.first(where: { $0.number == number }) { return hit.name }
        if number == rtmin { return "RTMIN" }
        if number == rtmax { return "RTMAX" }
        if number > rtmin && number < rtmax { return "RTMIN+\(number - rtmin)" }
        return nil
    }

    /// runc's wording.
    static func unknown(_ text: String) -> RuntimeError {
        RuntimeError(.usage, "unknown signal \"\(text)\"")
    }
}
