#if canImport(Glibc)
import Glibc
#endif

/// `SILO_TRACE=1` prints one line per start-up stage on stderr, for benchmarks/report.py:
/// `silo-trace <CLOCK_MONOTONIC ns> <pid> <label>`. The clock is the one the harness reads
/// before it spawns silo, so lines from the parent and the container's child line up.
/// Off (the default), a mark is one load and a branch: no clock read, no string built.
public enum Trace {
    /// Read once, in the single-threaded CLI, before the first mark.
    public static let enabled: Bool = getenv("SILO_TRACE").map { $0.pointee != 0 && $0.pointee != 0x30 /* "0" */ } ?? false

    /// The end of a run of steps with one label, written when the label changes, so that
    /// many small steps cost one line (a write(2) each would skew the stage they time).
    nonisolated(unsafe) static var pending: (label: String, ns: UInt64)?

    @inline(__always)
    public static func mark(_ label: @autoclosure () -> String) {
        if enabled {
            flush()
            emit(label(), now())
        }
    }

    /// Like `mark`, but consecutive steps with the same label make one line.
    @inline(__always)
    public static func step(_ label: @autoclosure () -> String) {
        if enabled {
            let l = label()
            if let p = pending, p.label != l { flush() }
            pending = (l, now())
        }
    }

    static func flush() {
        if let p = pending {
            pending = nil
            emit(p.label, p.ns)
        }
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func emit(_ label: String, _ ns: UInt64) {
        var line = Array("silo-trace ".utf8)
        appendDecimal(&line, ns)
        line.append(0x20)
        appendDecimal(&line, UInt64(getpid()))
        line.append(0x20)
        line += label.utf8
        line.append(0x0a)
        line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func appendDecimal(_ out: inout [UInt8], _ value: UInt64) {
        var digits: [UInt8] = []
        var v = value
        repeat {
            digits.append(0x30 + UInt8(v % 10))
            v /= 10
        } while v > 0
        out += digits.reversed()
    }
}
