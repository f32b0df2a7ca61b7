import SiloKit
import SiloSys

/// `silo start ID`: lets a created container's init exec its process (docs/oci.md).
enum StartCommand {
    static func run(_ args: [String], root: String?) throws(CommandFailure) -> Int32 {
        if args == ["--help"] || args == ["-h"] {
            Output.out("Usage: silo start ID\n\nStart the process of a created container.")
            return 0
        }
        guard args.count == 1, let id = args.first else { throw CommandFailure(1, "start: expected exactly one container ID") }
        do throws(RuntimeError) {
            try OCILauncher.start(store: try ContainerStateStore(root: root), id: id)
            return 0
        } catch {
            throw CommandFailure(1, error.message)
        }
    }
}

/// `silo run --bundle DIR [--pid-file F] ID`: the OCI run (create, start, wait), told apart
/// from `silo run [OPTIONS] [--] CMD` by `--bundle`/`-b` among the options before the command.
enum BundleRunCommand {
    static let parser = ArgumentParser(command: "silo run --bundle", options: [
        .init(["--bundle", "-b"], value: "DIR", help: "The bundle: config.json and the rootfs"),
        .init(["--pid-file"], value: "FILE", help: "Write the init's host pid here (no newline)"),
        .init(["--console-socket"], value: "SOCK", help: "Send the pty master here (process.terminal)"),
        .init(["--preserve-fds"], value: "N", help: "Pass fds 3..3+N-1 into the container"),
        .init(["--no-pivot"], help: "Accepted for runc compatibility"),
        .init(["--no-new-keyring"], help: "Accepted for runc compatibility"),
    ], stopAtPositional: false)

    /// The rule: an option `--bundle`, `--bundle=DIR`, `-b` or `-bDIR` before the first
    /// positional argument and before `--`. `silo run` has no such option of its own, so no
    /// command line that worked before changes meaning.
    static func applies(_ args: [String]) -> Bool {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" || !a.hasPrefix("-") || a == "-" { return false }
            if a == "--bundle" || a.hasPrefix("--bundle=") || a.hasPrefix("-b") { return true }
            let name = a.hasPrefix("--") ? String(a.split(separator: "=", maxSplits: 1)[0]) : String(a.prefix(2))
            let inline = a.hasPrefix("--") ? a.contains("=") : a.count > 2
            if let o = parser.find(name) ?? RunCommand.parser.find(name), o.takesValue, !inline { i += 1 }
            i += 1
        }
        return false
    }

    static func run(_ args: [String], _ globals: GlobalOptions) throws(CommandFailure) -> Int32 {
        let r: ArgumentParser.Result
        do { r = try parser.parse(args) } catch { throw CommandFailure(1, error.message) }
        var (id, options) = try CreateCommand.parse(r, verb: "run")
        options.relaysTerminal = true
        options.startsAtOnce = true
        do throws(RuntimeError) {
            var launcher = OCILauncher(store: try ContainerStateStore(root: globals.root), id: id, options: options)
            defer { for w in launcher.warnings { RuntimeLog.warn(w, globals) } }
            return try launcher.run()
        } catch {
            throw CommandFailure(1, error.message)
        }
    }
}
