#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// Every namespace on the system, as `lsns` finds them: each one some process is in (read from
/// /proc/PID/ns of every process), and each one only a name holds (an nsfs bind mount such as
/// /run/netns/NAME, listed in the NSFS column), which a process-only scan would miss. `silo ns`
/// without a PID prints it (SiloCLI/Commands/NsCommand.swift).
public enum NamespaceList {
    public struct Entry: Sendable {
        public var kind: String
        public var inode: UInt64
        /// Every process in it, ascending; empty when only a bind mount holds it.
        public var processes: [pid_t]
        /// Where it is bind-mounted (nsfs), in the caller's mount namespace.
        public var nsfs: [String]

        public init(kind: String, inode: UInt64, processes: [pid_t], nsfs: [String]) {
            self.kind = kind
            self.inode = inode
            self.processes = processes
            self.nsfs = nsfs
        }
    }

    public struct Listing: Sendable {
        public var entries: [Entry]
        /// Processes whose namespaces could not be read (another user namespace's, or gone).
        public var unreadable: [pid_t]

        public init(entries: [Entry], unreadable: [pid_t]) {
            self.entries = entries
            self.unreadable = unreadable
        }
    }

    /// `kinds` limits the scan (all kinds when empty). Sorted by inode, as lsns sorts.
    public static func scan(kinds: [String] = []) -> Listing {
        let wanted = kinds.isEmpty ? NamespaceKind.allCases.map(\.rawValue) : kinds
        var byLink: [String: Entry] = [:]
        var unreadable: [pid_t] = []
        for p in ProcFS.pids() {
            var any = false
            for kind in wanted {
                guard let link = ProcFS.namespace(kind, of: "\(p)"), let inode = ProcFS.inode(link) else { continue }
                any = true
                byLink[link, default: Entry(kind: kind, inode: inode, processes: [], nsfs: [])].processes.append(p)
            }
            if !any && FileIO.exists("/proc/\(p)/ns") { unreadable.append(p) }
        }
        // An nsfs mount's root names its namespace: "net:[4026532290]".
        for m in ProcFS.mounts() where m.fsType == "nsfs" {
            guard let colon = m.root.firstIndex(of: ":"), let inode = ProcFS.inode(m.root) else { continue }
            let kind = String(m.root[..<colon])
            guard wanted.contains(kind) else { continue }
            byLink[m.root, default: Entry(kind: kind, inode: inode, processes: [], nsfs: [])].nsfs.append(m.mountPoint)
        }
        let entries = byLink.values.sorted { $0.inode < $1.inode }
        return Listing(entries: entries, unreadable: unreadable)
    }

    /// The command line of `pid` as ps shows it, or `[comm]` for a kernel thread.
    public static func command(_ pid: pid_t) -> String {
        let raw = (try? FileIO.read("/proc/\(pid)/cmdline")) ?? ""
        var args = raw.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        while args.last?.isEmpty == true { args.removeLast() }
        return args.isEmpty ? "[\(ProcFS.comm(pid) ?? "?")]" : args.joined(separator: " ")
    }

    /// The real uid of `pid`, as /proc/PID/status gives it.
    public static func uid(_ pid: pid_t) -> UInt32? {
        ProcFS.status("\(pid)")?["Uid"].flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first }.flatMap { UInt32($0) }
    }
}
