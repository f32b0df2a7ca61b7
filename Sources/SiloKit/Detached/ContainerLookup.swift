#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// What a user may type where a container is meant: its id, its name, or a prefix of its id
/// that only one container has (as docker). Names and prefixes only ever find containers
/// `silo run` made: an OCI bundle's container is its engine's, named by its exact id, so an
/// engine's `delete --force abc` never reaches a container `abcdef`.
public enum ContainerLookup {
    /// The id `reference` means. An exact id wins, then a name, then a unique id prefix.
    public static func resolve(_ reference: String, in store: ContainerStateStore) throws(RuntimeError) -> String {
        guard !reference.isEmpty else { throw RuntimeError(.usage, "an empty container id or name") }
        if store.exists(id: reference) {
            // An engine may later create a bundle whose id is a run container's name: the two are
            // never guessed between (rm would otherwise end the engine's container).
            if let named = runContainer(named: reference, in: store), named != reference {
                throw RuntimeError(.usage, "\"\(reference)\" is both a container's id and container \(named.prefix(12))'s name: use the full id")
            }
            return reference
        }
        let own = try store.list().filter { $0.record?.isRun == true }
        if let named = own.first(where: { $0.record?.name == reference }) { return named.id }
        let matches = own.filter { $0.id.hasPrefix(reference) }
        if matches.count == 1 { return matches[0].id }
        if matches.count > 1 {
            let shown = matches.prefix(4).map { String($0.id.prefix(12)) }.joined(separator: ", ")
            throw RuntimeError(.usage, "container id prefix \"\(reference)\" is ambiguous: it matches \(matches.count) containers (\(shown)\(matches.count > 4 ? ", ..." : ""))")
        }
        throw ContainerStateStore.doesNotExist(reference)
    }

    /// The run container named `name`, for an exact id (the engines' `exec ID`, every time):
    /// only the state files that hold both a "name" member and the quoted name are parsed,
    /// not every container's (a JSON parse each, per exec, on a host with many containers).
    static func runContainer(named name: String, in store: ContainerStateStore) -> String? {
        guard (try? validate(name: name)) != nil else { return nil }  // not a name: nothing to find, and no escapes to fear
        let member = Array("\"name\"".utf8), quoted = Array("\"\(name)\"".utf8)
        for id in ((try? FileIO.list(store.root.isEmpty ? "/" : store.root)) ?? []).sorted() where !id.hasPrefix(".") {
            guard (try? ContainerStateStore.validate(id: id)) != nil, let bytes = try? ContainerStateStore.stateBytes(store.statePath(of: id)),
                  contains(bytes, member), contains(bytes, quoted),
                  let record = try? ContainerRecord.decode(bytes), record.isRun, record.name == name else { continue }
            return id
        }
        return nil
    }

    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        // memmem is a _GNU_SOURCE name Swift does not import; state files are a few hundred bytes.
        return bytes.withUnsafeBufferPointer { b in
            needle.withUnsafeBufferPointer { n in
                for i in 0...(b.count - n.count) where b[i] == n[0] && memcmp(b.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                return false
            }
        }
    }

    /// Names follow docker's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; also never 64 hex digits (a name
    /// that reads as another container's id).
    public static func validate(name: String) throws(RuntimeError) {
        let u = Array(name.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        let ok = !u.isEmpty && u.count <= 128 && alnum(u[0]) && u.allSatisfy { alnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
        if !ok { throw RuntimeError(.usage, "--name \(name): expected [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 bytes)") }
        if u.count == 64 && u.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            throw RuntimeError(.usage, "--name \(name): a name may not look like a container id")
        }
    }

    /// Claims the record's directory and saves it, refusing a name another container of this
    /// root has (running or not: `silo rm` frees it). The check and the claim happen under one
    /// flock on ROOT/.names.lock, so of two runs with one name exactly one gets it. The directory
    /// is made as ROOT/.claim-ID with its state.json, then renamed to ROOT/ID: a silo killed
    /// half-way leaves no container without a record (the next claim removes the dot directory).
    public static func claim(_ record: ContainerRecord, in store: ContainerStateStore) throws(RuntimeError) {
        try ContainerStateStore.validate(id: record.id)
        let lockPath = store.root + "/.names.lock"
        let fd = retryingEINTR { open(lockPath, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        if fd < 0 { throw RuntimeError(SyscallError.last("open", lockPath)) }
        defer { close(fd) }
        if retryingEINTR({ flock(fd, LOCK_EX) }) != 0 { throw RuntimeError(SyscallError.last("flock", lockPath)) }
        // Every claim holds the lock, so a .claim- directory seen now is a killed claim's.
        for name in (try? FileIO.list(store.root)) ?? [] where name.hasPrefix(".claim-") {
            try? DirectoryRemoval.remove(store.root + "/" + name)
        }
        if let name = record.name {
            // An exact id wins a lookup: a name that is already an id could never be reached.
            if store.exists(id: name) { throw RuntimeError(.usage, "the name \"\(name)\" is the id of an existing container") }
            for e in try store.list() where e.record?.name == name {
                throw RuntimeError(.usage, "the name \"\(name)\" is already in use by container \(e.id.prefix(12)) (remove it with `silo rm \(name)`)")
            }
        }
        let staging = store.root + "/.claim-" + record.id
        if mkdir(staging, 0o711) != 0 { throw RuntimeError(SyscallError.last("mkdir", staging)) }
        _ = chmod(staging, 0o711)
        do throws(SyscallError) {
            try FileIO.write(staging + "/state.json", String(decoding: record.encoded, as: UTF8.self),
                             flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o600)
            // RENAME_NOREPLACE semantics for directories: rename fails on a non-empty target.
            if rename(staging, store.directory(of: record.id)) != 0 { throw SyscallError.last("rename", store.directory(of: record.id)) }
        } catch {
            try? DirectoryRemoval.remove(staging)
            if error.errno == ENOTEMPTY || error.errno == EEXIST { throw ContainerStateStore.alreadyExists }
            throw RuntimeError(error)
        }
    }

    /// 64 random hex digits, as docker's ids; `silo ps` shows the first 12.
    public static func newID() -> String {
        let hex = Array("0123456789abcdef")
        return String(Random.bytes(32).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] })
    }
}
