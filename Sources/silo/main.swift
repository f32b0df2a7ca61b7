#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

Trace.mark("main")
Trace.mark("trace: first line")  // the first write costs page faults: its own row

// The CLI is a thin layer: parse, call SiloKit, print one line on error, exit with the status.
// No Foundation: see docs/architecture.md, "Start-up cost".

let version = "0.1.0"

let topHelp = """
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

func fail(_ e: RuntimeError) -> Never {
    Output.error("silo: \(e.message)")
    exit(e.exitStatus)
}

let args = Array(CommandLine.arguments.dropFirst())
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
