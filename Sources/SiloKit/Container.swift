#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// What a container printed and how it ended.
public struct ContainerResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
}

/// The library entry point for test suites: run an isolated command and read its output and
/// status.
///
/// ```swift
/// import SiloKit
/// var config = RunConfig(argv: ["sh", "-c", "hostname; ip -o link"])
/// config.hostname = "db"
/// let result = try Container.run(config)
/// #expect(result.status == 0 && result.output.hasPrefix("db\n"))
/// ```
///
/// A test runner is multi-threaded, and cloning into namespaces is only safe from a
/// single-threaded process (docs/architecture.md), so this spawns the `silo` executable
/// (SILO_PATH, else `silo` on PATH) with posix_spawn; a single-threaded program can call
/// `Launcher(config).run()` directly.
public enum Container {
    public static func run(_ config: RunConfig, input: [UInt8] = [], silo: String? = nil) throws(RuntimeError) -> ContainerResult {
        let binary = silo ?? ProcessEnvironment.value("SILO_PATH") ?? "silo"
        do {
            let r = try Spawn.run([binary, "run"] + config.commandLine, input: input)
            return ContainerResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
        } catch {
            throw RuntimeError(error)
        }
    }
}
