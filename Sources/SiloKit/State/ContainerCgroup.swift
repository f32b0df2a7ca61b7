#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The cgroup of an existing container, for the OCI verbs that act on it (pause, resume,
/// update, ps, delete). The record's `cgroupPaths` are what create made, so they are found from
/// any caller's cgroup; without them the name is `silo-ID` under the caller's cgroup
/// (docs/cgroups.md, "Wiring"), which holds when the engine calls silo from one place.
public enum ContainerCgroup {
    public static func name(of id: String) -> String { "silo-" + id }

    /// nil: no cgroup on this host holds the container (made without one, or already removed),
    /// or the cgroup file systems cannot be read.
    /// `layout`: the host's, detected when nil.
    public static func open(id: String, record: ContainerRecord?, layout: CgroupLayout? = nil, fs: any CgroupFS = HostCgroupFS()) -> Cgroup? {
        guard let layout = layout ?? (try? CgroupLayout.detect(fs: fs)) else { return nil }
        if let record, !record.cgroupPaths.isEmpty {
            var places: [Cgroup.Place] = []
            for dir in trustedDirectories(record) where fs.isDirectory(dir) {
                // The hierarchy whose mount holds the directory (the longest mount point wins).
                let h = layout.hierarchies.filter { dir.hasPrefix($0.mountPoint + "/") }.max { $0.mountPoint.count < $1.mountPoint.count }
                if let h { places.append(Cgroup.Place(hierarchy: h, directory: dir)) }
            }
            return places.isEmpty ? nil : Cgroup(name: name(of: id), layout: layout, places: places, fs: fs)
        }
        return Cgroup.open(name: name(of: id), layout: layout, fs: fs)
    }

    /// The record's cgroup directories that rm and delete may remove. A record edited by hand
    /// must not make them kill and remove any other cgroup: no `.`/`..` parts, and silo run's
    /// own are `silo-*` leaves (docs/security.md).
    static func trustedDirectories(_ record: ContainerRecord) -> [String] {
        Set(record.cgroupPaths.values).filter { dir in
            !hasDotParts(dir) && (!record.isRun || dir.split(separator: "/").last?.hasPrefix(name(of: "")) == true)
        }.sorted()
    }

    /// A `.` or `..` part: a path a hand-edited record could aim anywhere with.
    static func hasDotParts(_ path: String) -> Bool {
        path.split(separator: "/").contains { $0 == "." || $0 == ".." }
    }

    /// `delete` of a stopped container, the usual case: its cgroups are empty leaves, and one
    /// rmdir each removes them, without finding the host's layout (all of mountinfo) or
    /// listing any of them first. false: the record names no cgroup, or one did not go (it
    /// holds processes or sub-cgroups: EBUSY); the caller then takes the full way
    /// (`open` + `remove`), which kills and retries, for what is left.
    static func removeEmpty(_ record: ContainerRecord, fs: any CgroupFS = HostCgroupFS()) -> Bool {
        guard !record.cgroupPaths.isEmpty else { return false }
        var all = true
        for dir in trustedDirectories(record) {
            do { try fs.rmdir(dir) } catch { if error.errno != ENOENT { all = false } }
        }
        if all { removeParents(record, fs: fs) }
        return all
    }

    /// The freezer check `ContainerLiveness.status` takes. A record that names its freezer
    /// directory is answered from that one file (every `state`, `start` and `delete` asks;
    /// finding the layout reads all of mountinfo).
    public static func isFrozen(id: String) -> (ContainerRecord) -> Bool {
        { record in
            if let dir = record.cgroupPaths["freezer"] {
                return (try? FileIO.read(dir + "/freezer.state"))?.hasPrefix("FROZEN") ?? false
            }
            return open(id: id, record: record)?.isFrozen() ?? false
        }
    }

    /// `delete`'s removal: usually the PID namespace ended with its init and the cgroup is
    /// empty, and the freeze-kill-thaw round of `remove(killing:)` (some ms on v1) is skipped.
    /// Then the record's `cgroupParents`, deepest first, each only when empty (another
    /// container may sit below it) and only an ancestor of a recorded leaf on a cgroup file
    /// system: a record edited by hand cannot make delete remove any other directory.
    static func remove(_ cgroup: Cgroup, record: ContainerRecord? = nil) throws(CgroupError) {
        let empty = (try? cgroup.pids())?.isEmpty == true
        try cgroup.remove(killing: !empty)
        if let record { removeParents(record, fs: cgroup.fs) }
    }

    /// The record's `cgroupParents`, once its leaves are gone (see `remove`).
    static func removeParents(_ record: ContainerRecord, fs: any CgroupFS) {
        for dir in trustedParents(record, fs: fs) { try? fs.rmdir(dir) }
    }

    /// The record's `cgroupParents` that delete may remove, deepest first: ancestors of a
    /// recorded leaf, on a cgroup file system, without `.` or `..`.
    static func trustedParents(_ record: ContainerRecord, fs: any CgroupFS) -> [String] {
        let leaves = Array(record.cgroupPaths.values)
        return record.cgroupParents.sorted(by: { $0.count > $1.count }).filter { dir in
            guard dir.hasPrefix("/"), !hasDotParts(dir),
                  leaves.contains(where: { $0.hasPrefix(dir + "/") }),
                  let magic = try? fs.filesystemType(dir) else { return false }
            return magic == CgroupMagic.cgroup1 || magic == CgroupMagic.cgroup2
        }
    }

    /// After delete: the parents this container made that are still there, because another
    /// container of the store sits below them (`cgroupsPath` a/b/c1 and a/b/c2), pass to that
    /// container's record, so that whichever goes last removes them; before, they stayed when
    /// their maker went first. Called once the deleted container's lock is released, so that
    /// two deletes handing parents to each other never wait on each other; a parent no one
    /// takes (its heir was deleted meanwhile) gets one more rmdir.
    static func handOffParents(of record: ContainerRecord, store: ContainerStateStore, fs: any CgroupFS = HostCgroupFS()) {
        var left = trustedParents(record, fs: fs).filter { fs.isDirectory($0) }
        guard !left.isEmpty else { return }
        for entry in (try? store.list()) ?? [] where entry.id != record.id && !left.isEmpty {
            guard let other = entry.record else { continue }
            let below = left.filter { p in other.cgroupPaths.values.contains { $0.hasPrefix(p + "/") } }
            guard !below.isEmpty else { continue }
            let taken = (try? store.withLock(id: entry.id) { () throws(RuntimeError) -> Bool in
                guard var heir = try store.load(id: entry.id) else { return false }
                heir.cgroupParents = Array(Set(heir.cgroupParents).union(below)).sorted()
                try store.save(heir)
                return true
            }) ?? false
            if taken { left.removeAll { below.contains($0) } }
        }
        for dir in left { try? fs.rmdir(dir) }
    }

    /// The container's error for a verb that needs its cgroup.
    static func none(_ id: String, _ verb: String) -> RuntimeError {
        RuntimeError(.runtime, "\(verb) \(id): the container has no cgroup (silo made it without one)")
    }
}
