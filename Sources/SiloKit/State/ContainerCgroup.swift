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
            // A record edited by hand must not make rm kill and remove any other cgroup: no
            // `.`/`..` parts, and silo run's own are `silo-*` leaves (docs/security.md).
            let trusted = Set(record.cgroupPaths.values).filter { dir in
                !dir.split(separator: "/").contains { $0 == "." || $0 == ".." }
                    && (!record.isRun || dir.split(separator: "/").last?.hasPrefix(name(of: "")) == true)
            }
            for dir in trusted.sorted() where fs.isDirectory(dir) {
                // The hierarchy whose mount holds the directory (the longest mount point wins).
                let h = layout.hierarchies.filter { dir.hasPrefix($0.mountPoint + "/") }.max { $0.mountPoint.count < $1.mountPoint.count }
                if let h { places.append(Cgroup.Place(hierarchy: h, directory: dir)) }
            }
            return places.isEmpty ? nil : Cgroup(name: name(of: id), layout: layout, places: places, fs: fs)
        }
        return Cgroup.open(name: name(of: id), layout: layout, fs: fs)
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
        guard let record, !record.cgroupParents.isEmpty else { return }
        let leaves = Array(record.cgroupPaths.values)
        for dir in record.cgroupParents.sorted(by: { $0.count > $1.count }) {
            guard dir.hasPrefix("/"), !dir.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }),
                  leaves.contains(where: { $0.hasPrefix(dir + "/") }),
                  let magic = try? cgroup.fs.filesystemType(dir), magic == CgroupMagic.cgroup1 || magic == CgroupMagic.cgroup2 else { continue }
            try? cgroup.fs.rmdir(dir)
        }
    }

    /// The container's error for a verb that needs its cgroup.
    static func none(_ id: String, _ verb: String) -> RuntimeError {
        RuntimeError(.runtime, "\(verb) \(id): the container has no cgroup (silo made it without one)")
    }
}
