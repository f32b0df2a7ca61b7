import SiloKit

/// A small command-line parser for silo's commands: `--name VALUE`, `--name=VALUE`, `-n VALUE`,
/// `-nVALUE`, boolean flags (`--flag`, `--flag=false`), repeated options, and `--` or the first
/// positional argument starting the command. Hand-written so that `silo run` loads no Foundation
/// (docs/architecture.md, "Start-up cost").
public struct ArgumentParser: Sendable {
    public struct Option: Sendable {
        public let names: [String]
        public let takesValue: Bool
        public let help: String
        public let valueName: String
        public init(_ names: [String], value: String? = nil, help: String) {
            self.names = names
            self.takesValue = value != nil
            self.valueName = value ?? ""
            self.help = help
        }
    }

    public struct Result: Sendable {
        public var values: [String: [String]] = [:]
        public var positionals: [String] = []

        public func all(_ name: String) -> [String] { values[name] ?? [] }
        public func last(_ name: String) -> String? { values[name]?.last }
        public func flag(_ name: String) -> Bool { values[name].map { $0.last != "false" } ?? false }
        public func has(_ name: String) -> Bool { values[name] != nil }
    }

    public let command: String
    public let options: [Option]
    /// When true the first positional ends option parsing (the rest is the container's argv).
    public let stopAtPositional: Bool

    public init(command: String, options: [Option], stopAtPositional: Bool = true) {
        self.command = command
        self.options = options + [Option(["--help", "-h"], help: "Show this help")]
        self.stopAtPositional = stopAtPositional
    }

    func find(_ name: String) -> Option? { options.first { $0.names.contains(name) } }

    public func parse(_ args: [String]) throws(RuntimeError) -> Result {
        var r = Result()
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" {
                r.positionals += args[i...]
                break
            }
            if a.count > 1 && a.hasPrefix("-") {
                var name = a
                var inline: String?
                if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                    name = String(a[..<eq])
                    inline = String(a[a.index(after: eq)...])
                } else if !a.hasPrefix("--") && a.count > 2 {
                    name = String(a.prefix(2))
                    inline = String(a.dropFirst(2))
                }
                // `-it`: short flags written together, as getopt allows.
                if let inline, !a.hasPrefix("--"), find(name)?.takesValue == false,
                   inline.allSatisfy({ find("-\($0)")?.takesValue == false }) {
                    for n in [name] + inline.map({ "-\($0)" }) { r.values[find(n)!.names[0], default: []].append("true") }
                    continue
                }
                guard let opt = find(name) else {
                    throw RuntimeError(.usage, "unknown option \(name) (see \(command) --help)")
                }
                let key = opt.names[0]
                if opt.takesValue {
                    if let inline {
                        r.values[key, default: []].append(inline)
                    } else {
                        guard i < args.count else { throw RuntimeError(.usage, "option \(name) needs a value (see \(command) --help)") }
                        r.values[key, default: []].append(args[i])
                        i += 1
                    }
                } else {
                    if let inline, !["true", "false"].contains(inline) {
                        throw RuntimeError(.usage, "option \(name) takes true or false, not `\(inline)`")
                    }
                    r.values[key, default: []].append(inline ?? "true")
                }
                continue
            }
            r.positionals.append(a)
            if stopAtPositional {
                r.positionals += args[i...]
                break
            }
        }
        return r
    }

    public func help(usage: String, summary: String) -> String {
        var out = "Usage: \(usage)\n\n\(summary)\n\nOptions:\n"
        for o in options {
            let left = o.names.joined(separator: ", ") + (o.takesValue ? " \(o.valueName)" : "")
            out += "  " + left + String(repeating: " ", count: max(1, 30 - left.count)) + o.help + "\n"
        }
        return out
    }
}
