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
public enum CLI {
    static let version = "0.1.0"

    static let topHelp = """
    Usage: silo COMMAND [OPTIONS]

    silo runs a process in its own namespaces (user, mount, PID, network, UTS, IPC, cgroup, time),
    pivoted into a root file system, with isolation you can see.

    Commands:
      run      Run a command in a new container
      netns    Manage named network namespaces and veth links (iproute2-compatible)
      network  List and prune silo's bridges (silo run --network bridge)
      lab      Test networks: hosts, links, bridges and routers from a topology file
      demo     Show each namespace live: the host's view beside the container's
      ns       List the namespaces of a process

    Options:
      -h, --help     Show this help
      --version      Print the version

    Run 'silo COMMAND --help' for a command's options.
    """

    /// `silo ARGS...`: `arguments` is the whole argv, argv[0] included.
    public static func main(_ arguments: [String]) -> Never {
        Trace.mark("main")
        Trace.mark("trace: first line")  // the first write costs page faults: its own row
        let args = Array(arguments.dropFirst())
        guard let command = args.first else {
            Output.out(topHelp)
            exit(0)
        }
        let rest = Array(args.dropFirst())
        do throws(CommandFailure) {
            switch command {
            case "run": exit(try RunCommand.run(rest))
            case "netns": exit(try NetnsCommand.run(rest))
            case "network": exit(try NetworkCommand.run(rest))
            case "lab": exit(try LabCommand.run(rest))
            case "demo": exit(try DemoCommand.run(rest))
            case "ns": exit(try NsCommand.run(rest))
            case "-h", "--help", "help":
                Output.out(topHelp)
                exit(0)
            case "--version", "version":
                Output.out("silo version \(version)")
                exit(0)
            default:
                throw CommandFailure(125, "unknown command `\(command)` (see silo --help)")
            }
        } catch {
            Output.error("silo: \(error.message)")
            exit(error.status)
        }
    }
}
