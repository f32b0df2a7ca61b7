#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// `silo lab`: test networks (docs/lab.md). The work is SiloKit's `Lab`; this file reads the
/// arguments and prints.
public enum LabCommand {
    public static let usage = """
    Usage: silo lab COMMAND

    Commands:
      up FILE [--name LAB]      Bring the topology in FILE (JSON) up as LAB (default: FILE's base name)
      exec LAB HOST [--] CMD... Run CMD inside HOST's network namespace
      ps LAB                    Hosts and bridges with their namespaces and processes
      down LAB                  Remove everything LAB made (also after a failed or killed `up`)
      graph LAB [--format dot|svg]
                                The topology as Graphviz DOT text, or an SVG picture (no Graphviz needed)
      fault LAB A B cut|heal    Take the links between A and B down, or bring them back
                                (A and B may be groups: client,router)
      fault LAB A B delay 50ms [jitter 5ms] [loss 10%] [duplicate 1%] [reorder 25%]
                                netem on both ends of those links; `clear` removes it
      fault LAB A B rate 1mbit [burst 32kb] [latency 50ms]
                                tbf rate limit on both ends (replaces netem there)
      partition LAB G1 G2... [--heal]
                                Cut (or heal) every link between groups (a,b c,d) at once
      list                      The labs that are up

    Namespaces are named LAB-HOST; state is kept in /run/silo/labs/LAB.json. See docs/lab.md.
    """

    static func run(_ args: [String]) throws(CommandFailure) -> Int32 {
        do { return try main(args) } catch { throw CommandFailure(error) }
    }

    static func main(_ args: [String]) throws(RuntimeError) -> Int32 {
        guard let sub = args.first else { Output.out(usage); return 0 }
        let rest = Array(args.dropFirst())
        if sub != "exec", rest.contains("--help") || rest.contains("-h") || ["-h", "--help", "help"].contains(sub) {
            Output.out(usage)
            return 0
        }
        switch sub {
        case "up": return try up(rest)
        case "exec": return try exec(rest)
        case "ps": return try ps(try one(rest, sub))
        case "down":
            if !(try Lab.down(name: try one(rest, sub))) { Output.error("silo: lab \(rest[0]): not up (nothing to remove)") }
            return 0
        case "graph":
            var format = "dot", names: [String] = [], i = 0
            while i < rest.count {
                if rest[i] == "--format", i + 1 < rest.count { format = rest[i + 1]; i += 2; continue }
                if rest[i].hasPrefix("--format=") { format = String(rest[i].dropFirst(9)) } else { names.append(rest[i]) }
                i += 1
            }
            guard format == "dot" || format == "svg" else { throw RuntimeError(.usage, "lab graph: --format \(format): dot or svg") }
            let lab = try Lab.open(name: try one(names, sub))
            Output.write(1, format == "svg" ? LabGraph.svg(lab.topology, name: lab.name) : LabGraph.dot(lab.topology, name: lab.name))
            return 0
        case "fault": return try fault(rest)
        case "partition": return try partition(rest)
        case "list", "ls":
            for n in LabStateStore().names() { Output.out(n) }
            return 0
        default:
            throw RuntimeError(.usage, "lab: unknown command `\(sub)` (see silo lab --help)")
        }
    }

    static func one(_ args: [String], _ sub: String) throws(RuntimeError) -> String {
        guard args.count == 1 else {
            throw RuntimeError(.usage, args.isEmpty ? "lab \(sub): no LAB given" : "lab \(sub): unexpected argument `\(args[1])`")
        }
        return args[0]
    }

    static func up(_ args: [String]) throws(RuntimeError) -> Int32 {
        var file: String?
        var name: String?
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--name" {
                guard i + 1 < args.count else { throw RuntimeError(.usage, "lab up: --name needs a value") }
                name = args[i + 1]
                i += 2
                continue
            }
            if a.hasPrefix("--name=") { name = String(a.dropFirst(7)) } else if file == nil { file = a } else {
                throw RuntimeError(.usage, "lab up: unexpected argument `\(a)`")
            }
            i += 1
        }
        guard let file else { throw RuntimeError(.usage, "lab up: no FILE given (usage: silo lab up FILE [--name LAB])") }
        let text: String
        do { text = try FileIO.read(file) } catch { throw RuntimeError(.usage, "\(file): \(error.reason)", cause: error) }
        let topology = try LabTopology.parse(text, file: file)
        let labName = name ?? defaultName(file)
        let silo = (try? FileIO.readlink("/proc/self/exe")) ?? "/proc/self/exe"
        let lab = try Lab.up(topology, name: labName, file: file, source: text, silo: silo)
        Output.out(lab.name)
        return 0
    }

    /// lab.json → lab.
    static func defaultName(_ file: String) -> String {
        let base = file.split(separator: "/").last.map(String.init) ?? file
        return base.hasSuffix(".json") ? String(base.dropLast(5)) : base
    }

    static func exec(_ args: [String]) throws(RuntimeError) -> Int32 {
        guard args.count >= 2 else { throw RuntimeError(.usage, "lab exec: usage: silo lab exec LAB HOST [--] CMD [ARG...]") }
        var argv = Array(args.dropFirst(2))
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw RuntimeError(.usage, "lab exec \(args[0]) \(args[1]): no command given") }
        let lab = try Lab.open(name: args[0])
        for w in try lab.enterForExec(host: args[1]) { Output.warning(w) }
        let e = Exec.searchingPath(argv)
        throw RuntimeError(e.errno == ENOENT ? .notFound : .cannotExecute, "exec \(argv[0]): \(e.reason)", cause: e)
    }

    static func ps(_ name: String) throws(RuntimeError) -> Int32 {
        let lab = try Lab.open(name: name)
        Output.out("HOST\tKIND\tNETNS\tPIDS")
        for s in lab.ps() {
            Output.out("\(s.host)\t\(s.kind)\t\(s.namespace)\t\(s.pids.isEmpty ? "-" : s.pids.map { String($0) }.joined(separator: ","))")
        }
        return 0
    }

    static func fault(_ args: [String]) throws(RuntimeError) -> Int32 {
        let use = "usage: silo lab fault LAB A B cut|heal|clear|[delay D [jitter D]] [loss P%] [duplicate P%] [reorder P%]|rate R [burst B] [latency D]"
        guard args.count >= 4 else { throw RuntimeError(.usage, "lab fault: \(use)") }
        let lab = try Lab.open(name: args[0])
        let words = Array(args.dropFirst(3))
        switch words {
        case ["cut"]: try lab.cut(args[1], args[2])
        case ["heal"]: try lab.heal(args[1], args[2])
        case ["clear"]: try lab.netem(args[1], args[2], nil)
        default:
            if words.first == "rate" { try lab.rate(args[1], args[2], try LabFaultWords.tbf(words, use)) } else {
                try lab.netem(args[1], args[2], try LabFaultWords.netem(words, use))
            }
        }
        return 0
    }

    /// `partition LAB a,b c,d [--heal]`.
    static func partition(_ args: [String]) throws(RuntimeError) -> Int32 {
        let heal = args.contains("--heal")
        let rest = args.filter { $0 != "--heal" }
        guard rest.count >= 3 else { throw RuntimeError(.usage, "lab partition: usage: silo lab partition LAB GROUP GROUP... [--heal] (GROUP: host,host,...)") }
        let lab = try Lab.open(name: rest[0])
        let groups = rest.dropFirst().map { $0.split(separator: ",").map(String.init) }
        if heal { try lab.healPartition(groups) } else { try lab.partition(groups) }
        return 0
    }
}
