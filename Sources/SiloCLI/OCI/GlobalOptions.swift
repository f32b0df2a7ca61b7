#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// runc's global flags, given before the verb (`silo --root R --log F --log-format json kill ID
/// 9`), in either spelling, `--flag value` or `--flag=value`, as engines use both. Parsed in
/// `CLI.main` and handed to the OCI verbs; silo's own verbs (run, netns, ...) are untouched when
/// none is given.
public struct GlobalOptions: Equatable, Sendable {
    public enum LogFormat: String, Equatable, Sendable { case text, json }

    /// The state root (`ContainerStateStore.defaultRoot` when nil).
    public var root: String?
    /// Where errors (and warnings) are appended, one line each, for conmon and containerd.
    public var logPath: String?
    public var logFormat: LogFormat = .text
    public var debug = false

    public init(root: String? = nil, logPath: String? = nil, logFormat: LogFormat = .text, debug: Bool = false) {
        self.root = root
        self.logPath = logPath
        self.logFormat = logFormat
        self.debug = debug
    }

    /// What follows the global flags: the verb and its arguments. `--version` and `--help` end
    /// the flags and are returned as the verb, so `silo --root R --version` works as runc's.
    public struct Parsed: Equatable, Sendable {
        public var options: GlobalOptions
        public var rest: [String]
    }

    /// An array, not a Set: building a Set<String> on start-up (hash seed, storage metadata)
    /// cost more than scanning five names.
    static let valueFlags = ["--root", "--log", "--log-format", "--criu", "--rootless"]

    /// Reads the flags up to the first argument that is not one. Errors are usage errors;
    /// `--systemd-cgroup` is refused here because silo has no systemd cgroup driver and a
    /// container made without the cgroups the engine asked for would surprise it later.
    public static func parse(_ args: [String]) throws(RuntimeError) -> Parsed {
        var o = GlobalOptions()
        let rest = try parse(args, into: &o)
        return Parsed(options: o, rest: rest)
    }

    /// The same, filling `o` as it goes and reading every flag before throwing the first error:
    /// a `--log` anywhere among them still receives the error line.
    public static func parse(_ args: [String], into o: inout GlobalOptions) throws(RuntimeError) -> [String] {
        var first: RuntimeError?
        var i = 0
        while i < args.count, args[i].hasPrefix("-"), args[i] != "-" {
            let a = args[i]
            if ["--version", "-v", "--help", "-h"].contains(a) { break }
            var name = a, inline: String?
            if let eq = a.firstIndex(of: "=") {
                name = String(a[..<eq])
                inline = String(a[a.index(after: eq)...])
            }
            i += 1
            var value = ""
            if valueFlags.contains(name) {
                if let inline { value = inline } else {
                    guard i < args.count else {
                        first = first ?? RuntimeError(.usage, "option \(name) needs a value (see silo --help)")
                        break
                    }
                    value = args[i]
                    i += 1
                }
            } else if let inline, !["true", "false"].contains(inline) {
                first = first ?? RuntimeError(.usage, "option \(name) takes true or false, not `\(inline)`")
                continue
            }
            do { try apply(name, value: value, on: inline != "false", to: &o) } catch { first = first ?? error }
        }
        if let first { throw first }
        return Array(args[i...])
    }

    static func apply(_ name: String, value: String, on: Bool, to o: inout GlobalOptions) throws(RuntimeError) {
        switch name {
        case "--root":
            guard !value.isEmpty else { throw RuntimeError(.usage, "--root: needs a directory") }
            o.root = value
        case "--log":
            guard !value.isEmpty else { throw RuntimeError(.usage, "--log: needs a file") }
            o.logPath = value
        case "--log-format":
            guard let f = LogFormat(rawValue: value) else {
                throw RuntimeError(.usage, "--log-format: unknown format \"\(value)\" (text or json)")
            }
            o.logFormat = f
        case "--debug": o.debug = on
        case "--systemd-cgroup":
            if on { throw RuntimeError(.usage, "--systemd-cgroup: not supported, silo manages cgroupfs directly") }
        case "--rootless":
            // runc's auto|true|false: silo decides from its own euid, so the value is only checked.
            guard ["auto", "true", "false"].contains(value) else {
                throw RuntimeError(.usage, "--rootless: \"\(value)\" is not auto, true or false")
            }
        case "--criu": break  // the path of criu, for checkpoint, which silo refuses anyway
        default: throw RuntimeError(.usage, "unknown global option \(name) (see silo --help)")
        }
    }

    /// The verb an argv names after its global flags, found without judging them (the flags'
    /// values skipped), so that a bad flag in front of an OCI verb still fails as runc's.
    public static func verb(in args: [String]) -> String? {
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            if valueFlags.contains(args[i]) { i += 1 }
            i += 1
        }
        return i < args.count ? args[i] : nil
    }

    /// The state root these options name, opened (created when missing).
    /// A relative --root is taken from the current directory, as runc's filepath.Abs does.
    public func store() throws(RuntimeError) -> ContainerStateStore {
        guard let root, !root.hasPrefix("/") else { return try ContainerStateStore(root: root) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { throw RuntimeError(SyscallError.last("getcwd", "--root \(root)")) }
        let cwd = String(cString: buf)
        return try ContainerStateStore(root: (cwd == "/" ? "" : cwd) + "/" + root)
    }
}
