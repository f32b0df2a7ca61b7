#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// The state root (`--root`): one directory per container, ROOT/ID/ (0711), holding state.json,
/// exec.fifo while the container is created, and nothing else silo needs to find again.
/// Readers (state, list) take no lock and accept a directory without state.json (a create that
/// was killed half-way); every verb that changes a container holds `withLock(id:)`.
public struct ContainerStateStore: Sendable {
    public let root: String

    /// Names in the root that are not containers: dot files, and the directories of silo run
    /// that share /run/silo (IDRangeLock's id slots, RunCgroup's cgroup locks, the labs).
    public static let reservedNames: Set<String> = ["idslots", "cgroups", "labs"]

    /// /run/silo for root; for others $XDG_RUNTIME_DIR/silo, else /tmp/silo-UID.
    public static func defaultRoot(euid: uid_t = geteuid(),
                                   xdgRuntimeDir: String? = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) }) -> String {
        if euid == 0 { return "/run/silo" }
        if let xdg = xdgRuntimeDir, xdg.hasPrefix("/") { return xdg + "/silo" }
        return "/tmp/silo-\(euid)"
    }

    /// Opens the root, creating it (and missing parents) 0711 for root, 0700 for others. Refused
    /// when another user owns it or group/others may write in it: a name planted there would
    /// be taken for a container (or a state.json written through a link).
    public init(root: String? = nil) throws(RuntimeError) {
        let root = root ?? ContainerStateStore.defaultRoot()
        guard root.hasPrefix("/") else { throw RuntimeError(.usage, "state root \(root): must be an absolute path") }
        let mode: mode_t = geteuid() == 0 ? 0o711 : 0o700
        var path = ""
        for part in root.split(separator: "/") {
            path += "/" + String(part)  // String + Substring would be the unspecialized generic `+`
            if mkdir(path, mode) != 0 && errno != EEXIST { throw RuntimeError(SyscallError.last("mkdir", "state root \(path)")) }
        }
        // A link another user owns (as /tmp/silo-UID planted in /tmp) could be repointed after
        // the checks below: only the caller's own links and root's (/var/run) are followed.
        var link = stat()
        if lstat(root, &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK, link.st_uid != geteuid(), link.st_uid != 0 {
            throw RuntimeError(.runtime, "state root \(root): a symbolic link owned by uid \(link.st_uid), not by uid \(geteuid())")
        }
        let st: stat
        do { st = try FileIO.stat(root) } catch { throw RuntimeError(error) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw RuntimeError(.runtime, "state root \(root): not a directory") }
        guard st.st_uid == geteuid() else {
            throw RuntimeError(.runtime, "state root \(root): owned by uid \(st.st_uid), not by uid \(geteuid())")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw RuntimeError(.runtime, "state root \(root): group or others may write in it (mode \(String(st.st_mode & 0o7777, radix: 8)))")
        }
        self.root = Self.trimmingTrailingSlashes(root)
    }

    /// "/run/silo/" → "/run/silo", "/" → "". On bytes: the generic `String(reversed().drop
    /// {...}.reversed())` this replaces was not specialized, and instantiating its nested
    /// types' metadata by mangled name scanned the binary's conformances, ~0.3 ms of every verb.
    static func trimmingTrailingSlashes(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// runc's rule: `^[\w+-\.]+$` (so letters, digits, '_', '+', ',', '-', '.': the class holds
    /// the range '+'...'.'), not "." or "..", at most 1024 bytes.
    public static func validate(id: String) throws(RuntimeError) {
        let ok = !id.isEmpty && id.utf8.count <= 1024 && id != "." && id != ".." && id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || (c >= 0x2B && c <= 0x2E)
        }
        if !ok { throw RuntimeError(.usage, "invalid id format: \(id)") }
    }

    public func directory(of id: String) -> String { root + "/" + id }
    public func statePath(of id: String) -> String { directory(of: id) + "/state.json" }
    public func fifoPath(of id: String) -> String { directory(of: id) + "/exec.fifo" }

    /// The messages engines match (containerd: "does not exist", "already exists").
    public static func doesNotExist(_ id: String) -> RuntimeError { RuntimeError(.runtime, "container \"\(id)\" does not exist") }
    public static let alreadyExists = RuntimeError(.runtime, "container with given ID already exists")

    /// Claims `id`: mkdir is atomic, so of two creates with one ID exactly one gets here.
    public func create(id: String) throws(RuntimeError) {
        try Self.validate(id: id)
        if mkdir(directory(of: id), 0o711) != 0 {
            if errno == EEXIST { throw Self.alreadyExists }
            throw RuntimeError(SyscallError.last("mkdir", directory(of: id)))
        }
        // mkdir's mode passes through the umask; others need x to reach exec.fifo as the
        // container's user, as with runc.
        _ = chmod(directory(of: id), 0o711)
    }

    public func exists(id: String) -> Bool {
        (try? Self.validate(id: id)) != nil && FileIO.isDirectory(directory(of: id))
    }

    /// The record, or nil when the directory exists without state.json (a create still running
    /// or killed half-way: status "creating"; delete removes it).
    public func load(id: String) throws(RuntimeError) -> ContainerRecord? {
        try Self.validate(id: id)
        let path = statePath(of: id)
        let bytes: [UInt8]
        do { bytes = try Self.stateBytes(path) } catch {
            if error.errno == ENOENT {
                if FileIO.isDirectory(directory(of: id)) { return nil }
                throw Self.doesNotExist(id)
            }
            throw RuntimeError(error)
        }
        return try ContainerRecord.decode(bytes, file: path)
    }

    /// state.json as written, unparsed, no link followed: `load` and the name lookup
    /// (ContainerLookup, which parses only the files that can hold the name) read it alike.
    static func stateBytes(_ path: String) throws(SyscallError) -> [UInt8] {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        if fd < 0 { throw SyscallError.last("open", path) }
        defer { close(fd) }
        return try FileIO.readAll(fd: fd, limit: 16 << 20, object: path)
    }

    /// Writes state.json atomically: a reader sees the old record or the new one, never half.
    /// No fsync: the root is on tmpfs (/run), and a record that outlives a reboot describes
    /// processes that are gone anyway.
    public func save(_ record: ContainerRecord) throws(RuntimeError) {
        try Self.validate(id: record.id)
        let dir = directory(of: record.id)
        let tmp = dir + "/.state.json.tmp"
        do {
            try FileIO.write(tmp, String(decoding: record.encoded, as: UTF8.self),
                             flags: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode: 0o600)
        } catch {
            if error.errno == ENOENT && !FileIO.isDirectory(dir) { throw Self.doesNotExist(record.id) }
            throw RuntimeError(error)
        }
        if rename(tmp, statePath(of: record.id)) != 0 {
            let e = SyscallError.last("rename", statePath(of: record.id))
            unlink(tmp)
            throw RuntimeError(e)
        }
    }

    public struct Entry: Sendable {
        public var id: String
        /// nil: no state.json yet (or it could not be read, see `problem`).
        public var record: ContainerRecord?
        public var problem: String?
    }

    /// Every container directory, sorted by ID, including half-made ones.
    public func list() throws(RuntimeError) -> [Entry] {
        let names: [String]
        do { names = try FileIO.list(root.isEmpty ? "/" : root) } catch { throw RuntimeError(error) }
        var out: [Entry] = []
        for name in names.sorted() where !name.hasPrefix(".") && !Self.reservedNames.contains(name) {
            guard (try? Self.validate(id: name)) != nil, FileIO.isDirectory(directory(of: name)) else { continue }
            do {
                out.append(Entry(id: name, record: try load(id: name)))
            } catch {
                // Deleted between the listing and the read: not a container any more.
                if !FileIO.isDirectory(directory(of: name)) { continue }
                out.append(Entry(id: name, record: nil, problem: error.message))
            }
        }
        return out
    }

    /// Removes ROOT/ID and everything in it (state.json, exec.fifo, temp files a killed silo
    /// left), without following links out of it. Unknown id: does-not-exist.
    public func remove(id: String) throws(RuntimeError) {
        try Self.validate(id: id)
        let dir = directory(of: id)
        do {
            try DirectoryRemoval.remove(dir)
        } catch {
            if error.errno == ENOENT && error.object == dir { throw Self.doesNotExist(id) }
            throw RuntimeError(error)
        }
    }
}
