#if canImport(Glibc)
import Glibc
#endif
import SiloSys

public struct IDMap: Equatable, Sendable {
    public var uids: [IDMapping]
    public var gids: [IDMapping]
    /// Who writes the maps: silo itself, or the setuid helpers for a rootless range.
    public var writer: Writer = .direct

    public enum Writer: Equatable, Sendable {
        /// As host root: any ids.
        case direct
        /// Rootless, the caller's own ids alone: the kernel takes a gid map from an unprivileged
        /// writer only after /proc/PID/setgroups says `deny` (CVE-2014-8989: a process must not
        /// drop a group that denies it access).
        case denyingSetgroups
        /// Rootless with /etc/subuid and /etc/subgid ranges: newuidmap and newgidmap (Debian's
        /// uidmap package, setuid root) check the ranges and write the maps.
        case helpers
    }

    public init(uids: [IDMapping], gids: [IDMapping]) {
        self.uids = uids
        self.gids = gids
    }

    /// The text the kernel takes in one write(2).
    public static func render(_ m: [IDMapping]) -> String {
        // A loop, not map+joined: this runs between clone and the child's ack, and the generic
        // joined() paid metadata and conformance lookups there (docs/performance.md).
        var text = ""
        for e in m { text += "\(e.container) \(e.host) \(e.size)\n" }
        return text
    }

    /// Which host id a container id lands on, or nil when it is unmapped.
    public static func host(for id: UInt32, in m: [IDMapping]) -> UInt32? {
        for e in m where id >= e.container && UInt64(id) < UInt64(e.container) + UInt64(e.size) {
            return e.host &+ (id &- e.container)  // wrapping: an unvalidated map must not trap
        }
        return nil
    }

    /// The map as the user wrote it, for messages: `0:600113152:65536,...`.
    public static func summary(_ m: [IDMapping]) -> String {
        var text = ""
        for e in m { text += (text.isEmpty ? "" : ",") + "\(e.container):\(e.host):\(e.size)" }
        return text
    }

    /// The kernel's rules for a whole map, checked here so that a bad one is named in the
    /// user's terms instead of "write /proc/N/uid_map: Invalid argument"; and silo's own:
    /// container root must be mapped (the child becomes it first), host root must not be.
    public func validate() throws(RuntimeError) {
        for (option, m) in [("--uid-map", uids), ("--gid-map", gids)] {
            if m.isEmpty { throw RuntimeError(.usage, "\(option): empty map") }
            // The kernel's limits: UID_GID_MAP_MAX_EXTENTS lines, in one write of less than a page.
            if m.count > 340 { throw RuntimeError(.usage, "\(option): \(m.count) lines, the kernel takes at most 340") }
            // A line is at most 33 bytes: up to 124 lines cannot reach a page, so the usual
            // one-line map is not rendered here on every start.
            if m.count > 124 && IDMap.render(m).utf8.count >= 4096 {
                throw RuntimeError(.usage, "\(option): the map's text is longer than the kernel's 4095 bytes")
            }
            for (i, a) in m.enumerated() {
                if a.size == 0 { throw RuntimeError(.usage, "\(option) \(a.container):\(a.host):\(a.size): SIZE must be at least 1") }
                let (aC, aH, aEnd) = (UInt64(a.container), UInt64(a.host), UInt64(a.size))
                if aC + aEnd > UInt64(UInt32.max) || aH + aEnd > UInt64(UInt32.max) {
                    throw RuntimeError(.usage, "\(option) \(a.container):\(a.host):\(a.size): runs past 4294967294, the highest id a map can hold")
                }
                if a.host == 0 && writer == .direct {
                    throw RuntimeError(.usage, "\(option) \(a.container):\(a.host):\(a.size): container ids must not map to host root")
                }
                for b in m[(i + 1)...] {
                    // In 64 bits: a range may end at 2^32-1, one past which UInt32 traps.
                    let (bC, bH, bEnd) = (UInt64(b.container), UInt64(b.host), UInt64(b.size))
                    let side: String? = aC < bC + bEnd && bC < aC + aEnd ? "container" : aH < bH + bEnd && bH < aH + aEnd ? "host" : nil
                    if let side {
                        throw RuntimeError(.usage, "\(option): \(a.container):\(a.host):\(a.size) and \(b.container):\(b.host):\(b.size) overlap in \(side) ids")
                    }
                }
            }
            if IDMap.host(for: 0, in: m) == nil {
                throw RuntimeError(.usage, "\(option) \(IDMap.summary(m)): container id 0 must be mapped (the container starts as its root)")
            }
        }
    }
}

extension IDMap {
    /// Writes the maps of the child's new user namespace (/proc/PID/uid_map and gid_map): the
    /// parent's half of the handshake, after clone and before the child is let go.
    func write(toChild pid: pid_t) throws(SyscallError) {
        switch writer {
        case .direct: break
        case .denyingSetgroups: try FileIO.write("/proc/\(pid)/setgroups", "deny")
        case .helpers: return try writeWithHelpers(toChild: pid)
        }
        try FileIO.write("/proc/\(pid)/uid_map", IDMap.render(uids))
        try FileIO.write("/proc/\(pid)/gid_map", IDMap.render(gids))
    }
}

extension IDMap {
    /// newuidmap PID 0 UID 1 1 START 65535 and newgidmap alike, side by side: two short
    /// processes, only on the path of a rootless user with a range (the single-id path writes
    /// its maps itself).
    func writeWithHelpers(toChild pid: pid_t) throws(SyscallError) {
        var commands: [[String]] = []
        for (tool, m) in [("newuidmap", uids), ("newgidmap", gids)] {
            var argv = [IDMap.helperPath(tool), "\(pid)"]
            for e in m { argv += ["\(e.container)", "\(e.host)", "\(e.size)"] }
            commands.append(argv)
        }
        let results = try Spawn.runConcurrently(commands)
        for (argv, r) in zip(commands, results) where r.status != 0 {
            // The helper's own reason, e.g. "newuidmap: uid range [1-65536) -> [...) not allowed".
            let text = String(decoding: r.stderr, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "exit status \(r.status)"
            throw SyscallError(argv[0], errno: Errno.notPermitted, object: text)
        }
    }

    /// /usr/bin first: never a helper found earlier on the caller's PATH.
    static func helperPath(_ tool: String) -> String {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] where FileIO.exists(dir + "/" + tool) { return dir + "/" + tool }
        return "/usr/bin/" + tool
    }
}
