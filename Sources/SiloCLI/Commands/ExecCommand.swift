#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// `silo exec [OPTIONS] ID [COMMAND...]`: runc's exec (docs/oci.md, "exec").
public enum ExecCommand {
    public static let parser = ArgumentParser(command: "silo exec", options: [
        .init(["--root"], value: "DIR", help: "State directory (default /run/silo)"),
        .init(["--process", "-p"], value: "FILE", help: "The process as an OCI process.json, instead of COMMAND"),
        .init(["--pid-file"], value: "FILE", help: "Write the process's host PID to FILE"),
        .init(["--detach", "-d"], help: "Return once the process runs"),
        .init(["--tty", "-t"], help: "Give the process a terminal of the container's devpts (relayed to silo's without --console-socket)"),
        .init(["--interactive", "-i"], help: "Keep stdin open (relayed with -t; without -i/-t a terminal on stdin is not read)"),
        .init(["--detach-keys"], value: "KEYS", help: "Keys that end an -it session and leave the process running (default ctrl-p,ctrl-q; empty: none)"),
        .init(["--console-socket"], value: "SOCKET", help: "Send the terminal's master over this unix socket"),
        .init(["--preserve-fds"], value: "N", help: "Pass fds 3 to 3+N-1 on to the process"),
        .init(["--cwd", "--workdir", "-w"], value: "DIR", help: "Working directory in the container"),
        .init(["--interactive", "-i"], help: "Pass stdin on (it always is without a terminal: a pipe works)"),
        .init(["--env", "-e"], value: "K=V", help: "Set an environment variable (repeatable)"),
        .init(["--user", "-u"], value: "UID[:GID]", help: "Run as this user (numeric)"),
        .init(["--cap", "-c"], value: "CAP", help: "Add a capability (repeatable)"),
        .init(["--no-new-privs"], help: "Set no_new_privs (the default without --process)"),
    ])

    public static let usage = "silo exec [OPTIONS] ID [--] COMMAND [ARG...]"
    public static let summary = """
    Run a process inside every namespace of a running container (runc's exec). Without --detach,
    exit with the process's status, or 128+signal.
    """

    /// `root`: the global `--root` (GlobalOptions.root) when CLI.main has parsed one; the verb's
    /// own `--root` wins. Exit statuses stay silo's (125, and 126/127 for a command that cannot
    /// run or is not there), not the OCI verbs' 1: podman maps the message, `silo exec` users
    /// get the shell's convention.
    static func run(_ args: [String], _ globals: GlobalOptions) throws(CommandFailure) -> Int32 {
        do { return try main(args, globals) } catch { throw CommandFailure(error) }
    }

    static func main(_ args: [String], _ globals: GlobalOptions) throws(RuntimeError) -> Int32 {
        let r = try parser.parse(args)
        if r.has("--help") {
            Output.out(parser.help(usage: usage, summary: summary))
            return 0
        }
        var (request, caps) = try request(r, warn: { RuntimeLog.warn($0, globals) })
        if request.root == nil { request.root = globals.root }
        // A name or an id prefix of a `silo run -d` container (docs/containers.md).
        let store = try ContainerStateStore(root: request.root)
        request.id = try ContainerLookup.resolve(request.id, in: store)
        let record = try store.load(id: request.id)
        // runc's exec takes what the command line leaves out from the container's config.
        if r.last("--process") == nil, let record,
           let base = try ExecRequest.configProcess(of: record, in: store, args: request.process.args) {
            request.process = try process(r, over: base)
        }
        return try ContainerExec.run(request, store: store, record: record, addCapabilities: caps, childMemory: .shared)  // silo exits after it
    }

    /// The request and the `--cap` names, from parsed options.
    /// `warn`: what the process file's parse says is not applied (AppArmor, SELinux labels).
    static func request(_ r: ArgumentParser.Result, warn: (String) -> Void = { _ in }) throws(RuntimeError) -> (ExecRequest, [String]) {
        guard let id = r.positionals.first else { throw RuntimeError(.usage, "exec: a container ID is needed (usage: \(usage))") }
        var command = Array(r.positionals.dropFirst())
        if command.first == "--" { command.removeFirst() }
        let process: OCISpec.Process
        if let file = r.last("--process") {
            guard command.isEmpty else { throw RuntimeError(.usage, "exec: --process and a COMMAND exclude each other") }
            process = try Self.process(r, over: try readProcess(file, warn: warn))
        } else {
            guard !command.isEmpty else { throw RuntimeError(.usage, "exec: a COMMAND or --process FILE is needed (usage: \(usage))") }
            process = try Self.process(r, over: ExecRequest.defaultProcess(args: command))
        }
        var request = ExecRequest(id: id, root: r.last("--root"), process: process)
        request.consoleSocket = r.last("--console-socket")
        request.detach = r.flag("--detach")
        request.pidFile = r.last("--pid-file")
        // runc's exec has no -i: a terminal process given by --process (runc's form) reads the
        // caller's stdin through the relay, as under runc; `exec -t CMD` keeps docker's -i.
        request.interactive = r.flag("--interactive")
            || (r.last("--process") != nil && process.terminal && request.consoleSocket == nil)
        if let keys = r.last("--detach-keys") {
            guard let k = DetachKeys(parsing: keys) else {
                throw RuntimeError(.usage, "exec --detach-keys `\(keys)`: expected keys such as ctrl-p,ctrl-q (a-z, @, [, \\, ], ^, _ after ctrl-)")
            }
            request.detachKeys = k
        }
        request.stdinFromNull = !request.interactive && !process.terminal && r.last("--process") == nil && Terminal.isTerminal(0)
        if let n = r.last("--preserve-fds") {
            guard let count = Int32(n), count >= 0 else { throw RuntimeError(.usage, "exec --preserve-fds \(n): expected a count") }
            request.preserveFds = count
        }
        return (request, r.all("--cap"))
    }

    /// `base` with the command line's flags applied, as runc's exec applies them: --tty, --cwd,
    /// --env (replacing a variable of the same name), --user (the gid stays the base's unless
    /// given), --no-new-privs.
    static func process(_ r: ArgumentParser.Result, over base: OCISpec.Process) throws(RuntimeError) -> OCISpec.Process {
        var process = base
        if r.flag("--tty") { process.terminal = true }
        if process.terminal && !process.env.contains(where: { $0.hasPrefix("TERM=") }) { process.env.append("TERM=xterm") }
        if let cwd = r.last("--cwd") { process.cwd = cwd }
        for e in r.all("--env") {
            guard let eq = e.firstIndex(of: "="), eq != e.startIndex else { throw RuntimeError(.usage, "exec --env \(e): expected K=V") }
            let key = e[...eq]
            process.env.removeAll { $0.hasPrefix(key) }
            process.env.append(e)
        }
        if let user = r.last("--user") {
            let parts = user.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let uid = UInt32(parts[0]), parts.count == 1 || UInt32(parts[1]) != nil else {
                throw RuntimeError(.usage, "exec --user \(user): expected UID[:GID] (numbers)")
            }
            process.user.uid = uid
            if parts.count == 2, let gid = UInt32(parts[1]) { process.user.gid = gid }
        }
        if r.flag("--no-new-privs") { process.noNewPrivileges = true }
        return process
    }

    /// process.json is small: a megabyte is a mistake, not a process.
    static func readProcess(_ path: String, warn: (String) -> Void) throws(RuntimeError) -> OCISpec.Process {
        let bytes: [UInt8]
        do { bytes = try RegularFile.read(path, limit: 1 << 20) } catch { throw RuntimeError(.usage, "exec --process \(path): \(error.reason)") }
        var warnings: [OCIError] = []
        defer { for w in warnings { warn(w.description) } }
        do { return try OCISpec.parseProcess(bytes, file: path, warnings: &warnings) } catch {
            throw RuntimeError(.usage, error.description)
        }
    }
}
