#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// The `silo` executable: parse, call SiloKit, print one line on error, exit with the status.
/// No Foundation: see docs/architecture.md, "Start-up cost".
///
/// Everything lives here rather than in main.swift's top-level code because Swift 6 isolates
/// that code to the main actor: a closure formed there gets a runtime isolation check, which
/// links the whole concurrency runtime and libdispatch, whose initializer runs before main
/// (1.2 MB of binary, 11 page faults and 50-100 µs per start; docs/performance.md).
enum CLI {
    static let version = "0.1.0"

    static let topHelp = """
    Usage: silo COMMAND [OPTIONS]

    silo runs a process in its own namespaces (user, mount, PID, network, UTS, IPC, cgroup, time),
    pivoted into a root file system, with isolation you can see.

    Commands:
      run      Run a command in a new container
      netns    Manage named network namespaces and veth links (iproute2-compatible)
      network  List and prune silo's bridges (silo run --network bridge)
      demo     Show each namespace live: the host's view beside the container's
      ns       List the namespaces of a process

    Options:
      -h, --help     Show this help
      --version      Print the version

    Run 'silo COMMAND --help' for a command's options.
    """

    static func fail(_ e: RuntimeError) -> Never {
        Output.error("silo: \(e.message)")
        exit(e.exitStatus)
    }

    static func main(_ args: [String]) -> Never {
        guard let command = args.first else {
            Output.out(topHelp)
            exit(0)
        }
        let rest = Array(args.dropFirst())

        do throws(RuntimeError) {
            switch command {
            case "run":
                guard let config = try RunCommand.parse(rest, environment: { getenv($0).map { String(cString: $0) } }) else {
                    Output.out(RunCommand.parser.help(usage: RunCommand.usage, summary: RunCommand.summary))
                    exit(0)
                }
                exit(try Launcher(config, childMemory: .shared).run())
            case "-h", "--help", "help":
                Output.out(topHelp)
                exit(0)
            case "--version", "version":
                Output.out("silo version \(version)")
                exit(0)
            default:
                if let handler = Commands.table[command] {
                    exit(try handler(rest))
                }
                throw RuntimeError(.usage, "unknown command `\(command)` (see silo --help)")
            }
        } catch {
            fail(error)
        }
    }
}
