#if canImport(Glibc)
import Glibc
#endif
import SiloSys

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
