#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// When each chunk of a container's log arrived, for `silo logs -t` (docker's --timestamps):
/// container.log.times beside container.log (and .1.times beside .1), one text line per chunk
/// the monitor appended, written before the chunk: `OFFSET NANOSECONDS\n`, the chunk's byte
/// offset in its log file and the wall-clock time (CLOCK_REALTIME, ns since the epoch) of the
/// read that brought it. A line's time is that of the chunk holding its first byte, as docker
/// stamps each message when it reads it. The log itself stays the bytes as written (`cat` and
/// old silo read it as before), and a log without times (an older monitor's) is printed without
/// stamps. A torn last entry (the monitor killed mid-write) is skipped.
public enum ContainerLogTimes {
    public static func path(of log: String) -> String { log + ".times" }

    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func entry(offset: Int, nanos: Int64) -> [UInt8] { Array("\(offset) \(nanos)\n".utf8) }

    /// The entries of `log`'s times file, in file order (offsets ascending); [] when there is none.
    public static func load(_ log: String) -> [(offset: Int, nanos: Int64)] {
        guard var bytes = try? RegularFile.read(path(of: log), limit: 64 << 20) else { return [] }
        // Only whole lines: a torn last entry may still parse as a (wrong) number.
        while let last = bytes.last, last != 0x0A { bytes.removeLast() }
        var out: [(offset: Int, nanos: Int64)] = []
        for line in bytes.split(separator: 0x0A) {
            let f = line.split(separator: 0x20)
            guard f.count == 2, let o = Int(String(decoding: f[0], as: UTF8.self)),
                  let t = Int64(String(decoding: f[1], as: UTF8.self)) else { continue }
            out.append((o, t))
        }
        return out
    }

    /// RFC 3339 in UTC with all nine digits of nanoseconds, so that stamped lines align (what
    /// docker logs -t prints: its RFC3339NanoFixed).
    public static func format(_ nanos: Int64) -> String {
        let seconds = ContainerRecord.timestamp(timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: 0))
        let digits = String(nanos % 1_000_000_000)
        return seconds.dropLast() + "." + String(repeating: "0", count: 9 - digits.count) + digits + "Z"
    }

    /// Puts `TIME ` before each line that starts in the bytes it is given (a line split across
    /// calls is stamped once, where it starts); lines whose offset no entry covers get none.
    public struct Stamper {
        public var times: [(offset: Int, nanos: Int64)]
        var atLineStart = true

        public init(times: [(offset: Int, nanos: Int64)]) { self.times = times }

        /// `bytes` start at byte `offset` of the log file `times` describes.
        public mutating func stamp(_ bytes: ArraySlice<UInt8>, at offset: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 32)
            var position = offset
            for b in bytes {
                if atLineStart, let t = time(at: position) { out += Array((format(t) + " ").utf8) }
                out.append(b)
                atLineStart = b == 0x0A
                position += 1
            }
            return out
        }

        /// The last entry at or before `offset`.
        func time(at offset: Int) -> Int64? {
            var lo = 0, hi = times.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if times[mid].offset <= offset { lo = mid + 1 } else { hi = mid }
            }
            return lo == 0 ? nil : times[lo - 1].nanos
        }
    }
}
