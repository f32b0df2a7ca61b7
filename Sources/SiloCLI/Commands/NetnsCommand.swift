#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// `silo netns`: named network namespaces, compatible with `ip netns`, and veth links
/// between them. Every failure prints one line and returns the exit status iproute2 6.1 uses
/// for the same mistake (see NetnsError).
public enum NetnsCommand {
    public static let usage = """
    Usage: silo netns COMMAND ...

    Named network namespaces, in iproute2's layout (/run/netns/NAME): `ip netns` sees
    what silo makes and silo sees what `ip netns` makes.

    Commands:
      add [--lo-up] NAME          Create a network namespace (lo up at once with --lo-up)
      list [--json]               List the names, their nsid and the processes inside
      exec NAME [--] CMD [ARG...] Run a host command inside (like `ip netns exec`)
      delete NAME | --all         Remove the name(s); processes inside keep the namespace alive
      identify [PID]              The names of the namespace PID is in (default: silo itself)
      pids NAME                   The processes inside
      attach NAME PID             Name the namespace a running process is in
      up NAME                     Bring lo up inside
      link A B [--addr NS=CIDR]... [--dev NS=IFNAME]...
                                  A veth pair between two namespaces (`host` is the host's),
                                  addressed and up

    Examples:
      silo netns add red && silo netns add blue
      silo netns link red blue --addr red=10.200.0.1/24 --addr blue=10.200.0.2/24
      silo netns exec red ping -c1 10.200.0.2
    """

    static func run(_ args: [String]) throws(CommandFailure) -> Int32 {
        try dispatch(args)
    }

    /// The exit status iproute2 6.1 gives for the same mistake: 255 for a bad name and for
    /// `exec` into a namespace that cannot be opened, 1 for everything else.
    static func iproute2Status(_ e: NetnsError, verb: String) -> Int32 {
        switch e.kind {
        case .invalidName, .execSetup: 255
        case .cannotOpen: verb == "exec" ? 255 : 1
        case .failed: 1
        }
    }

    /// A NamedNetns or VirtualNetwork call, its error mapped to `verb`'s exit status.
    static func netns<T>(_ verb: String, _ body: () throws -> T) throws(CommandFailure) -> T {
        do { return try body() } catch let e as NetnsError {
            throw CommandFailure(iproute2Status(e, verb: verb), e.message)
        } catch {
            throw CommandFailure(1, "\(error)")
        }
    }

    static func dispatch(_ args: [String]) throws(CommandFailure) -> Int32 {
        guard let sub = args.first else { return try list([]) }
        let rest = Array(args.dropFirst())
        if rest.contains("--help") || rest.contains("-h"), sub != "exec" {
            Output.out(usage)
            return 0
        }
        // /run/netns and the bind mounts that keep a namespace alive belong to the host's root.
        if ["add", "delete", "del", "rm", "attach", "link", "up"].contains(sub) && !HostIdentity.isRealRoot {
            throw CommandFailure(1, "netns \(sub): needs root (/run/netns and its mounts belong to the host's root); rootless, `silo run --network none` gives the container a network namespace of its own")
        }
        switch sub {
        case "add": return try add(rest)
        case "list", "ls", "show": return try list(rest)
        case "exec": return try exec(rest)
        case "delete", "del", "rm": return try delete(rest)
        case "identify": return try identify(rest)
        case "pids": return try pids(rest)
        case "attach": return try attach(rest)
        case "up": return try up(rest)
        case "link": return try link(rest)
        case "help", "--help", "-h":
            Output.out(usage)
            return 0
        default:
            throw CommandFailure(255, "netns: unknown command `\(sub)` (see silo netns --help)")
        }
    }

    /// Options, then exactly `count` positionals (`names` says what they are, for messages).
    static func parse(_ args: [String], _ command: String, options: [ArgumentParser.Option] = [],
                      positionals names: [String]) throws(CommandFailure) -> ArgumentParser.Result {
        let parser = ArgumentParser(command: "silo netns \(command)", options: options, stopAtPositional: false)
        let r: ArgumentParser.Result
        do throws(RuntimeError) { r = try parser.parse(args) } catch { throw CommandFailure(1, error.message) }
        if r.positionals.count < names.count {
            throw CommandFailure(1, "netns \(command): no \(names[r.positionals.count]) given (usage: silo netns \(command) \(names.joined(separator: " ")))")
        }
        if r.positionals.count > names.count {
            throw CommandFailure(1, "netns \(command): unexpected argument `\(r.positionals[names.count])`")
        }
        return r
    }

    static func pid(_ s: String) throws(CommandFailure) -> Int32 {
        guard let p = Int32(s), p > 0 else { throw CommandFailure(1, "`\(s)` is not a pid") }
        return p
    }

    static func add(_ args: [String]) throws(CommandFailure) -> Int32 {
        let r = try parse(args, "add", options: [.init(["--lo-up"], help: "Bring lo up")], positionals: ["NAME"])
        try netns("add") { try NamedNetns.add(r.positionals[0], loUp: r.flag("--lo-up")) }
        return 0
    }

    static func attach(_ args: [String]) throws(CommandFailure) -> Int32 {
        let r = try parse(args, "attach", positionals: ["NAME", "PID"])
        let p = try pid(r.positionals[1])
        try netns("attach") { try NamedNetns.check(r.positionals[0]); try NamedNetns.attach(r.positionals[0], pid: p) }
        return 0
    }

    static func delete(_ args: [String]) throws(CommandFailure) -> Int32 {
        if args == ["--all"] || args == ["-a"] {
            let (_, failures) = NamedNetns.deleteAll()
            for f in failures { Output.error("silo: \(f.message)") }
            return failures.isEmpty ? 0 : 1
        }
        let r = try parse(args, "delete", positionals: ["NAME"])
        try netns("delete") { try NamedNetns.delete(r.positionals[0]) }
        return 0
    }

    static func identify(_ args: [String]) throws(CommandFailure) -> Int32 {
        let r = try parse(args, "identify", positionals: args.isEmpty ? [] : ["PID"])
        let p = try r.positionals.first.map { (s: String) throws(CommandFailure) in try pid(s) } ?? getpid()
        for name in try netns("identify", { try NamedNetns.identify(pid: p) }) { Output.out(name) }
        return 0
    }

    static func pids(_ args: [String]) throws(CommandFailure) -> Int32 {
        let r = try parse(args, "pids", positionals: ["NAME"])
        for p in try netns("pids", { try NamedNetns.pids(r.positionals[0]) }) { Output.out("\(p)") }
        return 0
    }

    static func up(_ args: [String]) throws(CommandFailure) -> Int32 {
        let r = try parse(args, "up", positionals: ["NAME"])
        let name = r.positionals[0]
        let fd = try netns("up") { try NamedNetns.open(name) }
        defer { close(fd) }
        do {
            let nl = try Netlink(namespace: fd, name: name)
            defer { nl.close() }
            try nl.setLink(index: 1, up: true, name: "lo in \(name)")
        } catch {
            throw CommandFailure(1, error.description)
        }
        return 0
    }

    static func list(_ args: [String]) throws(CommandFailure) -> Int32 {
        let r = try parse(args, "list", options: [.init(["--json", "-j"], help: "JSON output")], positionals: [])
        let entries = NamedNetns.list()
        if r.flag("--json") {
            let items: [JSON] = entries.map { e in
                var fields: [(String, JSON)] = [("name", .string(e.name))]
                if let id = e.nsid { fields.append(("id", .integer(id))) }
                fields.append(("processes", .array(e.pids.map {
                    .fields([("pid", .integer($0)), ("command", .string((ProcFS.comm($0) ?? "")))])
                })))
                return .fields(fields)
            }
            Output.out(JSON.array(items).encoded())
            return 0
        }
        var out = ""
        for e in entries {
            // The first part is exactly `ip netns list`'s line.
            out += e.name + (e.nsid.map { " (id: \($0))" } ?? "")
            if !e.pids.isEmpty {
                out += "  pids: " + e.pids.map { "\($0)(\((ProcFS.comm($0) ?? "")))" }.joined(separator: " ")
            }
            out += "\n"
        }
        if !out.isEmpty { Output.write(1, out) }
        return 0
    }

    static func exec(_ args: [String]) throws(CommandFailure) -> Int32 {
        guard let name = args.first else { throw CommandFailure(1, "netns exec: no NAME given (usage: silo netns exec NAME [--] CMD [ARG...])") }
        if name == "--help" || name == "-h" {
            Output.out(usage)
            return 0
        }
        var argv = Array(args.dropFirst())
        if argv.first == "--" { argv.removeFirst() }
        try netns("exec") { try NamedNetns.check(name) }
        guard !argv.isEmpty else { throw CommandFailure(1, "netns exec \(name): no command given") }
        for w in try netns("exec", { try NamedNetns.enterForExec(name) }) { Output.warning(w) }
        let e = Exec.searchingPath(argv)
        throw CommandFailure(ExitStatus.ofExec(e), "exec \(argv[0]): \(e.reason)")
    }

    static func link(_ args: [String]) throws(CommandFailure) -> Int32 {
        let r = try parse(args, "link", options: [
            .init(["--addr"], value: "NS=CIDR", help: "Give the end in NS an address (repeatable)"),
            .init(["--dev"], value: "NS=IFNAME", help: "Name the end in NS (default: the first free vethN)"),
        ], positionals: ["A", "B"])
        let (a, b) = (r.positionals[0], r.positionals[1])
        for n in [a, b] where n != "host" { try netns("link") { try NamedNetns.check(n) } }
        if a == "host" || b == "host", NamedNetns.names().contains("host") {
            throw CommandFailure(1, "netns link: `host` is ambiguous here: a named netns `host` exists")
        }
        var ends = [VirtualNetwork.End(namespace: a == "host" ? nil : a), VirtualNetwork.End(namespace: b == "host" ? nil : b)]
        func side(_ option: String, _ value: String) throws(CommandFailure) -> (Int, String) {
            guard let eq = value.lastIndex(of: "=") else { throw CommandFailure(1, "\(option) `\(value)`: expected NS=VALUE") }
            let ns = String(value[..<eq])
            let v = String(value[value.index(after: eq)...])
            guard let i = [a, b].firstIndex(of: ns) else {
                throw CommandFailure(1, "\(option) `\(value)`: \(ns) is neither \(a) nor \(b)")
            }
            return (i, v)
        }
        for v in r.all("--addr") {
            let (i, cidr) = try side("--addr", v)
            guard let net = IPNetwork(cidr) else { throw CommandFailure(1, "--addr `\(v)`: `\(cidr)` is not an address like 10.200.0.1/24 or fd00:5110::1/64") }
            ends[i].addresses.append(net)
        }
        for v in r.all("--dev") {
            let (i, dev) = try side("--dev", v)
            ends[i].device = dev
        }
        let (da, db) = try netns("link") { try VirtualNetwork.link(ends[0], ends[1]) }
        func describe(_ e: VirtualNetwork.End, _ dev: String) -> String {
            "\(e.label):\(dev)" + (e.addresses.isEmpty ? "" : " " + e.addresses.map(\.description).joined(separator: ","))
        }
        Output.out("\(describe(ends[0], da)) <-> \(describe(ends[1], db))")
        return 0
    }
}

