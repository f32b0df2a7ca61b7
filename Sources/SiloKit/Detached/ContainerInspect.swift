#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// `silo inspect ID`: the record, and what the kernel says of the container now (read through
/// /proc of its command, which must be the process the record names).
public enum ContainerInspect {
    public static func json(id: String, store: ContainerStateStore) throws(RuntimeError) -> JSON {
        let record = try store.load(id: id)
        let s = DetachedStatus.of(id, record: record, store: store)
        var m: [(String, JSON)] = [("id", .string(id))]
        if let name = record?.name { m.append(("name", .string(name))) }
        m.append(("kind", .string(record?.isRun == true ? "run" : "oci")))
        m.append(("status", .string(s.state.rawValue)))
        m.append(("statusText", .string(s.text())))
        m.append(("exitCode", s.exitStatus.map { .integer($0) } ?? .null))
        m.append(("command", .strings(record?.command ?? [])))
        m.append(("rootfs", .string(record?.rootfs ?? "")))
        m.append(("created", .string(record?.created ?? "")))
        m.append(("started", record?.started.map { .string($0) } ?? .null))
        m.append(("finished", record?.finished.map { .string($0) } ?? .null))
        m.append(("monitor", .fields([("pid", record?.monitorPid.map { .integer($0) } ?? .null), ("alive", .bool(s.monitorAlive))])))
        m.append(("logPath", .string(ContainerLog.path(in: store.directory(of: id)))))
        m.append(("cgroupPaths", .stringMap(record?.cgroupPaths ?? [:])))
        m.append(("network", .stringMap(record?.network ?? [:])))
        // Live facts only while the command lives: its pid cannot be someone else's then.
        guard let record, let command = try? ContainerLiveness.openInit(record) else {
            m.append(("pid", .null))
            return .fields(m)
        }
        let pid = "\(command.pid)"
        m.append(("pid", .integer(command.pid)))
        m.append(("namespaces", .fields(NamespaceKind.allCases.compactMap { k in
            ProcFS.namespace(k.rawValue, of: pid).flatMap(ProcFS.inode).map { (k.rawValue, JSON.integer($0)) }
        })))
        m.append(("uidMap", .strings(lines("/proc/\(pid)/uid_map"))))
        m.append(("gidMap", .strings(lines("/proc/\(pid)/gid_map"))))
        m.append(("mounts", .array(ProcFS.mounts(pid).map { mt in
            .fields([("target", .string(mt.mountPoint)), ("type", .string(mt.fsType)), ("source", .string(mt.source))])
        })))
        m.append(("limits", limits(record)))
        m.append(("addresses", .strings(addresses(pid))))
        return .fields(m)
    }

    static func lines(_ path: String) -> [String] {
        ((try? FileIO.read(path)) ?? "").split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
    }

    /// The cgroup's limits as the kernel holds them (v1 and v2 names), and pids.current.
    static func limits(_ record: ContainerRecord) -> JSON {
        let files = ["memory.limit_in_bytes", "memory.max", "memory.memsw.limit_in_bytes", "memory.swap.max", "pids.max",
                     "pids.current", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.max", "cpu.shares", "cpu.weight", "cpuset.cpus"]
        var out: [(String, JSON)] = []
        for dir in Set(record.cgroupPaths.values).sorted() {
            for f in files {
                if let v = try? FileIO.read(dir + "/" + f), !out.contains(where: { $0.0 == f }) {
                    out.append((f, .string(String(v.split(separator: "\n").first ?? ""))))
                }
            }
        }
        return .fields(out)
    }

    /// The addresses of the container's network namespace: the LOCAL entries of its fib_trie
    /// (IPv4), and if_inet6 (IPv6), both read through /proc/PID/net, which shows PID's netns.
    static func addresses(_ pid: String) -> [String] {
        var out: [String] = []
        let trie = ((try? FileIO.read("/proc/\(pid)/net/fib_trie", limit: 4 << 20)) ?? "").split(separator: "\n")
        for (i, line) in trie.enumerated() where line.contains("/32 host LOCAL") && i > 0 {
            if let a = trie[i - 1].split(separator: " ").last, !out.contains(String(a)) { out.append(String(a)) }
        }
        for line in ((try? FileIO.read("/proc/\(pid)/net/if_inet6")) ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 6, f[0].count == 32 else { continue }
            var groups: [String] = []
            var i = f[0].startIndex
            while i < f[0].endIndex {
                let j = f[0].index(i, offsetBy: 4)
                groups.append(String(f[0][i..<j]))
                i = j
            }
            out.append(groups.joined(separator: ":") + "/\(Int(f[2], radix: 16) ?? 0) (\(f[5]))")
        }
        return out
    }
}
