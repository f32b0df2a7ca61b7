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
