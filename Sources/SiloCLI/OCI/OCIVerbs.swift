import SiloKit
import SiloSys

/// The runc-compatible verbs over an existing container or about silo itself. Every error is
/// exit status 1, as runc's (engines only look at zero/non-zero and match the message).
public enum OCIVerbs {
    public static let names: Set<String> = [
        "state", "kill", "delete", "list", "ps", "pause", "resume", "update", "features", "spec",
        "checkpoint", "restore", "events",
    ]

    /// The status of every OCI verb's failure.
    public static let failureStatus: Int32 = 1

    static func run(_ verb: String, _ args: [String], _ globals: GlobalOptions) throws(CommandFailure) -> Int32 {
        do throws(RuntimeError) {
            switch verb {
            case "state": return try OCIStateCommands.state(args, globals)
            case "list": return try OCIStateCommands.list(args, globals)
            case "ps": return try OCIStateCommands.ps(args, globals)
            case "kill": return try OCIControlCommands.kill(args, globals)
            case "delete": return try OCIControlCommands.delete(args, globals)
            case "pause", "resume": return try OCIControlCommands.pauseResume(verb, args, globals)
            case "update": return try OCIControlCommands.update(args, globals)
            case "features": return try OCIInfoCommands.features(args)
            case "spec": return try OCIInfoCommands.spec(args)
            default: return try OCIInfoCommands.refuse(verb, args)
            }
        } catch {
            throw CommandFailure(failureStatus, error.message)
        }
    }

    /// Parses a verb's options; `--help` prints its help and returns nil (exit 0).
    static func parse(_ args: [String], verb: String, usage: String, summary: String,
                      options: [ArgumentParser.Option], positionals: ClosedRange<Int>,
                      stopAtPositional: Bool = false) throws(RuntimeError) -> ArgumentParser.Result? {
        let parser = ArgumentParser(command: "silo " + verb, options: options, stopAtPositional: stopAtPositional)
        let r = try parser.parse(args)
        if r.flag("--help") {
            Output.out(parser.help(usage: "silo " + usage, summary: summary))
            return nil
        }
        guard positionals.contains(r.positionals.count) || (stopAtPositional && r.positionals.count >= positionals.lowerBound) else {
            throw RuntimeError(.usage, "\(verb): expected \(usage.dropFirst(verb.count + 1)) (see silo \(verb) --help)")
        }
        return r
    }

    static let formatOption = ArgumentParser.Option(["--format", "-f"], value: "FORMAT", help: "table or json")

    static func format(_ r: ArgumentParser.Result) throws(RuntimeError) -> String {
        let f = r.last("--format") ?? "table"
        guard f == "table" || f == "json" else { throw RuntimeError(.usage, "invalid format option \"\(f)\" (table or json)") }
        return f
    }
}
