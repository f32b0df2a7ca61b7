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
      exec     Run a process in a running container (OCI, runc's flags)
      ps       List detached containers (silo run -d); ps ID: runc's process list
      attach   Connect to the terminal of a detached container (run -dit)
      inspect, logs, stop, rm, wait, top
               Look at and end detached containers (docs/containers.md)
      netns    Manage named network namespaces and veth links (iproute2-compatible)
      network  List and prune silo's bridges (silo run --network bridge)
      lab      Test networks: hosts, links, bridges and routers from a topology file
      demo     Show each namespace live: the host's view beside the container's
      ns       List every namespace (like lsns), or those of one process
      stats    CPU, memory, pids and block I/O of running containers (from their cgroups)

    OCI runtime commands (runc's, for podman, containerd and CRI-O; docs/oci.md):
      state, list, ps, kill, delete, pause, resume, update, features, spec

    Options:
      -h, --help     Show this help
      --version      Print the version

    Global options (before the command, as runc's): --root DIR, --log FILE,
    --log-format text|json, --debug, --rootless auto|true|false

    Run 'silo COMMAND --help' for a command's options.
    """

    /// `silo ARGS...` from the process's own argv. Not `CommandLine.arguments`: its lazy
    /// initializer maps argv through a generic closure whose metadata the runtime builds by
    /// name on first use (~50 µs of every start, perf).
    public static func main() -> Never {
        let argc = Int(CommandLine.argc)
        var arguments: [String] = []
        arguments.reserveCapacity(argc)
        for i in 0..<argc {
            arguments.append(CommandLine.unsafeArgv[i].map { String(cString: $0) } ?? "")
        }
        main(arguments)
    }

    /// `silo ARGS...`: `arguments` is the whole argv, argv[0] included.
    public static func main(_ arguments: [String]) -> Never {
        Trace.mark("main")
        Trace.mark("trace: first line")  // the first write costs page faults: its own row
        var args = Array(arguments.dropFirst())
        var globals = GlobalOptions()
        if args.first?.hasPrefix("-") == true {
            // Only an argv that starts with a flag pays for this: `silo run ...` does not.
            do {
                args = try GlobalOptions.parse(args, into: &globals)
            } catch {
                // A bad global flag in front of an OCI verb is runc's exit 1; otherwise silo's usage status.
                let oci = GlobalOptions.verb(in: args).map { OCIVerbs.names.contains($0) || $0 == "create" || $0 == "start" } ?? false
                fail(CommandFailure(oci ? OCIVerbs.failureStatus : 125, error.message), globals)
            }
        }
        guard let command = args.first else {
            Output.out(topHelp)
            exit(0)
        }
        let rest = Array(args.dropFirst())
        do throws(CommandFailure) {
            switch command {
            case "run" where BundleRunCommand.applies(rest): exit(try BundleRunCommand.run(rest, globals))
            case "run": exit(try RunCommand.run(rest, root: globals.root))
            // Not in OCIVerbs: the exec'd process's 126/127 must pass through its blanket exit 1.
            case "exec": exit(try ExecCommand.run(rest, globals))
            case "attach": exit(try AttachCommand.run(rest, globals))
            case "create": exit(try CreateCommand.run(rest, globals))
            case "start": exit(try StartCommand.run(rest, root: globals.root))
            case "netns": exit(try NetnsCommand.run(rest))
            case "network": exit(try NetworkCommand.run(rest))
            case "lab": exit(try LabCommand.run(rest))
            case "demo": exit(try DemoCommand.run(rest))
            case "ns": exit(try NsCommand.run(rest))
            case "ps" where ContainerCommands.isContainerList(rest), "inspect", "logs", "stop", "rm", "wait", "top":
                exit(try ContainerCommands.run(command, rest, globals))
            case "stats": exit(try StatsCommand.run(rest, root: globals.root))
            // A case list, not a Set lookup: `silo run` pays nothing for the OCI verbs.
            case "state", "kill", "delete", "list", "ps", "pause", "resume", "update", "features", "spec",
                 "checkpoint", "restore", "events":
                exit(try OCIVerbs.run(command, rest, globals))
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
            fail(error, globals)
        }
    }

    /// `silo: MESSAGE` on stderr and, with --log, the same message as an error line in the log.
    static func fail(_ error: CommandFailure, _ globals: GlobalOptions) -> Never {
        Output.error("silo: \(error.message)")
        RuntimeLog.append(globals, level: "error", message: error.message)
        exit(error.status)
    }

}
