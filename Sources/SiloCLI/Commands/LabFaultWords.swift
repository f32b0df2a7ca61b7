import SiloKit
import SiloSys

/// The words of `silo lab fault LAB A B delay 50ms loss 10%` (netem) and `... rate 1mbit [burst 32kb]
/// [latency 50ms]` (tbf), in tc's spelling.
enum LabFaultWords {
    static func tbf(_ words: [String], _ use: String) throws(RuntimeError) -> TbfSettings {
        var rate: UInt64?, burst: UInt32?, latency: UInt64 = 50_000_000
        var i = 0
        while i < words.count {
            guard i + 1 < words.count else { throw RuntimeError(.usage, "lab fault: `\(words[i])` needs a value (\(use))") }
            let v = words[i + 1]
            switch words[i] {
            case "rate": rate = try bitsPerSecond(v) / 8
            case "burst":
                let b = try bytes(v)
                guard b >= 1, b <= UInt64(UInt32.max) else { throw RuntimeError(.usage, "lab fault: burst `\(v)`: out of range") }
                burst = UInt32(b)
            case "latency": latency = try duration(v)
            default: throw RuntimeError(.usage, "lab fault: `\(words[i])` does not go with rate (\(use))")
            }
            i += 2
        }
        guard let rate, rate > 0 else { throw RuntimeError(.usage, "lab fault: rate needs a value like 1mbit (\(use))") }
        return TbfSettings(bytesPerSecond: rate, burstBytes: burst, latencyNanoseconds: latency)
    }

    /// tc's rates: `bit`, `kbit`, `mbit`, `gbit` (powers of 1000), `bps`, `kbps`, `mbps` (bytes).
    static func bitsPerSecond(_ text: String) throws(RuntimeError) -> UInt64 {
        let units: [(String, Double)] = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1),
                                         ("mbps", 8e6), ("kbps", 8e3), ("bps", 8)]
        for (suffix, scale) in units where text.lowercased().hasSuffix(suffix) {
            if let n = Double(text.dropLast(suffix.count)), n > 0, n * scale <= 1e12 { return UInt64(n * scale) }
        }
        throw RuntimeError(.usage, "lab fault: rate `\(text)`: expected a rate like 1mbit, 500kbit or 10mbps")
    }

    /// `32kb`, `1mb`, `1500b` or a plain byte count (tc's k/m are 1024-based for sizes).
    static func bytes(_ text: String) throws(RuntimeError) -> UInt64 {
        let t = text.lowercased()
        for (suffix, scale) in [("kb", 1024.0), ("mb", 1048576.0), ("k", 1024.0), ("m", 1048576.0), ("b", 1.0)] where t.hasSuffix(suffix) {
            if let n = Double(t.dropLast(suffix.count)), n >= 0 { return UInt64(n * scale) }
        }
        if let n = UInt64(t) { return n }
        throw RuntimeError(.usage, "lab fault: size `\(text)`: expected bytes like 32kb or 1500")
    }

    /// `delay 50ms jitter 10ms loss 10% duplicate 1%`, any of them, in any order.
    static func netem(_ words: [String], _ use: String) throws(RuntimeError) -> NetemSettings {
        var s = NetemSettings()
        var i = 0
        while i < words.count {
            guard i + 1 < words.count else { throw RuntimeError(.usage, "lab fault: `\(words[i])` needs a value (\(use))") }
            let v = words[i + 1]
            switch words[i] {
            case "delay": s.delayNanoseconds = try duration(v)
            case "jitter": s.jitterNanoseconds = try duration(v)
            case "loss": s.lossPercent = try percent(v)
            case "duplicate": s.duplicatePercent = try percent(v)
            case "reorder": s.reorderPercent = try percent(v)
            default: throw RuntimeError(.usage, "lab fault: unknown fault `\(words[i])` (\(use))")
            }
            i += 2
        }
        if s.reorderPercent > 0 && s.delayNanoseconds == 0 {
            throw RuntimeError(.usage, "lab fault: reorder needs a delay (packets sent at once overtake delayed ones)")
        }
        return s
    }

    /// `50ms`, `200us`, `1s`.
    static func duration(_ text: String) throws(RuntimeError) -> UInt64 {
        for (suffix, scale) in [("ms", 1_000_000.0), ("us", 1_000.0), ("s", 1_000_000_000.0)] where text.hasSuffix(suffix) {
            if let n = Double(text.dropLast(suffix.count)), n >= 0, n <= 3600 { return UInt64(n * scale) }
        }
        throw RuntimeError(.usage, "lab fault: `\(text)`: expected a duration like 50ms, 200us or 1s")
    }

    /// `10%` (or `10`), 0 to 100.
    static func percent(_ text: String) throws(RuntimeError) -> Double {
        let t = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let p = Double(t), p >= 0, p <= 100 else { throw RuntimeError(.usage, "lab fault: `\(text)`: expected a percentage from 0 to 100") }
        return p
    }
}
