#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// What a lab made, in /run/silo/labs/NAME.json: each namespace is recorded before it is made
/// and each process right after it starts, and the file is replaced atomically (write, fsync,
/// rename), so that `down` finds everything after an `up` that failed half-way or was killed.
/// Devices need no record: every one lives in one of the lab's namespaces and goes with it.
public struct LabState: Equatable, Sendable {
    public struct Process: Equatable, Sendable {
        public var host: String
        public var pid: Int32
        /// /proc/PID/stat field 22: tells the process from a later one given the same PID.
        public var startTime: UInt64
    }

    public var name: String
    /// The topology file's path and text, as `up` read them (`graph` and `ps` use them).
    public var file: String
    public var source: String
    public var namespaces: [String] = []
    public var processes: [Process] = []
    /// false until `up` has finished.
    public var complete = false

    public init(name: String, file: String, source: String) {
        self.name = name
        self.file = file
        self.source = source
    }

    public var json: JSON {
        .fields([
            ("name", .string(name)), ("file", .string(file)), ("complete", .bool(complete)),
            ("namespaces", .strings(namespaces)),
            ("processes", .array(processes.map {
                .fields([("host", .string($0.host)), ("pid", .integer($0.pid)), ("startTime", .integer($0.startTime))])
            })),
            ("source", .string(source)),
        ])
    }

    public static func parse(_ text: String, path: String) throws(RuntimeError) -> LabState {
        func bad(_ why: String) -> RuntimeError { RuntimeError(.runtime, "lab state \(path): \(why)") }
        let j: JSON
        do { j = try JSON.parse(text) } catch { throw bad("\(error)") }
        guard case .string(let name)? = j["name"], case .string(let file)? = j["file"], case .string(let source)? = j["source"] else {
            throw bad("not a lab state file")
        }
        var s = LabState(name: name, file: file, source: source)
        if case .bool(let c)? = j["complete"] { s.complete = c }
        if case .array(let ns)? = j["namespaces"] {
            for n in ns { if case .string(let v) = n { s.namespaces.append(v) } }
        }
        if case .array(let ps)? = j["processes"] {
            for p in ps {
                guard case .string(let host)? = p["host"], let pid = p["pid"]?.int64, let st = p["startTime"]?.uint64 else { continue }
                s.processes.append(Process(host: host, pid: Int32(pid), startTime: st))
            }
        }
        return s
    }
}

/// The directory of lab state files; tests point it elsewhere.
public struct LabStateStore: Sendable {
    public var directory: String

    public init(directory: String = "/run/silo/labs") { self.directory = directory }

    public func path(_ name: String) -> String { "\(directory)/\(name).json" }

    public func exists(_ name: String) -> Bool { FileIO.exists(path(name)) }

    public func load(_ name: String) throws(RuntimeError) -> LabState {
        let p = path(name)
        let text: String
        do { text = try FileIO.read(p) } catch {
            if error.errno == ENOENT { throw RuntimeError(.usage, "lab \(name): no such lab (no \(p))") }
            throw RuntimeError(.runtime, "lab \(name): \(error)", cause: error)
        }
        return try LabState.parse(text, path: p)
    }

    /// Replaces the file atomically: a reader (or a `down` after kill -9) sees the old state or
    /// the new one, never half of one.
    public func save(_ state: LabState) throws(RuntimeError) {
        let p = path(state.name)
        let tmp = p + ".tmp"
        do throws(SyscallError) {
            try LinuxSyscalls().mkdir("/run/silo", mode: 0o711)
            try LinuxSyscalls().mkdir(directory, mode: 0o700)
            let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            if fd < 0 { throw SyscallError.last("open", tmp) }
            defer { close(fd) }
            try FileIO.writeAll(fd: fd, state.json.encodedBytes(indent: "  ") + [10], object: tmp)
            if fsync(fd) != 0 { throw SyscallError.last("fsync", tmp) }
            if rename(tmp, p) != 0 { throw SyscallError.last("rename", p) }
        } catch {
            throw RuntimeError(.runtime, "lab \(state.name): state \(p): \(error)", cause: error)
        }
    }

    /// An exclusive flock on DIRECTORY/NAME.lock for the length of an `up` or a `down`: without
    /// it two `up`s of one name could both find no state file and both build (the check and
    /// the first save are two steps). The kernel drops the lock with its holder, however it
    /// dies, so a killed `up` never blocks the `down` after it. Not waited for: a second `up`
    /// fails at once, naming the lock. `remove` unlinks the file while holding the lock; a
    /// lock taken on a file unlinked meanwhile (opened just before) is dropped and taken again
    /// on the file the path names now, so two holders never hold two different inodes.
    public func lock(_ name: String) throws(RuntimeError) -> Int32 {
        let p = "\(directory)/\(name).lock"
        do throws(SyscallError) {
            try LinuxSyscalls().mkdir("/run/silo", mode: 0o711)
            try LinuxSyscalls().mkdir(directory, mode: 0o700)
            let dir = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dir < 0 { throw SyscallError.last("open", directory) }
            defer { close(dir) }
            for _ in 0..<5 {
                guard let fd = try FileLock.tryLock(name + ".lock", in: dir, object: p) else { break }
                var held = stat(), named = stat()
                if fstat(fd, &held) == 0, fstatat(dir, name + ".lock", &named, AT_SYMLINK_NOFOLLOW) == 0,
                   held.st_ino == named.st_ino, held.st_dev == named.st_dev { return fd }
                close(fd)
            }
        } catch {
            throw RuntimeError(.runtime, "lab \(name): lock \(p): \(error)", cause: error)
        }
        throw RuntimeError(.runtime, "lab \(name): another silo is bringing it up or down (\(p) is locked)")
    }

    /// The state file, and the lock file when the caller holds its lock (`up` and `down` do).
    public func remove(_ name: String) {
        _ = unlink(path(name))
        _ = unlink(path(name) + ".tmp")
        _ = unlink("\(directory)/\(name).lock")
    }

    /// The labs with a state file, sorted.
    public func names() -> [String] {
        ((try? FileIO.list(directory)) ?? []).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }
}
