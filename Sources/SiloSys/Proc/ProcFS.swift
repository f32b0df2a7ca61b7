#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about processes, read the way `ps`, `lsns` and `nsenter` read it.
public enum ProcFS {
    /// Every process (thread-group leader) that /proc lists, ascending.
    public static func pids() -> [pid_t] {
        ((try? FileIO.list("/proc")) ?? []).compactMap { pid_t($0) }.sorted()
    }

    /// The fields of /proc/PID/status ("Name", "PPid", "Uid", "NSpid", ...), values trimmed.
    public static func status(_ pid: String) -> [String: String]? {
        guard let text = try? FileIO.read("/proc/\(pid)/status") else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...].trimming(" \t"))
        }
        return fields
    }

    public static func comm(_ pid: pid_t) -> String? {
        (try? FileIO.read("/proc/\(pid)/comm")).map { String($0.split(separator: "\n").first ?? "") }
    }

    /// Kernel threads are kthreadd (PID 2) and its children; their command line is empty.
    public static func isKernelThread(_ pid: pid_t) -> Bool {
        if pid == 2 { return true }
        guard let stat = try? FileIO.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return false }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        return rest.count > 1 && rest[1] == "2"
    }

    /// The target of /proc/PID/ns/KIND, e.g. `uts:[4026531838]`; nil when unreadable.
    public static func namespace(_ kind: String, of pid: String = "self") -> String? {
        try? FileIO.readlink("/proc/\(pid)/ns/\(kind)")
    }

    /// The inode number in `uts:[4026531838]`.
    public static func inode(_ link: String) -> UInt64? {
        guard let open = link.firstIndex(of: "["), let close = link.lastIndex(of: "]"), open < close else { return nil }
        return UInt64(link[link.index(after: open)..<close])
    }

    /// The processes whose parent is `parent`.
    public static func children(of parent: pid_t) -> [pid_t] {
        pids().filter { pid in
            guard let stat = try? FileIO.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return false }
            // "PID (comm) STATE PPID ...": comm may hold spaces and parentheses, so split after the last ')'.
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            return rest.count > 1 && pid_t(rest[1]) == parent
        }
    }

    /// The PIDs of NSpid in /proc/PID/status: outermost (the reader's PID namespace) first.
    public static func nsPIDs(_ pid: String) -> [String] {
        status(pid)?["NSpid"].map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) } ?? []
    }

    public struct Mount: Equatable, Sendable {
        public var mountPoint: String
        public var fsType: String
        public var source: String
        /// The part of the source file system mounted here (`/` for a whole one).
        public var root: String
    }

    /// /proc/PID/mountinfo, parsed.
    public static func mounts(_ pid: String = "self") -> [Mount] {
        guard let text = try? FileIO.read("/proc/\(pid)/mountinfo") else { return [] }
        return parseMountinfo(text)
    }

    public static func parseMountinfo(_ text: String) -> [Mount] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard let dash = f.firstIndex(of: "-"), dash >= 5, f.count > dash + 2 else { return nil }
            return Mount(mountPoint: unescape(f[4]), fsType: f[dash + 1], source: unescape(f[dash + 2]), root: unescape(f[3]))
        }
    }

    /// mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.
    public static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x5C, i + 3 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
