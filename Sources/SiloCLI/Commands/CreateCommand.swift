import SiloKit
import SiloSys

/// `silo create [--bundle DIR] [--pid-file F] [--preserve-fds N] [--no-pivot] [--no-new-keyring] ID`:
/// the OCI create (docs/oci.md). Errors are one line and exit 1, as runc's are.
enum CreateCommand {
    static let parser = ArgumentParser(command: "silo create", options: [
        .init(["--bundle", "-b"], value: "DIR", help: "The bundle: config.json and the rootfs (default .)"),
        .init(["--pid-file"], value: "FILE", help: "Write the init's host pid here (no newline)"),
        .init(["--console-socket"], value: "SOCK", help: "Send the pty master here (process.terminal)"),
        .init(["--preserve-fds"], value: "N", help: "Pass fds 3..3+N-1 into the container"),
        .init(["--no-pivot"], help: "Accepted for runc compatibility (silo always pivots)"),
        .init(["--no-new-keyring"], help: "Accepted for runc compatibility (silo makes no session keyring)"),
    ], stopAtPositional: false)

    static func run(_ args: [String], _ globals: GlobalOptions) throws(CommandFailure) -> Int32 {
        let r: ArgumentParser.Result
        do { r = try parser.parse(args) } catch { throw CommandFailure(1, error.message) }
        if r.has("--help") {
            Output.out(parser.help(usage: "silo create [OPTIONS] ID", summary: "Create a container from an OCI bundle; `silo start ID` runs its process."))
            return 0
        }
        let (id, options) = try parse(r, verb: "create")
        do throws(RuntimeError) {
            var launcher = OCILauncher(store: try ContainerStateStore(root: globals.root), id: id, options: options)
            defer { for w in launcher.warnings { RuntimeLog.warn(w, globals) } }
            _ = try launcher.create()
            return 0
        } catch {
            throw CommandFailure(1, error.message)
        }
    }

    /// The options create and `run --bundle` share, and the one ID.
    static func parse(_ r: ArgumentParser.Result, verb: String) throws(CommandFailure) -> (String, OCILauncher.Options) {
        guard r.positionals.count == 1 else {
            throw CommandFailure(1, "\(verb): expected exactly one container ID, got \(r.positionals.count)")
        }
        var options = OCILauncher.Options()
        if let b = r.last("--bundle") { options.bundle = b }
        options.pidFile = r.last("--pid-file")
        options.consoleSocket = r.last("--console-socket")
        if let n = r.last("--preserve-fds") {
            guard let v = Int32(n), v >= 0, v < 1 << 20 else { throw CommandFailure(1, "--preserve-fds `\(n)`: expected a count") }
            options.preserveFDs = v
        }
        return (r.positionals[0], options)
    }
}
