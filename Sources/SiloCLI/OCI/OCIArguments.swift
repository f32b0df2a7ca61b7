import SiloKit

/// The argument handling every OCI verb shares (in its own file, so that the verbs and their
/// dispatch in OCIVerbs do not name each other).
enum OCIArguments {
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
