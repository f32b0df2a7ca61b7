#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// What `exec` was asked for: the process (from `--process FILE`, or built from the command
/// line's ARGS and flags over the container's config, `configProcess`, or `defaultProcess`)
/// and how to run it.
public struct ExecRequest: Sendable {
    public var id: String
    /// The state root (`--root`); nil: ContainerStateStore's default.
    public var root: String?
    public var process: OCISpec.Process
    /// A connected console socket is made from this path before any namespace changes.
    public var consoleSocket: String?
    /// Fds 3 ..< 3+N stay open in the process (the rest above 2 close on exec).
    public var preserveFds: Int32 = 0
    /// Return once the process runs (after writing `pidFile`), leaving it to the caller's subreaper.
    public var detach = false
    public var pidFile: String?
    /// -i: with a terminal and no console socket, the caller's stdin is relayed to the pty.
    public var interactive = false
    /// With a terminal and no console socket: typed, they end the session and leave the process
    /// running (docs/terminals.md); nil: every byte goes to the process.
    public var detachKeys: DetachKeys? = .default
    /// The caller's stdin is a terminal nobody asked to read (no -i, no -t): /dev/null instead.
    public var stdinFromNull = false

    public init(id: String, root: String? = nil, process: OCISpec.Process) {
        self.id = id
        self.root = root
        self.process = process
    }

    /// The process of `exec ID ARGS...` before the flags: the container's own, with `args`
    /// replaced and no terminal unless `--tty` asks. An OCI container's is its config's (the
    /// copy create kept), as runc's exec takes it; a `silo run -d` container's the one its
    /// monitor kept (ContainerStateStore.savedProcess), as docker's exec. nil for a config
    /// without `process`, or a record from before either was kept (the bundle's file may have
    /// changed since): `defaultProcess`.
    public static func configProcess(of record: ContainerRecord, in store: ContainerStateStore,
                                     args: [String]) throws(RuntimeError) -> OCISpec.Process? {
        if record.isRun { return try store.savedProcess(id: record.id).map { over($0, args: args) } }
        guard let bytes = try store.kept("config.json", id: record.id, limit: 16 << 20) else { return nil }
        let parsed: OCISpec.Process?
        do { parsed = try OCISpec.parseConfigProcess(bytes, file: store.directory(of: record.id) + "/config.json") } catch { throw RuntimeError(.runtime, error.description) }
        return parsed.map { over($0, args: args) }
    }

    static func over(_ process: OCISpec.Process, args: [String]) -> OCISpec.Process {
        var p = process
        p.args = args
        p.terminal = false
        p.consoleSize = nil
        return p
    }

    /// The process of `exec ID ARGS...` before the flags when the container's own was not kept
    /// (a record from before): silo run's defaults, root, cwd /, PATH, HOME, no_new_privs, and
    /// (capabilities nil) silo's default capability set.
    public static func defaultProcess(args: [String]) -> OCISpec.Process {
        var p = OCISpec.Process()
        p.args = args
        p.env = ["PATH=" + RunConfig.defaultPath, "HOME=/root"]
        p.noNewPrivileges = true
        return p
    }
}
