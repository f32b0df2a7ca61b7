#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// One line of /proc/PID/uid_map or gid_map: `container host size`.
public struct IDMapping: Equatable, Sendable, CustomStringConvertible {
    public var container: UInt32
    public var host: UInt32
    public var size: UInt32

    public init(container: UInt32, host: UInt32, size: UInt32) {
        self.container = container
        self.host = host
        self.size = size
    }

    /// Parses `CONTAINER:HOST:SIZE`, as `--uid-map` and `--gid-map` take it, with the kernel's
    /// rules for one line: SIZE > 0, and neither range may reach (uid_t)-1, which no map can
    /// hold (the kernel answers a bare EINVAL when `start + size` wraps past 2^32-1).
    public init(parsing text: String, option: String = "--uid-map") throws(RuntimeError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let c = UInt32(parts[0]), let h = UInt32(parts[1]), let s = UInt32(parts[2]) else {
            throw RuntimeError(.usage, "\(option) \(text): expected CONTAINER:HOST:SIZE, three numbers from 0 to 4294967295")
        }
        guard s > 0 else { throw RuntimeError(.usage, "\(option) \(text): SIZE must be at least 1") }
        let last = UInt64(UInt32.max) - 1
        for (name, start) in [("container", c), ("host", h)] where UInt64(start) + UInt64(s) - 1 > last {
            throw RuntimeError(.usage, "\(option) \(text): \(name) ids \(start)+\(s) run past \(last), the highest id a map can hold")
        }
        self.init(container: c, host: h, size: s)
    }

    public var description: String { "\(container) \(host) \(size)" }
}

public struct IDMap: Equatable, Sendable {
    public var uids: [IDMapping]
    public var gids: [IDMapping]

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
                if a.host == 0 {
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

/// Where container ids land on the host when silo runs as root: root's /etc/subuid range if it
/// has one, else the space above SUB_UID_MAX of /etc/login.defs that useradd never hands out.
/// Each running container takes one 65536-id slot, held by a flock on a file (IDRangeLock) that the
/// kernel releases when silo exits: no state file can go stale.
public struct HostIDRange: Equatable, Sendable {
    public var start: UInt32
    public var count: UInt32
    public static let slotSize: UInt32 = 65536

    public init(start: UInt32, count: UInt32) {
        self.start = start
        self.count = count
    }

    /// Root's line in an /etc/subuid-style file, if any.
    public static func fromSubordinateFile(_ text: String, user: String = "root", uid: UInt32 = 0) -> HostIDRange? {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":")
            guard f.count == 3, f[0] == Substring(user) || f[0] == Substring(String(uid)),
                  let s = UInt32(f[1]), let c = UInt32(f[2]), c > 0, s > 0, s < UInt32.max - 1 else { continue }
            // Cut at (uid_t)-1: a range written past it would make slot arithmetic overflow.
            return HostIDRange(start: s, count: min(c, UInt32.max - 1 - s))
        }
        return nil
    }

    /// The first slot-aligned id above SUB_UID_MAX (default 600100000), up to the top of uid_t.
    public static func aboveLoginDefs(_ text: String, key: String = "SUB_UID_MAX") -> HostIDRange {
        var maxID: UInt64 = 600_100_000
        // Bytes, not Characters: login.defs is ~12 KB of mostly comments, and splitting it as a
        // String (grapheme by grapheme) cost ~1.3 ms of every `silo run` (docs/performance.md).
        // A plain index loop: no arrays of slices, whose generic metadata alone costs tens of µs.
        let keyBytes = Array(key.utf8)
        var text = text
        text.withUTF8 { b in
            func blank(_ i: Int) -> Bool { i < b.count && (b[i] == 0x20 || b[i] == 0x09) }
            var i = 0
            while i < b.count {
                var j = i
                while blank(j) { j += 1 }
                var k = 0
                while k < keyBytes.count && j + k < b.count && b[j + k] == keyBytes[k] { k += 1 }
                if k == keyBytes.count && blank(j + k) {
                    j += k
                    while blank(j) { j += 1 }
                    var v: UInt64 = 0
                    var digits = 0
                    while j < b.count, b[j] >= 0x30, b[j] <= 0x39, digits < 19 {
                        v = v * 10 + UInt64(b[j] - 0x30)
                        digits += 1
                        j += 1
                    }
                    // The whole field must be a number, as UInt64(field) required.
                    if digits > 0 && (j == b.count || b[j] == 0x0a || blank(j)) { maxID = v }
                }
                // memchr to the line's end: a byte loop over the comments cost 25–30 µs a start.
                guard let base = b.baseAddress, let end = memchr(base + i, 0x0a, b.count - i) else { break }
                i = UnsafeRawPointer(end) - UnsafeRawPointer(base) + 1
            }
        }
        let slot = UInt64(slotSize)
        let end = UInt64(UInt32.max) - 1  // (uid_t)-1 is never valid
        var start = (maxID / slot + 1) * slot
        // A maximum that leaves no whole slot below (uid_t)-1 is not a uid: ignored, as a field
        // that is not a number is.
        if start + slot > end { start = (600_100_000 / slot + 1) * slot }
        return HostIDRange(start: UInt32(start), count: UInt32(min(end - start, slot * 4096)))
    }

    public var slots: Int { max(1, Int(count / HostIDRange.slotSize)) }

    public func mapping(slot: Int) -> IDMapping {
        let size = min(count, HostIDRange.slotSize)
        return IDMapping(container: 0, host: start + UInt32(slot) * HostIDRange.slotSize, size: size)
    }
}
