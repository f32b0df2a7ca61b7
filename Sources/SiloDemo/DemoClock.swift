#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

enum DemoClock {
    static func monotonicMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// (CLOCK_MONOTONIC, CLOCK_BOOTTIME) in nanoseconds, as the calling process sees them.
    static func now() -> (monotonic: Int64, boottime: Int64) {
        var m = timespec(), b = timespec()
        clock_gettime(CLOCK_MONOTONIC, &m)
        clock_gettime(CLOCK_BOOTTIME, &b)
        return (Int64(m.tv_sec) * 1_000_000_000 + Int64(m.tv_nsec), Int64(b.tv_sec) * 1_000_000_000 + Int64(b.tv_nsec))
    }
}
