#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// `silo attach [--detach-keys KEYS] [--no-stdin] ID`: the terminal of a `silo run -dt`
/// container (docs/containers.md, "attach"; docs/terminals.md, "Attach"). Ends with the
/// container's exit status when it exits while attached, 0 on detach.
enum AttachCommand {
    static func run(_ args: [String], _ g: GlobalOptions) throws(CommandFailure) -> Int32 {
        do throws(RuntimeError) {
            guard let r = try OCIArguments.parse(args, verb: "attach", usage: "attach [--detach-keys KEYS] [--no-stdin] ID",
                                                 summary: "Connect to the terminal of a container started with run -dt (or -dit); ctrl-p ctrl-q detaches and leaves it running.",
                                                 options: [.init(["--detach-keys"], value: "KEYS", help: "Keys that detach (default ctrl-p,ctrl-q; empty: none)"),
                                                           .init(["--no-stdin"], help: "Only show the output; SIGINT or SIGTERM detaches")],
                                                 positionals: 1...1) else { return 0 }
            var keys = DetachKeys.default
            if let spec = r.last("--detach-keys") {
                guard let k = DetachKeys(parsing: spec) else {
                    throw RuntimeError(.usage, "attach --detach-keys `\(spec)`: expected keys such as ctrl-p,ctrl-q (a-z, @, [, \\, ], ^, _ after ctrl-)")
                }
                keys = k
            }
            let store = try g.store()
            let id = try ContainerLookup.resolve(r.positionals[0], in: store)
            let socket = try ContainerAttach.connect(id: id, store: store)
            defer { close(socket) }
            var relay = AttachRelay(socket: socket, readInput: !r.flag("--no-stdin"), detachKeys: keys.sequence.isEmpty ? nil : keys)
            let outcome: AttachRelay.Outcome
            do { outcome = try relay.run() } catch { throw RuntimeError(error) }
            switch outcome {
            case .exited(let status): return status
            case .detached: return 0
            case .refused(let why): throw RuntimeError(.runtime, "container \(id.prefix(12)): \(why)")
            case .lost: throw RuntimeError(.runtime, "container \(id.prefix(12)): its monitor went away")
            case .unanswered: throw ContainerAttach.unanswered(id, record: try? store.load(id: id))
            }
        } catch {
            throw CommandFailure(error)
        }
    }
}
