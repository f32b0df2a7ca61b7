#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// `silo stats [--no-stream] [--json] [ID...]`: CPU, memory, pids and block I/O of silo's
/// containers, read from their cgroups (docs/cgroups.md, "stats"). On a terminal the table is
/// redrawn every second until interrupted, as `docker stats`; --no-stream prints one reading.
enum StatsCommand {
    static let parser = ArgumentParser(command: "silo stats", options: [
        .init(["--no-stream"], help: "Print one reading and exit"),
        .init(["--json"], help: "JSON: one array of containers per reading"),
        .init(["--interval"], value: "MS", help: "Time between readings (default 1000; the CPU share is measured over it)"),
        .init(["--root"], value: "DIR", help: "State directory (default /run/silo)"),
    ], stopAtPositional: false)

    static let usage = "silo stats [--no-stream] [--json] [ID|NAME...]"
    static let summary = """
    Resource use of running containers, from their cgroups: CPU (percent of one CPU), memory
    (usage without reclaimable page cache, against the limit that binds it), processes, block
    I/O. Without IDs: every container with a cgroup, foreground `silo run`s included.
    """

    static func run(_ args: [String], root: String? = nil) throws(CommandFailure) -> Int32 {
        do { return try main(args, root: root) } catch { throw CommandFailure(error) }
    }

    static func main(_ args: [String], root globalRoot: String?) throws(RuntimeError) -> Int32 {
        let r = try parser.parse(args)
        if r.flag("--help") {
            Output.out(parser.help(usage: usage, summary: summary))
            return 0
        }
        var interval: UInt32 = 1000
        if let v = r.last("--interval") {
            guard let ms = UInt32(v), ms >= 10, ms <= 3_600_000 else { throw RuntimeError(.usage, "--interval \(v): milliseconds, 10 to 3600000") }
            interval = ms
        }
        let storeRoot = r.last("--root") ?? globalRoot
        // No state directory (nothing ever made one) is no containers in it, not an error.
        let store = storeRoot == nil && !FileIO.isDirectory(ContainerStateStore.defaultRoot()) ? nil : try ContainerStateStore(root: storeRoot)
        let json = r.flag("--json"), live = !r.flag("--no-stream") && Terminal.isTerminal(1)
        var previous = ContainerStats.sample(try ContainerStats.targets(ids: r.positionals, store: store))
        while true {
            // The CPU share needs two readings: the first table comes one interval after start.
            _ = usleep(interval * 1000)
            let targets = try ContainerStats.targets(ids: r.positionals, store: store)
            let now = ContainerStats.sample(targets)
            let rows = now.map { s in Row(s, cpu: ContainerStats.cpuPercent(from: previous.first { $0.target.id == s.target.id }, to: s)) }
            if json {
                Output.out(JSON.array(rows.map(\.json)).encoded())
            } else {
                Output.write(1, (live ? "\u{1b}[H\u{1b}[2J" : "") + OCIStateCommands.table(Row.header + rows.map(\.cells)))
            }
            if r.flag("--no-stream") { return 0 }
            previous = now
        }
    }

    struct Row {
        let sample: ContainerStats.Sample
        let cpu: Double?

        init(_ s: ContainerStats.Sample, cpu: Double?) {
            sample = s
            self.cpu = cpu
        }

        static let header = [["ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS", "BLOCK I/O"]]

        var memoryPercent: Double? {
            guard let used = sample.stats?.memoryWorkingSet, let limit = sample.memoryCeiling, limit > 0 else { return nil }
            return Double(used) / Double(limit) * 100
        }

        var cells: [String] {
            let s = sample.stats
            let mem = s?.memoryWorkingSet.map { Self.size($0) + " / " + (sample.memoryCeiling.map(Self.size) ?? "no limit") } ?? "--"
            let pids = s?.pidsCurrent.map { p in s?.pidsLimit.map { "\(p) / \($0)" } ?? "\(p)" } ?? "--"
            let io = s?.ioReadBytes.map { Self.size($0) + " / " + Self.size(s?.ioWriteBytes ?? 0) } ?? "--"
            return [sample.target.id, sample.target.name ?? "", cpu.map(Self.percent) ?? "--", mem,
                    memoryPercent.map(Self.percent) ?? "--", pids, io]
        }

        var json: JSON {
            let s = sample.stats
            var m: [(String, JSON)] = [("id", .string(sample.target.id))]
            if let n = sample.target.name { m.append(("name", .string(n))) }
            m.append(("cgroup", .bool(s != nil)))
            if let cpu { m.append(("cpuPercent", .number(Self.percent(cpu).dropLast().description))) }
            let numbers: [(String, UInt64?)] = [
                ("cpuNanoseconds", s?.cpuUsageNanoseconds), ("memoryUsage", s?.memoryWorkingSet), ("memoryRaw", s?.memoryUsage),
                ("memoryLimit", s?.memoryLimit), ("memoryCeiling", sample.memoryCeiling), ("pids", s?.pidsCurrent),
                ("pidsLimit", s?.pidsLimit), ("blockRead", s?.ioReadBytes), ("blockWrite", s?.ioWriteBytes),
                ("oomKills", s?.oomKills), ("forksRefused", s?.forksRefused),
            ]
            for (k, v) in numbers { if let v { m.append((k, .integer(v))) } }
            return .fields(m)
        }

        /// Two decimals, as docker's "12.34%".
        static func percent(_ p: Double) -> String {
            let hundredths = Int((p * 100).rounded())
            let frac = hundredths % 100
            return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)%"
        }

        /// Binary units with two decimals ("12.5MiB" → "12.50MiB"), bytes below 1 KiB.
        static func size(_ n: UInt64) -> String {
            let units = ["KiB", "MiB", "GiB", "TiB"]
            guard n >= 1024 else { return "\(n)B" }
            var v = Double(n) / 1024, i = 0
            while v >= 1024 && i < units.count - 1 {
                v /= 1024
                i += 1
            }
            return String(percent(v).dropLast()) + units[i]
        }
    }
}
