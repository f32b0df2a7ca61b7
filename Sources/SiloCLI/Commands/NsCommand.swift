#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// `silo ns [PID]`: the namespaces of a process, as `lsns -p PID` lists them, with the other
/// processes in each, whether each is the initial namespace of its kind, and whether it is the
/// caller's.
public enum NsCommand {
    public static let parser = ArgumentParser(command: "silo ns", options: [
        .init(["--json"], help: "The same as JSON"),
    ], stopAtPositional: false)

    public static let usage = "silo ns [PID] [--json]"
    public static let summary = """
    List the namespaces of process PID (default: silo itself, hence those of the shell that runs it):
    for each kind its inode, the other processes in it, whether it is the initial namespace, and
    whether it is the caller's.
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
        var pid = getpid()
        if let a = r.positionals.first {
            guard let p = pid_t(a), p > 0 else { throw RuntimeError(.usage, "ns: `\(a)`: expected a process ID") }
            pid = p
        }
        let report = try NamespaceReport.report(pid: pid)
        if r.flag("--json") {
            Output.out(json(report).encoded(indent: "  "))
        } else {
            Output.write(1, text(report, TextStyle.forStdout()))
        }
        return 0
    }

    static func yesNo(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "unknown" }

    static func text(_ report: NamespaceReport.Report, _ style: TextStyle) -> String {
        let me = getpid()
        var out = style.bold("Namespaces of PID \(report.pid) (\(report.command))") + (report.pid == me ? ", silo itself" : "") + "\n\n"
        let head = TextStyle.pad("KIND", 8) + TextStyle.pad("INODE", 13) + TextStyle.pad("INITIAL", 9) + TextStyle.pad("CALLER'S", 10) + TextStyle.pad("NPROCS", 8) + "OTHER PROCESSES IN IT"
        out += style.bold(head) + "\n"
        let room = max(20, style.width - 48)
        for e in report.entries {
            let others = e.processes.filter { $0 != report.pid && $0 != me }
            var list = others.prefix(4).map { "\($0) \(ProcFS.comm($0) ?? "?")" }.joined(separator: ", ")
            if others.count > 4 { list += ", … \(others.count - 4) more" }
            if others.isEmpty { list = "none" }
            out += TextStyle.pad(e.kind, 8) + TextStyle.pad(String(e.inode), 13) + TextStyle.pad(yesNo(e.initial), 9)
                + TextStyle.pad(e.callers ? "yes" : "no", 10) + TextStyle.pad(String(e.processes.count), 8) + TextStyle.fit(list, room) + "\n"
        }
        out += "\n"
        out += TextStyle.wrap("INITIAL: the namespace the kernel started with (the initial namespaces have fixed inode numbers, 0xEFFFFFFF = 4026531839 for ipc downwards). CALLER'S: the same namespace as this silo process (PID \(me)), which is counted in NPROCS but not listed.", style.width, indent: "")
        if !report.unreadable.isEmpty {
            out += TextStyle.wrap("Not counted: \(report.unreadable.count) process(es) whose namespaces cannot be read from here (\(report.unreadable.prefix(5).map(String.init).joined(separator: ", "))).", style.width, indent: "")
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
