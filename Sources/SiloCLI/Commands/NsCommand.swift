#if canImport(Glibc)
import Glibc
#endif
import SiloDemo
import SiloKit
import SiloSpec
import SiloSys

/// `silo ns`: every namespace on the system, as `lsns` lists them (with the NSFS column naming
/// the bind mounts that hold one, /run/netns/NAME); `silo ns PID`: the namespaces of one process,
/// as `lsns -p PID`, with the other processes in each, whether each is the initial namespace of
/// its kind, and whether it is the caller's. English, or Chinese under a zh locale.
public enum NsCommand {
    public static let parser = ArgumentParser(command: "silo ns", options: [
        .init(["--json"], help: "The same as JSON"),
        .init(["--type", "-t"], value: "KIND", help: "Only namespaces of KIND (repeatable; the list without PID)"),
    ], stopAtPositional: false)

    public static let usage = "silo ns [PID] [--type KIND] [--json]"
    public static let summary = """
    Without PID, list every namespace on the system as lsns does: its inode, kind, number of
    processes, the lowest PID in it with its user and command, and the nsfs bind mounts (such as
    /run/netns/NAME) that hold it, including namespaces only such a name keeps alive. With PID,
    list that process's namespaces: for each kind its inode, the other processes in it, whether it
    is the initial namespace, and whether it is the caller's.
    """

    static func run(_ args: [String]) throws(CommandFailure) -> Int32 {
        do { return try main(args) } catch { throw CommandFailure(error) }
    }

    static func main(_ args: [String]) throws(RuntimeError) -> Int32 {
        let r = try parser.parse(args)
        if r.has("--help") {
            Output.out(parser.help(usage: usage, summary: summary))
            return 0
        }
        guard r.positionals.count <= 1 else { throw RuntimeError(.usage, "ns: one PID at most (usage: \(usage))") }
        let l = DemoLanguage.fromEnvironment()
        guard let a = r.positionals.first else {
            let known = NamespaceKind.allCases.map(\.rawValue)
            let types = r.all("--type")
            for t in types where !known.contains(t) {
                throw RuntimeError(.usage, "ns: --type `\(t)`: expected one of \(known.joined(separator: ", "))")
            }
            let listing = NamespaceList.scan(kinds: types)
            if r.flag("--json") {
                Output.out(json(listing).encoded(indent: "  "))
            } else {
                Output.write(1, text(listing, l))
            }
            return 0
        }
        if !r.all("--type").isEmpty { throw RuntimeError(.usage, "ns: --type lists the whole system; it does not go with a PID") }
        guard let pid = pid_t(a), pid > 0 else { throw RuntimeError(.usage, "ns: `\(a)`: expected a process ID") }
        let report = try NamespaceReport.report(pid: pid)
        if r.flag("--json") {
            Output.out(json(report).encoded(indent: "  "))
        } else {
            Output.write(1, text(report, TextStyle.forStdout(), l))
        }
        return 0
    }

    /// The system-wide list, in lsns's columns.
    static func text(_ listing: NamespaceList.Listing, _ l: DemoLanguage) -> String {
        var rows: [[String]] = [["NS", "TYPE", "NPROCS", "PID", "USER", "NSFS", "COMMAND"]]
        let users = userNames()
        for e in listing.entries {
            let first = e.processes.first
            let user = first.flatMap(NamespaceList.uid).map { users[$0] ?? String($0) } ?? ""
            rows.append([String(e.inode), e.kind, String(e.processes.count), first.map { String($0) } ?? "",
                         user, e.nsfs.joined(separator: ","), first.map(NamespaceList.command) ?? ""])
        }
        let widths = (0..<6).map { c in rows.map { TextStyle.columns($0[c]) }.max() ?? 0 }
        var out = ""
        for row in rows {
            var line = ""
            for c in 0..<6 {
                let right = c == 0 || c == 2 || c == 3
                let pad = String(repeating: " ", count: widths[c] - TextStyle.columns(row[c]))
                line += (right ? pad + row[c] : row[c] + pad) + " "
            }
            out += line + row[6] + "\n"
        }
        if !listing.unreadable.isEmpty {
            out += "\n" + l.t("Not counted: \(listing.unreadable.count) process(es) whose namespaces cannot be read from here (\(listing.unreadable.prefix(5).map(String.init).joined(separator: ", "))).",
                               "未计入：\(listing.unreadable.count) 个进程的命名空间在这里读不到（\(listing.unreadable.prefix(5).map(String.init).joined(separator: ", "))）。") + "\n"
        }
        return out
    }

    /// uid -> name from /etc/passwd (what lsns shows; no NSS lookups for a listing).
    static func userNames() -> [UInt32: String] {
        var out: [UInt32: String] = [:]
        for line in ((try? FileIO.read("/etc/passwd")) ?? "").split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            if f.count > 2, let uid = UInt32(f[2]), out[uid] == nil { out[uid] = String(f[0]) }
        }
        return out
    }

    static func json(_ listing: NamespaceList.Listing) -> JSON {
        .fields([
            ("namespaces", .array(listing.entries.map { e in
                .fields([
                    ("inode", .integer(e.inode)),
                    ("kind", .string(e.kind)),
                    ("nprocs", .integer(e.processes.count)),
                    ("pid", e.processes.first.map { .integer($0) } ?? .null),
                    ("uid", e.processes.first.flatMap(NamespaceList.uid).map { .integer($0) } ?? .null),
                    ("command", e.processes.first.map { .string(NamespaceList.command($0)) } ?? .null),
                    ("nsfs", .strings(e.nsfs)),
                    ("processes", .array(e.processes.map { .integer($0) })),
                ])
            })),
            ("unreadable", .array(listing.unreadable.map { .integer($0) })),
        ])
    }

    static func yesNo(_ b: Bool?, _ l: DemoLanguage) -> String { b.map { $0 ? l.t("yes", "是") : l.t("no", "否") } ?? l.t("unknown", "不明") }

    static func text(_ report: NamespaceReport.Report, _ style: TextStyle, _ l: DemoLanguage = .en) -> String {
        let me = getpid()
        var out = style.bold(l.t("Namespaces of PID \(report.pid) (\(report.command))", "PID \(report.pid)（\(report.command)）的命名空间"))
            + (report.pid == me ? l.t(", silo itself", "，即 silo 自己") : "") + "\n\n"
        let cols = [8, 13, 9, 10, 8]
        let names = [l.t("KIND", "类型"), "INODE", l.t("INITIAL", "初始"), l.t("CALLER'S", "调用者的"), "NPROCS"]
        let head = zip(names, cols).map { TextStyle.pad($0, $1) }.joined() + l.t("OTHER PROCESSES IN IT", "其中的其他进程")
        out += style.bold(head) + "\n"
        let room = max(20, style.width - 48)
        for e in report.entries {
            let others = e.processes.filter { $0 != report.pid && $0 != me }
            var list = others.prefix(4).map { "\($0) \(ProcFS.comm($0) ?? "?")" }.joined(separator: ", ")
            if others.count > 4 { list += l.t(", … \(others.count - 4) more", "，… 另有 \(others.count - 4) 个") }
            if others.isEmpty { list = l.t("none", "无") }
            let cells = [e.kind, String(e.inode), yesNo(e.initial, l), yesNo(e.callers, l), String(e.processes.count)]
            out += zip(cells, cols).map { TextStyle.pad($0, $1) }.joined() + TextStyle.fit(list, room) + "\n"
        }
        out += "\n"
        out += TextStyle.wrap(l.t("INITIAL: the namespace the kernel started with. The initial namespaces have fixed inode numbers, counting down from 0xEFFFFFFF = 4026531839: ipc, uts, user and pid since Linux 3.8, cgroup since 4.6 and time since 5.6 (when they appeared), net and mnt only since 6.18; where the number says nothing, silo compares with kthreadd (PID 2), which runs in every initial namespace. Two namespaces are the same exactly when device and inode both match (namespaces(7)). CALLER'S: the same namespace as this silo process (PID \(me)), which is counted in NPROCS but not listed.",
                                  "初始：内核启动时就有的那个命名空间。初始命名空间的 inode 号是固定的，从 0xEFFFFFFF = 4026531839 往下数：ipc、uts、user、pid 自 Linux 3.8 起，cgroup 自 4.6、time 自 5.6 起（它们出现时就有），net 和 mnt 直到 6.18 才有；号码说明不了问题时，silo 拿 kthreadd（PID 2）来比，它待在每一个初始命名空间里。两个命名空间相同，当且仅当设备号和 inode 号都相同（namespaces(7)）。调用者的：与这个 silo 进程（PID \(me)）同在一个命名空间；它算进 NPROCS，但不列出来。"), style.width, indent: "")
        if !report.unreadable.isEmpty {
            out += TextStyle.wrap(l.t("Not counted: \(report.unreadable.count) process(es) whose namespaces cannot be read from here (\(report.unreadable.prefix(5).map(String.init).joined(separator: ", "))).",
                                      "未计入：\(report.unreadable.count) 个进程的命名空间在这里读不到（\(report.unreadable.prefix(5).map(String.init).joined(separator: ", "))）。"), style.width, indent: "")
        }
        return out
    }

    static func json(_ report: NamespaceReport.Report) -> JSON {
        let me = getpid()
        return .fields([
            ("pid", .integer(report.pid)),
            ("command", .string(report.command)),
            ("caller", .integer(me)),
            ("namespaces", .array(report.entries.map { e in
                .fields([
                    ("kind", .string(e.kind)),
                    ("inode", .integer(e.inode)),
                    ("link", .string(e.link)),
                    ("initial", e.initial.map { .bool($0) } ?? .null),
                    ("callers", .bool(e.callers)),
                    ("nprocs", .integer(e.processes.count)),
                    ("processes", .array(e.processes.map { .integer($0) })),
                ])
            })),
            ("unreadable", .array(report.unreadable.map { .integer($0) })),
        ])
    }
}
