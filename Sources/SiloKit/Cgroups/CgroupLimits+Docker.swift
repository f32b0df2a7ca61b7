#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `silo run` options in docker's spelling and with docker's rules.
extension CgroupLimits {
    public static let optionNames = [
        "memory", "memory-swap", "memory-reservation", "pids-limit", "cpus", "cpu-shares", "cpu-weight",
        "cpuset-cpus", "cpuset-mems", "blkio-weight", "device-read-bps", "device-write-bps", "oom-score-adj",
    ]

    /// Sets one option (`name` without the dashes). `fs` resolves device nodes to major:minor.
    public mutating func set(_ name: String, _ value: String, fs: some CgroupFS = HostCgroupFS()) throws(CgroupError) {
        func bad(_ why: String) -> CgroupError { CgroupError("--\(name) \(value): \(why)") }
        switch name {
        case "memory":
            memory = try Self.bytes(value, option: name)
            // docker's floor: below this the container cannot even start its first process.
            if let m = memory, m < 6 << 20 { throw bad("below the minimum of 6m") }
        case "memory-swap":
            memorySwap = value == "-1" ? -1 : try Self.bytes(value, option: name)
        case "memory-reservation":
            memoryReservation = try Self.bytes(value, option: name)
        case "pids-limit":
            guard let n = Int64(value), n >= -1 else { throw bad("not a number of processes (0 or -1 is unlimited)") }
            pidsLimit = n <= 0 ? -1 : n
            pidsLimitIsDefault = false
        case "cpus":
            guard let cpus = Double(value), cpus.isFinite, cpus > 0, cpus <= 1024 else { throw bad("not a positive number of CPUs, e.g. 0.5") }
            let quota = Int64((cpus * Double(Self.cpuPeriod)).rounded())
            // The kernel's floor for cfs_quota_us is 1 ms.
            guard quota >= 1000 else { throw bad("below the minimum of 0.01 CPUs") }
            cpuQuota = quota
            cpuPeriod = Self.cpuPeriod
        case "cpu-shares":
            guard let n = UInt64(value), (2...262_144).contains(n) else { throw bad("not a number in 2...262144") }
            cpuShares = n
        case "cpu-weight":
            guard let n = UInt64(value), (1...10_000).contains(n) else { throw bad("not a number in 1...10000") }
            cpuWeight = n
        case "cpuset-cpus", "cpuset-mems":
            guard Self.isCPUList(value) else { throw bad("not a list such as 0-3,5") }
            if name == "cpuset-cpus" { cpusetCpus = value } else { cpusetMems = value }
        case "blkio-weight":
            guard let n = UInt16(value), n == 0 || (10...1000).contains(n) else { throw bad("not a number in 10...1000 (0 leaves it unset)") }
            blkioWeight = n == 0 ? nil : n
        case "device-read-bps", "device-write-bps":
            // "/dev/sda:1mb"
            guard let colon = value.lastIndex(of: ":") else { throw bad("expected DEVICE:RATE, e.g. /dev/sda:1mb") }
            let path = String(value[..<colon]), rateText = String(value[value.index(after: colon)...])
            let rate = try Self.bytes(rateText, option: name)
            let dev: (major: UInt32, minor: UInt32)
            do { dev = try fs.deviceNumber(path) } catch { throw bad("\(path): \(error.errno == ENOTBLK ? "not a device" : error.reason)") }
            let r = DeviceRate(major: dev.major, minor: dev.minor, bytesPerSecond: UInt64(rate))
            if name == "device-read-bps" { deviceReadBps.append(r) } else { deviceWriteBps.append(r) }
        case "oom-score-adj":
            guard let n = Int32(value), (-1000...1000).contains(n) else { throw bad("not a number in -1000...1000") }
            oomScoreAdj = n
        default:
            throw CgroupError("--\(name): not a resource option")
        }
    }

    /// The checks between options, after all are set (docker's order of complaints).
    public func validate() throws(CgroupError) {
        if let s = memorySwap, s != -1 {
            guard let m = memory else { throw CgroupError("--memory-swap \(s): needs --memory as well (it is memory plus swap)") }
            if s < m { throw CgroupError("--memory-swap \(s): smaller than --memory \(m) (it is memory plus swap)") }
        }
        if let r = memoryReservation, let m = memory, r > m {
            throw CgroupError("--memory-reservation \(r): above --memory \(m)")
        }
        if cpuShares != nil && cpuWeight != nil { throw CgroupError("--cpu-shares and --cpu-weight: give one of them") }
    }

    /// docker's RAMInBytes: a number (fractions allowed), then b, k, m, g, t or p, optionally with
    /// "i" and/or "b" ("64m", "1.5g", "512kb", "1GiB"); binary multiples.
    public static func bytes(_ text: String, option: String) throws(CgroupError) -> Int64 {
        let bad = CgroupError("--\(option) \(text): invalid size (a number with b, k, m or g, e.g. 64m)")
        var s = Substring(text.lowercased())
        if s.hasSuffix("b") { s = s.dropLast() }
        if s.hasSuffix("i") { s = s.dropLast() }
        var shift = 0
        if let u = s.last, let i = "bkmgtp".firstIndex(of: u) {
            shift = 10 * "bkmgtp".distance(from: "bkmgtp".startIndex, to: i)
            s = s.dropLast()
        }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let n = Double(s), n.isFinite else { throw bad }
        let v = n * Double(Int64(1) << shift)
        guard v >= 1, v < 9.2e18 else { throw CgroupError("--\(option) \(text): out of range") }
        return Int64(v)
    }

    /// "0-3,5,7-8": what cpuset.cpus and cpuset.mems accept.
    static func isCPUList(_ s: String) -> Bool {
        !s.isEmpty && s.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { part in
            let r = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(r.count), r.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return false }
            return r.count == 1 || (Int(r[0]) ?? 0) <= (Int(r[1]) ?? -1)
        }
    }
}
