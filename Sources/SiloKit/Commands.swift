#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The subcommands besides `run`, each `([String]) throws(RuntimeError) -> Int32`.
/// Each feature registers its entry here.
public enum Commands {
    public typealias Handler = @Sendable ([String]) throws(RuntimeError) -> Int32
    public static let table: [String: Handler] = [
        "netns": { args throws(RuntimeError) in try NetnsCommand.main(args) },
        "demo": { args throws(RuntimeError) in try DemoCommand.main(args) },
        "ns": { args throws(RuntimeError) in try NsCommand.main(args) },
        "network": { args throws(RuntimeError) in try NetworkCommand.main(args) },
    ]
}

/// Unbuffered output straight to fds 1 and 2 (no stdio buffering to lose at _exit).
public enum Output {
    public static func out(_ s: String) { write(1, s.hasSuffix("\n") ? s : s + "\n") }
    public static func error(_ s: String) { write(2, s.hasSuffix("\n") ? s : s + "\n") }
    public static func write(_ fd: Int32, _ s: String) {
        try? FileIO.writeAll(fd: fd, Array(s.utf8))
    }
}
