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
      run      Run a command in a new container (run --bundle DIR ID: an OCI bundle)
      create   Create a container from an OCI bundle (runc's create)
      start    Start a created container's process
      netns    Manage named network namespaces and veth links (iproute2-compatible)
      network  List and prune silo's bridges (silo run --network bridge)
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
        let (root, args) = globalRoot(Array(arguments.dropFirst()))
        guard let command = args.first else {
            Output.out(topHelp)
            exit(0)
        }
        let rest = Array(args.dropFirst())
        do throws(CommandFailure) {
            switch command {
            case "run" where BundleRunCommand.applies(rest): exit(try BundleRunCommand.run(rest, root: root))
            case "run": exit(try RunCommand.run(rest))
            case "create": exit(try CreateCommand.run(rest, root: root))
            case "start": exit(try StartCommand.run(rest, root: root))
            case "netns": exit(try NetnsCommand.run(rest))
            case "network": exit(try NetworkCommand.run(rest))
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

    /// A minimal `--root DIR` / `--root=DIR` before the verb, for the OCI verbs' state
    /// directory. The oci-cli branch owns the full global flags (--log, --debug, ...) and
    /// replaces this.
    static func globalRoot(_ args: [String]) -> (String?, [String]) {
        guard let first = args.first else { return (nil, args) }
        if first == "--root", args.count > 1 { return (args[1], Array(args.dropFirst(2))) }
        if first.hasPrefix("--root=") { return (String(first.dropFirst(7)), Array(args.dropFirst())) }
        return (nil, args)
    }
}
