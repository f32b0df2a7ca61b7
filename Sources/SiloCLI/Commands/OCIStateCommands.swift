#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// `state`, `list` and `ps`: what a container is, read without a lock.
enum OCIStateCommands {
    static func state(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "state", usage: "state ID", summary: "Print the OCI state of a container as JSON.",
                                         options: [], positionals: 1...1) else { return 0 }
        let store = try g.store()
        let snap = try ContainerLifecycle.state(id: try ContainerLookup.resolve(r.positionals[0], in: store), store: store)
        Output.out(json(snap, owner: "").encoded(indent: "  "))
        return 0
    }

    /// runc's containerState, in its member order: the OCI state plus rootfs, created and owner;
    /// pid 0 once stopped. A directory without state.json reads as "creating" with Go's zero
    /// time, so that an engine's decoder still takes it.
    static func json(_ s: ContainerLifecycle.Snapshot, owner: String) -> JSON {
        let r = s.record
        var m: [(String, JSON)] = [("ociVersion", .string(r?.ociVersion ?? OCISpec.version)), ("id", .string(s.id)),
                                   ("pid", .integer(s.pid)), ("status", .string(s.status.rawValue)),
                                   ("bundle", .string(r?.bundle ?? "")), ("rootfs", .string(r?.rootfs ?? "")),
                                   ("created", .string(r.map { $0.created.isEmpty ? zeroTime : $0.created } ?? zeroTime))]
        if let a = r?.annotations, !a.isEmpty { m.append(("annotations", .stringMap(a))) }
        m.append(("owner", .string(owner)))
        return .fields(m)
    }

    static let zeroTime = "0001-01-01T00:00:00Z"

    static func list(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "list", usage: "list [--format table|json] [-q]",
                                         summary: "List the containers under the state root (--root).",
                                         options: [OCIArguments.formatOption, .init(["--quiet", "-q"], help: "Only the IDs")],
                                         positionals: 0...0) else { return 0 }
        let format = try OCIArguments.format(r)
        let all = try ContainerLifecycle.list(store: try g.store())
        if r.flag("--quiet") {
            for s in all { Output.out(s.id) }
            return 0
        }
        var names = UserNames()
        if format == "json" {
            Output.out(JSON.array(all.map { json($0, owner: names.name(of: $0.record?.owner ?? geteuid())) }).encoded())
            return 0
        }
        var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
        for s in all {
            rows.append([s.id, String(s.pid), s.status.rawValue, s.record?.bundle ?? "", s.record?.created ?? "",
                         names.name(of: s.record?.owner ?? geteuid())])
        }
        Output.write(1, table(rows))
        return 0
    }

    /// Go's tabwriter as runc sets it up (minwidth 12, padding 3): every column but the last is
    /// as wide as its widest cell plus 3, and at least 12.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], max(12, cell.count + 3)) } }
        var out = ""
        for row in rows {
            for (i, cell) in row.enumerated() {
                out += i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            out += "\n"
        }
        return out
    }

    static func ps(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "ps", usage: "ps [--format table|json] ID [PS-OPTIONS...]",
                                         summary: "The container's processes: host pids (json), or ps(1)'s lines for them (table, `ps -ef` by default).",
                                         options: [OCIArguments.formatOption], positionals: 1...1, stopAtPositional: true) else { return 0 }
        let format = try OCIArguments.format(r)
        let pids = try ContainerLifecycle.processes(id: r.positionals[0], store: try g.store())
        if format == "json" {
            Output.out(JSON.array(pids.map { .integer($0) }).encoded())
            return 0
        }
        let psArgs = r.positionals.count > 1 ? Array(r.positionals.dropFirst()) : ["-ef"]
        let result: SpawnResult
        do { result = try Spawn.run(["ps"] + psArgs) } catch { throw RuntimeError(error) }
        let text = String(decoding: result.stdout, as: UTF8.self)
        guard result.status == 0 else {
            throw RuntimeError(.runtime, "ps: exit status \(result.status): \(String(decoding: result.stderr, as: UTF8.self))")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let header = lines.first, let pidColumn = header.split(separator: " ").firstIndex(of: "PID") else {
            throw RuntimeError(.runtime, "ps: no PID column in its output (give ps options that print one)")
        }
        var out = String(header) + "\n"
        let wanted = Set(pids)
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            guard pidColumn < fields.count, let pid = Int32(fields[pidColumn]) else {
                throw RuntimeError(.runtime, "ps: unable to parse pid in `\(line)`")
            }
            if wanted.contains(pid) { out += line + "\n" }
        }
        Output.write(1, out)
        return 0
    }
}

/// uid → name from /etc/passwd, read once (no NSS in a static binary); `#UID` when absent, as runc.
struct UserNames {
    private var names: [UInt32: String]?

    mutating func name(of uid: UInt32) -> String {
        if names == nil {
            var map: [UInt32: String] = [:]
            let text = (try? FileIO.read("/etc/passwd")) ?? ""
            for line in text.split(separator: "\n") {
                let f = line.split(separator: ":", omittingEmptySubsequences: false)
                if f.count > 2, let id = UInt32(f[2]), map[id] == nil { map[id] = String(f[0]) }
            }
            names = map
        }
        return names?[uid] ?? "#\(uid)"
    }
}
