import Foundation
import Testing

/// A private podman or containerd environment around the built silo (scripts/engine-env): the
/// engine's configuration, storage, runtime state, sockets and silo's own --root all live under
/// one directory in /tmp, and `down()` removes it and checks the host is as it was.
final class EngineEnv {
    enum Kind: String { case podman, containerd }

    let kind: Kind
    let dir: String
    /// What was on the host before, so that `down()` can tell our leftovers from others'.
    private let hadContainersCache = FileManager.default.fileExists(atPath: "/var/lib/containers/cache")
    private let hadRunContainerd = FileManager.default.fileExists(atPath: "/run/containerd")

    static let script = Silo.packageRoot.appendingPathComponent("scripts/engine-env").path
    static let image = "localhost/busybox:latest"

    static func installed(_ tools: String...) -> Bool {
        tools.allSatisfy { t in ["/usr/bin/", "/usr/sbin/", "/usr/local/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + t) } }
    }

    static let hasPodman = Host.canRunContainers && installed("podman", "conmon")
    static let hasContainerd = Host.canRunContainers && installed("containerd", "ctr", "containerd-shim-runc-v2")
    static let hasCatatonit = FileManager.default.isExecutableFile(atPath: "/usr/libexec/podman/catatonit")

    init(_ kind: Kind) throws {
        self.kind = kind
        dir = "/tmp/silo-engines-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let r = try Self.spawn([Self.script, kind.rawValue, dir, Silo.binary], io: dir + "/.setup")
        guard r.status == 0 else {
            _ = try? Self.spawn([Self.script, "down", dir], io: "/tmp/.silo-engines-down")
            throw EngineError.setup("\(kind) environment: \(r)")
        }
    }

    /// Runs argv with stdio on files (IO.in, IO.out, IO.err) and waits for that pid alone.
    /// Not Foundation's Process: the engines leave daemons behind (conmon, containerd and its
    /// shims) and a missed SIGCHLD there left a test waiting for ever on a zombie.
    static func spawn(_ argv: [String], stdin: String? = nil, io: String, timeout: Double = 60) throws -> Silo.Result {
        try (stdin ?? "").write(toFile: io + ".in", atomically: false, encoding: .utf8)
        let script = "exec \"$@\" <'\(io).in' >'\(io).out' 2>'\(io).err'"
        let args = ["/bin/sh", "-c", script, "sh"] + argv
        var cargs = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", nil, nil, &cargs, environ)
        guard rc == 0 else { throw EngineError.setup("posix_spawn: \(rc)") }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var timedOut = false
        while true {
            let w = waitpid(pid, &status, WNOHANG)
            if w == pid { break }
            if w < 0 && errno != EINTR { throw EngineError.setup("waitpid: \(errno)") }
            if Date() > deadline, !timedOut { kill(pid, SIGKILL); timedOut = true }
            usleep(2000)
        }
        let out = (try? String(contentsOfFile: io + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: io + ".err", encoding: .utf8)) ?? ""
        for f in [".in", ".out", ".err"] { try? FileManager.default.removeItem(atPath: io + f) }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Silo.Result(status: timedOut ? -1 : code, stdout: out, stderr: timedOut ? "timed out\n" + err : err)
    }

    private var calls = 0
    /// `sh -c SCRIPT` in the environment (its env file sourced), stdio on files in the directory.
    @discardableResult
    func sh(_ script: String, _ args: [String] = [], stdin: String? = nil, timeout: Double = 60) throws -> Silo.Result {
        calls += 1
        return try Self.spawn(["/bin/sh", "-c", script, "sh"] + args, stdin: stdin, io: "\(dir)/.call\(calls)", timeout: timeout)
    }

    enum EngineError: Error { case setup(String) }

    /// The silo state root of this environment: podman's runtime wrapper gives silo `--root`
    /// here; containerd's shim uses /run/containerd/runc/NS inside containerd's mount namespace.
    var siloRoot: String { dir + "/podman/silo" }

    /// `podman ARGS` with the environment's configuration.
    @discardableResult
    func podman(_ args: [String], stdin: String? = nil, timeout: Double = 60) throws -> Silo.Result {
        try sh(". \(dir)/podman.env; exec $PODMAN \"$@\"", args, stdin: stdin, timeout: timeout)
    }

    /// `ctr ARGS` against this environment's containerd.
    @discardableResult
    func ctr(_ args: [String], stdin: String? = nil, timeout: Double = 60) throws -> Silo.Result {
        try sh(". \(dir)/containerd.env; exec $CTR \"$@\"", args, stdin: stdin, timeout: timeout)
    }

    /// `ctr run` through the runc v2 shim with silo as its BinaryName (what `--runc-binary` sets,
    /// the same option a Kubernetes node's runtime entry sets).
    @discardableResult
    func ctrRun(_ args: [String], stdin: String? = nil, timeout: Double = 60) throws -> Silo.Result {
        try ctr(["run", "--fifo-dir", dir + "/containerd/fifo", "--runc-binary", Silo.binary] + args, stdin: stdin, timeout: timeout)
    }

    var fifoDir: String { dir + "/containerd/fifo" }

    /// Polls `check` until it is true or `seconds` pass.
    func eventually(_ seconds: Double = 10, _ check: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try check() { return true }
            usleep(50_000)
        } while Date() < deadline
        return false
    }

    /// Stops everything, removes the directory, and checks the host: no process or mount naming
    /// the directory, no container left in silo's state, /var/lib/containers/cache and
    /// /run/containerd only if they were there before.
    func down() throws {
        if kind == .podman {
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: siloRoot)) ?? []).filter { !$0.hasPrefix(".") && $0 != "idslots" && $0 != "cgroups" }
            #expect(left.isEmpty, "containers left in silo's state: \(left)")
        }
        let r = try Self.spawn([Self.script, "down", dir], io: "/tmp/.silo-engines-down-" + dir.suffix(8))
        #expect(r.status == 0, "engine-env down: \(r)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(dir), "a mount of the environment is left on the host")
        // conmon of a failed create exits a moment after podman has returned: give it 5 s.
        var procs = ""
        _ = try eventually(5) {
            procs = try Self.spawn(["/bin/sh", "-c", "ps -eo pid,args | grep -F '\(dir)' | grep -v grep || true"], io: "/tmp/.silo-engines-ps-" + dir.suffix(8)).stdout
            return procs.isEmpty
        }
        #expect(procs.isEmpty, "processes left: \(procs)")
        // Each engine checks its own host path only: the two suites may run side by side.
        if kind == .podman && !hadContainersCache { #expect(!FileManager.default.fileExists(atPath: "/var/lib/containers/cache")) }
        if kind != .podman && !hadRunContainerd { #expect(!FileManager.default.fileExists(atPath: "/run/containerd")) }
    }
}

extension Silo.Result {
    var out: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
}
