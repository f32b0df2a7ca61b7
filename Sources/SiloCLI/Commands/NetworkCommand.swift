import SiloKit
import SiloSys

/// `silo network`: silo's bridges (those it made for `silo run --network bridge[:NAME]`).
public enum NetworkCommand {
    public static let usage = """
    Usage: silo network COMMAND

    Commands:
      list     silo's bridges: address (the containers' subnet) and ports
      prune    Delete silo's bridges that have no ports left

    Bridges are made by `silo run --network bridge[:NAME]` (default silo0, 10.88.0.1/16, or
    the subnet in SILO_BRIDGE_SUBNET) and stay until pruned. See docs/networking.md.
    """

    static func run(_ args: [String]) throws(CommandFailure) -> Int32 {
        do { return try main(args) } catch { throw CommandFailure(error) }
    }

    static func main(_ args: [String]) throws(RuntimeError) -> Int32 {
        guard let sub = args.first, args.count == 1 else {
            if args.isEmpty { Output.out(usage); return 0 }
            throw RuntimeError(.usage, "network: unexpected argument `\(args[1])` (see silo network --help)")
        }
        guard ["list", "ls", "prune"].contains(sub) else {
            if ["-h", "--help", "help"].contains(sub) { Output.out(usage); return 0 }
            throw RuntimeError(.usage, "network: unknown command `\(sub)` (see silo network --help)")
        }
        do throws(SyscallError) {
            switch sub {
            case "list", "ls":
                let nl = try Netlink()
                defer { nl.close() }
                for b in try Bridge.list(nl) {
                    let addrs = b.addresses.isEmpty ? "-" : b.addresses.map(\.description).joined(separator: ",")
                    let ports = b.ports.isEmpty ? "no ports" : "ports: " + b.ports.sorted().joined(separator: " ")
                    Output.out("\(b.name)  \(addrs)  \(b.isUp ? "up" : "down")  \(ports)")
                }
                return 0
            case "prune":
                let nl = try Netlink()
                defer { nl.close() }
                for name in try Bridge.prune(nl) { Output.out("deleted bridge \(name)") }
                return 0
            default:
                return 0
            }
        } catch {
            throw RuntimeError(.runtime, "network \(sub): \(error)", cause: error)
        }
    }
}
