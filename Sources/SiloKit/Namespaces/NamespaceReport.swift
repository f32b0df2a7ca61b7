#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The namespaces of a process, as `lsns -p PID` finds them: for each kind its inode, whether
/// it is the initial namespace of its kind and the caller's, and every process in it. `silo ns`
/// prints it (SiloCLI/Commands/NsCommand.swift).
public enum NamespaceReport {
    public struct Entry: Sendable {
        public var kind: String
        public var link: String
        public var inode: UInt64
        /// nil when this kernel gives no way to tell.
        public var initial: Bool?
        public var callers: Bool
        /// Every process in this namespace, the target included, ascending.
        public var processes: [pid_t]
    }

    public struct Report: Sendable {
        public var pid: pid_t
        public var command: String
        public var entries: [Entry]
        /// Processes whose namespaces could not be read (another user namespace's, or gone).
        public var unreadable: [pid_t]
    }

    /// kthreadd (PID 2, parent 0) runs in every initial namespace; it serves as the reference
    /// where no fixed inode number does, if it is visible from here.
    static func kthreaddNamespace(_ kind: String) -> UInt64? {
        guard ProcFS.comm(2) == "kthreadd", ProcFS.status("2")?["PPid"] == "0" else { return nil }
        return ProcFS.namespace(kind, of: "2").flatMap(ProcFS.inode)
    }

    public static func isInitial(_ kind: String, inode: UInt64) -> Bool? {
        // The fixed numbers (NamespaceKind.initialInode): net and mnt got them only lately.
        if NamespaceKind(rawValue: kind)?.initialInode == inode { return true }
        if let k = kthreaddNamespace(kind) { return k == inode }
        // The fixed numbers of ipc, uts, user, pid, cgroup and time are reliable on any kernel.
        return kind == "net" || kind == "mnt" ? nil : false
    }

    public static func report(pid: pid_t) throws(RuntimeError) -> Report {
        var entries: [Entry] = []
        for kind in NamespaceKind.allCases.map(\.rawValue) {
            let path = "/proc/\(pid)/ns/\(kind)"
            let link: String
            do { link = try FileIO.readlink(path) } catch {
                if error.errno == ENOENT && kind != "time" && !FileIO.exists("/proc/\(pid)") {
                    throw RuntimeError(.usage, "ns: process \(pid): No such process")
                }
                if error.errno == ENOENT { continue }  // a kernel without this kind
                throw RuntimeError(.runtime, "ns: \(path): \(error.reason)")
            }
            guard let inode = ProcFS.inode(link) else { continue }
            entries.append(Entry(kind: kind, link: link, inode: inode, initial: isInitial(kind, inode: inode),
                                 callers: ProcFS.namespace(kind) == link, processes: []))
        }
        if entries.isEmpty { throw RuntimeError(.usage, "ns: process \(pid): No such process") }
        var unreadable: [pid_t] = []
        for p in ProcFS.pids() {
            var any = false
            for i in entries.indices {
                guard let l = ProcFS.namespace(entries[i].kind, of: "\(p)") else { continue }
                any = true
                if l == entries[i].link { entries[i].processes.append(p) }
            }
            if !any && FileIO.exists("/proc/\(p)") { unreadable.append(p) }
        }
        return Report(pid: pid, command: ProcFS.comm(pid) ?? "?", entries: entries, unreadable: unreadable)
    }
}
