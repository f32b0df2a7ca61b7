import Foundation
import SiloSys

/// A cgroupfs imitation in a temporary directory: mkdir fills in the control files the kernel
/// would show, writes to missing files fail with ENOENT, rmdir refuses a cgroup with processes or
/// children (EBUSY) and otherwise takes its control files with it. Every write is logged.
final class FakeCgroupTree: CgroupFS, @unchecked Sendable {
    let base: String
    var magic: Int64 = CgroupMagic.tmpfs
    var devices: [String: (UInt32, UInt32)] = [:]
    /// path suffix → errno for the next writes to it (and for mkdir of a path ending so).
    var failures: [String: Int32] = [:]
    private(set) var writes: [(path: String, value: String)] = []
    private(set) var killed: [Int32] = []
    /// mount point → version and controllers, for the files mkdir creates.
    var mounts: [String: (version: Int, controllers: [String])] = [:]
    private let lock = NSLock()

    init() {
        base = NSTemporaryDirectory() + "silo-fakecg-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// Paths relative to the base, for assertions.
    func rel(_ p: String) -> String { p.hasPrefix(base) ? String(p.dropFirst(base.count)) : p }
    var relativeWrites: [String] { lock.withLock { writes.map { "\(rel($0.path))=\($0.value)" } } }

    func put(_ path: String, _ text: String) {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    func controlFiles(version: Int, controllers: [String]) -> [String: String] {
        var f: [String: String] = ["cgroup.procs": ""]
        if version == 1 { f["tasks"] = "" }
        for c in controllers {
            switch (version, c) {
            case (1, "memory"):
                for n in ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes"] { f[n] = "9223372036854771712\n" }
                f["memory.usage_in_bytes"] = "4096\n"
                f["memory.failcnt"] = "0\n"
                f["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"
                f["memory.swappiness"] = "60\n"
            case (1, "pids"): f["pids.max"] = "max\n"; f["pids.current"] = "0\n"; f["pids.events"] = "max 0\n"
            case (1, "cpu"): f["cpu.cfs_quota_us"] = "-1\n"; f["cpu.cfs_period_us"] = "100000\n"; f["cpu.shares"] = "1024\n"
            case (1, "cpuacct"): f["cpuacct.usage"] = "12345\n"
            case (1, "cpuset"): f["cpuset.cpus"] = "\n"; f["cpuset.mems"] = "\n"
            case (1, "devices"): f["devices.allow"] = ""; f["devices.deny"] = ""; f["devices.list"] = "a *:* rwm\n"
            case (1, "freezer"): f["freezer.state"] = "THAWED\n"
            case (1, "blkio"): f["blkio.weight"] = "500\n"; f["blkio.throttle.read_bps_device"] = ""; f["blkio.throttle.write_bps_device"] = ""
            case (1, "net_cls"): f["net_cls.classid"] = "0\n"
            case (1, "net_prio"): f["net_prio.ifpriomap"] = "lo 0\neth0 0\n"; f["net_prio.prioidx"] = "1\n"
            case (1, "hugetlb"), (2, "hugetlb"):
                for size in ["2MB", "1GB"] {
                    for kind in version == 1 ? ["limit_in_bytes", "rsvd.limit_in_bytes", "usage_in_bytes"] : ["max", "rsvd.max", "current"] {
                        f["hugetlb.\(size).\(kind)"] = kind.hasSuffix("max") ? "max\n" : (kind.contains("limit") ? "9223372036854771712\n" : "0\n")
                    }
                }
            case (2, "memory"):
                f["memory.max"] = "max\n"; f["memory.swap.max"] = "max\n"; f["memory.low"] = "0\n"; f["memory.current"] = "8192\n"
                f["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"
            case (2, "pids"): f["pids.max"] = "max\n"; f["pids.current"] = "0\n"; f["pids.events"] = "max 2\n"
            case (2, "cpu"): f["cpu.max"] = "max 100000\n"; f["cpu.weight"] = "100\n"
            case (2, "io"): f["io.max"] = ""; f["io.weight"] = "default 100\n"
            default: break
            }
        }
        if version == 2 {
            f["cgroup.controllers"] = controllers.joined(separator: " ") + "\n"
            f["cgroup.subtree_control"] = "\n"
            f["cgroup.freeze"] = "0\n"
            f["cgroup.events"] = "populated 0\nfrozen 0\n"
            f["cgroup.kill"] = ""
            f["cpu.stat"] = "usage_usec 7\n"
        }
        return f
    }

    func mount(_ point: String, version: Int, controllers: [String]) {
        mounts[point] = (version, controllers)
        for (n, v) in controlFiles(version: version, controllers: controllers) where !FileManager.default.fileExists(atPath: point + "/" + n) { put(point + "/" + n, v) }
    }

    func failure(_ path: String) -> Int32? { lock.withLock { failures.first { path.hasSuffix($0.key) }?.value } }

    func read(_ path: String) throws(SyscallError) -> String {
        guard let d = FileManager.default.contents(atPath: path) else { throw SyscallError("open", errno: ENOENT, object: path) }
        return String(decoding: d, as: UTF8.self)
    }

    func write(_ path: String, _ value: String) throws(SyscallError) {
        if let e = failure(path) { throw SyscallError("write", errno: e, object: path) }
        guard FileManager.default.fileExists(atPath: path) else { throw SyscallError("open", errno: ENOENT, object: path) }
        lock.withLock { writes.append((path, value)) }
        let name = (path as NSString).lastPathComponent, dir = (path as NSString).deletingLastPathComponent
        switch name {
        case "cgroup.procs":
            // v2: a process is in one cgroup of the hierarchy, and not in one whose children
            // have domain controllers (no internal processes; the root is exempt).
            if let (point, m) = mountOf(path), m.version == 2 {
                if dir != point, !words(dir + "/cgroup.subtree_control").isEmpty { throw SyscallError("write", errno: EBUSY, object: path) }
                removeFromProcs(value, under: point)
            }
            put(path, ((try? read(path)) ?? "") + value + "\n")
        case "cgroup.subtree_control":
            if let (point, _) = mountOf(path), dir != point, value.contains("+"), !words(dir + "/cgroup.procs").isEmpty {
                throw SyscallError("write", errno: EBUSY, object: path)
            }
            var on = Set(words(path))
            for w in value.split(separator: " ") {
                if w.hasPrefix("-") { on.remove(String(w.dropFirst())) } else { on.insert(String(w.dropFirst())) }
            }
            put(path, on.sorted().joined(separator: " ") + "\n")
        case "cgroup.freeze":
            put(path, value + "\n")
            put(dir + "/cgroup.events", "populated 1\nfrozen \(value)\n")
        case "cgroup.kill": put(dir + "/cgroup.procs", "")
        default: put(path, value + "\n")
        }
    }

    func words(_ path: String) -> [String] { ((try? read(path)) ?? "").split(whereSeparator: \.isWhitespace).map(String.init) }

    func mountOf(_ path: String) -> (String, (version: Int, controllers: [String]))? {
        mounts.filter { path.hasPrefix($0.key + "/") }.max { $0.key.count < $1.key.count }.map { ($0.key, $0.value) }
    }

    func removeFromProcs(_ pid: String, under point: String) {
        let e = FileManager.default.enumerator(atPath: point)
        while let p = e?.nextObject() as? String {
            guard p.hasSuffix("cgroup.procs") else { continue }
            let full = point + "/" + p
            let now = words(full)
            if now.contains(pid) { put(full, now.filter { $0 != pid }.map { $0 + "\n" }.joined()) }
        }
    }

    func mkdir(_ path: String) throws(SyscallError) {
        if let e = failure(path) { throw SyscallError("mkdir", errno: e, object: path) }
        if FileManager.default.fileExists(atPath: path) { throw SyscallError("mkdir", errno: EEXIST, object: path) }
        guard let (point, m) = mounts.first(where: { path.hasPrefix($0.key + "/") }) else { throw SyscallError("mkdir", errno: EPERM, object: path) }
        _ = point
        var controllers = m.controllers
        if m.version == 2 {
            let parent = (path as NSString).deletingLastPathComponent
            controllers = ((try? read(parent + "/cgroup.subtree_control")) ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) } catch { throw SyscallError("mkdir", errno: ENOENT, object: path) }
        for (n, v) in controlFiles(version: m.version, controllers: controllers) { put(path + "/" + n, v) }
    }

    func rmdir(_ path: String) throws(SyscallError) {
        guard isDirectory(path) else { throw SyscallError("rmdir", errno: ENOENT, object: path) }
        if !((try? read(path + "/cgroup.procs")) ?? "").isEmpty { throw SyscallError("rmdir", errno: EBUSY, object: path) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if names.contains(where: { isDirectory(path + "/" + $0) }) { throw SyscallError("rmdir", errno: EBUSY, object: path) }
        try? FileManager.default.removeItem(atPath: path)
    }

    func list(_ path: String) throws(SyscallError) -> [String] {
        guard let n = try? FileManager.default.contentsOfDirectory(atPath: path) else { throw SyscallError("opendir", errno: ENOENT, object: path) }
        return n
    }

    func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
    func filesystemType(_ path: String) throws(SyscallError) -> Int64 { magic }

    func deviceNumber(_ path: String) throws(SyscallError) -> (major: UInt32, minor: UInt32) {
        guard let d = devices[path] else { throw SyscallError("stat", errno: ENOENT, object: path) }
        return d
    }

    func kill(_ pid: Int32, signal: Int32) throws(SyscallError) {
        lock.withLock { killed.append(pid) }
        // The killed process leaves every cgroup.procs under the base.
        let e = FileManager.default.enumerator(atPath: base)
        while let p = e?.nextObject() as? String {
            guard p.hasSuffix("cgroup.procs") else { continue }
            let full = base + "/" + p
            let left = ((try? read(full)) ?? "").split(separator: "\n").filter { $0 != "\(pid)" }
            put(full, left.map { $0 + "\n" }.joined())
        }
    }

    func sleep(microseconds: UInt32) {}
}
