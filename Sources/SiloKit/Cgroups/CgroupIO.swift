/// Block I/O counters, read for `silo stats`. v2 keeps one line per device in io.stat; v1's
/// blkio keeps them in the throttle files, which count every bio whatever the scheduler (the
/// `io_service_bytes` ones stay empty unless the device uses CFQ/BFQ, as docker found).
enum CgroupIO {
    /// io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device.
    static func parseV2(_ text: String) -> (read: UInt64, written: UInt64) {
        var r: UInt64 = 0, w: UInt64 = 0
        for line in text.split(separator: "\n") {
            for f in line.split(separator: " ").dropFirst() {
                let kv = f.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, let v = UInt64(kv[1]) else { continue }
                if kv[0] == "rbytes" { r &+= v } else if kv[0] == "wbytes" { w &+= v }
            }
        }
        return (r, w)
    }

    /// blkio.throttle.io_service_bytes(_recursive): "MAJ:MIN Read N" ... per device, then
    /// "Total N". The per-device Read and Write lines are summed.
    static func parseV1(_ text: String) -> (read: UInt64, written: UInt64) {
        var r: UInt64 = 0, w: UInt64 = 0
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, let v = UInt64(f[2]) else { continue }
            if f[1] == "Read" { r &+= v } else if f[1] == "Write" { w &+= v }
        }
        return (r, w)
    }
}

extension Cgroup {
    /// `stats()` plus what only a display needs (`silo stats`): the reclaimable page cache and
    /// the I/O counters. Kept apart so that the end of every `silo run` reads no more files
    /// than its report needs.
    public func usage() -> CgroupStats {
        var s = stats()
        if layout.kind == .v2 {
            guard let d = places.first?.directory else { return s }
            s.memoryInactiveFile = field(d + "/memory.stat", "inactive_file")
            if let t = try? fs.read(d + "/io.stat") { set(&s, CgroupIO.parseV2(t)) }
            return s
        }
        if let d = place("memory")?.directory { s.memoryInactiveFile = field(d + "/memory.stat", "total_inactive_file") }
        // silo's v1 containers join blkio only when an I/O option asks for it: else no counters.
        guard let d = place("blkio")?.directory else { return s }
        for file in ["blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes"] {
            guard let t = try? fs.read(d + "/" + file) else { continue }
            set(&s, CgroupIO.parseV1(t))
            break
        }
        return s
    }

    private func set(_ s: inout CgroupStats, _ io: (read: UInt64, written: UInt64)) {
        s.ioReadBytes = io.read
        s.ioWriteBytes = io.written
    }
}
