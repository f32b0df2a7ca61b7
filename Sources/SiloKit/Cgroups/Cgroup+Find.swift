#if canImport(Glibc)
import Glibc
#endif
import SiloSys

extension Cgroup {
    /// The cgroup `name` wherever it sits in each hierarchy: a `silo run` started from another
    /// cgroup than the caller's (this host puts each session in its own memory cgroup) made its
    /// cgroup there. A breadth-first walk from each mount point, `depth` levels at most; the
    /// names silo makes carry 48 random bits, so the first match is the one.
    public static func find(name: String, layout: CgroupLayout, depth: Int = 8, fs: any CgroupFS = HostCgroupFS()) -> Cgroup? {
        var found: [Place] = []
        for h in layout.hierarchies {
            var level = [h.mountPoint]
            search: for _ in 0..<depth {
                var next: [String] = []
                for dir in level {
                    for n in (try? fs.list(dir)) ?? [] where fs.isDirectory(dir + "/" + n) {
                        if n == name {
                            found.append(Place(hierarchy: h, directory: dir + "/" + n))
                            break search
                        }
                        next.append(dir + "/" + n)
                    }
                }
                if next.isEmpty { break }
                level = next
            }
        }
        return found.isEmpty ? nil : Cgroup(name: name, layout: layout, places: found, fs: fs)
    }

    /// The memory limit that binds the cgroup: its own or the lowest of its ancestors' (a silo
    /// container without --memory is bounded by the caller's cgroup). nil: nothing up to the
    /// hierarchy's root limits it.
    public func memoryCeiling() -> UInt64? {
        let v2 = layout.kind == .v2
        guard let p = place("memory") else { return nil }
        let file = v2 ? "memory.max" : "memory.limit_in_bytes"
        var dir = p.directory, lowest: UInt64?
        while dir.count > p.hierarchy.mountPoint.count {
            // v1 spells "no limit" as the largest page-aligned number, v2 as "max".
            if let n = number(dir + "/" + file), n < 1 << 62 { lowest = min(lowest ?? n, n) }
            guard let slash = dir.lastIndex(of: "/") else { break }
            dir = String(dir[..<slash])
        }
        return lowest
    }
}
