import SiloSpec
import Testing

@testable import SiloKit

@Suite struct CgroupLimitsTests {
    func limits(_ options: [(String, String)], fs: FakeCgroupTree = FakeCgroupTree()) throws -> CgroupLimits {
        var l = CgroupLimits()
        for (k, v) in options { try l.set(k, v, fs: fs) }
        try l.validate()
        return l
    }

    func message(_ options: [(String, String)]) -> String? {
        do { _ = try limits(options); return nil } catch { return (error as? CgroupError)?.message }
    }

    @Test func sizes() throws {
        #expect(try CgroupLimits.bytes("64m", option: "memory") == 64 << 20)
        #expect(try CgroupLimits.bytes("1g", option: "memory") == 1 << 30)
        #expect(try CgroupLimits.bytes("1G", option: "memory") == 1 << 30)
        #expect(try CgroupLimits.bytes("512k", option: "memory") == 512 << 10)
        #expect(try CgroupLimits.bytes("512kb", option: "memory") == 512 << 10)
        #expect(try CgroupLimits.bytes("1GiB", option: "memory") == 1 << 30)
        #expect(try CgroupLimits.bytes("1.5g", option: "memory") == 3 << 29)
        #expect(try CgroupLimits.bytes("100", option: "memory") == 100)
        #expect(try CgroupLimits.bytes("100b", option: "memory") == 100)
        #expect(message([("memory", "12x")]) == "--memory 12x: invalid size (a number with b, k, m or g, e.g. 64m)")
        #expect(message([("memory", "")]) == "--memory : invalid size (a number with b, k, m or g, e.g. 64m)")
        #expect(message([("memory", "-5m")]) == "--memory -5m: invalid size (a number with b, k, m or g, e.g. 64m)")
        #expect(message([("memory", "1m")]) == "--memory 1m: below the minimum of 6m")
        #expect(message([("memory-reservation", "m")]) == "--memory-reservation m: invalid size (a number with b, k, m or g, e.g. 64m)")
    }

    @Test func dockerOptions() throws {
        let fs = FakeCgroupTree()
        fs.devices["/dev/sda"] = (8, 0)
        let l = try limits([("memory", "64m"), ("memory-swap", "128m"), ("memory-reservation", "32m"), ("pids-limit", "100"),
                            ("cpus", "0.5"), ("cpu-shares", "512"), ("cpuset-cpus", "0-1"), ("cpuset-mems", "0"), ("blkio-weight", "300"),
                            ("device-read-bps", "/dev/sda:1mb"), ("device-write-bps", "/dev/sda:2m"), ("oom-score-adj", "-500")], fs: fs)
        #expect(l.memory == 64 << 20 && l.memorySwap == 128 << 20 && l.memoryReservation == 32 << 20)
        #expect(l.pidsLimit == 100 && !l.pidsLimitIsDefault)
        #expect(l.cpuQuota == 50_000 && l.cpuPeriod == 100_000 && l.cpuShares == 512)
        #expect(l.cpusetCpus == "0-1" && l.cpusetMems == "0" && l.blkioWeight == 300)
        #expect(l.deviceReadBps == [.init(major: 8, minor: 0, bytesPerSecond: 1 << 20)])
        #expect(l.deviceWriteBps == [.init(major: 8, minor: 0, bytesPerSecond: 2 << 20)])
        #expect(l.oomScoreAdj == -500)
        #expect(try limits([("pids-limit", "0")]).pidsLimit == -1)
        #expect(try limits([("pids-limit", "-1")]).pidsLimit == -1)
        #expect(try limits([("memory", "64m"), ("memory-swap", "-1")]).memorySwap == -1)
    }

    @Test func badValuesNameTheOption() {
        #expect(message([("pids-limit", "many")]) == "--pids-limit many: not a number of processes (0 or -1 is unlimited)")
        #expect(message([("cpus", "0")]) == "--cpus 0: not a positive number of CPUs, e.g. 0.5")
        #expect(message([("cpus", "0.001")]) == "--cpus 0.001: below the minimum of 0.01 CPUs")
        #expect(message([("cpu-shares", "1")]) == "--cpu-shares 1: not a number in 2...262144")
        #expect(message([("cpu-weight", "10001")]) == "--cpu-weight 10001: not a number in 1...10000")
        #expect(message([("cpuset-cpus", "3-1")]) == "--cpuset-cpus 3-1: not a list such as 0-3,5")
        #expect(message([("cpuset-cpus", "0,,1")]) == "--cpuset-cpus 0,,1: not a list such as 0-3,5")
        #expect(message([("blkio-weight", "5")]) == "--blkio-weight 5: not a number in 10...1000 (0 leaves it unset)")
        #expect(message([("device-read-bps", "/dev/sda")]) == "--device-read-bps /dev/sda: expected DEVICE:RATE, e.g. /dev/sda:1mb")
        #expect(message([("device-read-bps", "/dev/nope:1m")]) == "--device-read-bps /dev/nope:1m: /dev/nope: No such file or directory")
        #expect(message([("oom-score-adj", "2000")]) == "--oom-score-adj 2000: not a number in -1000...1000")
        #expect(message([("memory-swap", "64m")]) == "--memory-swap 67108864: needs --memory as well (it is memory plus swap)")
        #expect(message([("memory", "64m"), ("memory-swap", "32m")]) == "--memory-swap 33554432: smaller than --memory 67108864 (it is memory plus swap)")
        #expect(message([("memory", "64m"), ("memory-reservation", "128m")]) == "--memory-reservation 134217728: above --memory 67108864")
        #expect(message([("cpu-shares", "512"), ("cpu-weight", "5")]) == "--cpu-shares and --cpu-weight: give one of them")
        #expect(message([("memory-limit", "5")]) == "--memory-limit: not a resource option")
    }

    @Test func sharesAndWeightAsRunc() {
        #expect(CgroupLimits.weight(fromShares: 2) == 1)
        #expect(CgroupLimits.weight(fromShares: 1024) == 39)
        #expect(CgroupLimits.weight(fromShares: 262_144) == 10_000)
        #expect(CgroupLimits.shares(fromWeight: 1) == 2)
        #expect(CgroupLimits.shares(fromWeight: 100) == 2597)
        #expect(CgroupLimits.shares(fromWeight: 10_000) == 262_144)
        #expect(CgroupLimits.ioWeight(fromBlkio: 10) == 1 && CgroupLimits.ioWeight(fromBlkio: 1000) == 10_000)
    }

    @Test func v1Files() throws {
        let fs = FakeCgroupTree()
        fs.devices["/dev/sda"] = (8, 0)
        let l = try limits([("memory", "64m"), ("pids-limit", "0"), ("cpus", "1.5"), ("cpu-weight", "100"), ("device-read-bps", "/dev/sda:1k")], fs: fs)
        let w = try l.v1Writes(swapAccounting: true).map { "\($0.controller) \($0.file)=\($0.value)" }
        #expect(w == ["memory memory.limit_in_bytes=67108864", "memory memory.memsw.limit_in_bytes=134217728", "pids pids.max=max",
                      "cpu cpu.cfs_period_us=100000", "cpu cpu.cfs_quota_us=150000", "cpu cpu.shares=2597",
                      "blkio blkio.throttle.read_bps_device=8:0 1024"])
        // Without swap accounting the default memsw goes, an explicit swap limit is refused.
        #expect(try l.v1Writes(swapAccounting: false).count == 6)
        var swap = l
        swap.memorySwap = 128 << 20
        #expect(throws: CgroupError("--memory-swap 134217728: this host's kernel does not account swap (memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)")) {
            try swap.v1Writes(swapAccounting: false)
        }
        var uni = CgroupLimits()
        uni.unified = ["memory.high": "1m"]
        #expect(throws: CgroupError("linux.resources.unified memory.high: needs cgroup v2 for that controller, this host has v1")) { try uni.v1Writes(swapAccounting: true) }
    }

    @Test func v2Files() throws {
        let fs = FakeCgroupTree()
        fs.devices["/dev/sda"] = (8, 0)
        let l = try limits([("memory", "64m"), ("memory-swap", "96m"), ("pids-limit", "20"), ("cpus", "0.5"), ("cpu-shares", "1024"),
                            ("blkio-weight", "10"), ("device-read-bps", "/dev/sda:1k"), ("device-write-bps", "/dev/sda:2k")], fs: fs)
        let w = l.v2Writes().map { "\($0.controller) \($0.file)=\($0.value)" }
        #expect(w == ["memory memory.max=67108864", "memory memory.swap.max=33554432", "pids pids.max=20", "cpu cpu.max=50000 100000",
                      "cpu cpu.weight=39", "io io.weight=default 1", "io io.max=8:0 rbps=1024 wbps=2048"])
    }

    @Test func ociResources() throws {
        var r = OCISpec.Resources()
        var m = OCISpec.Memory()
        m.limit = 1 << 26
        m.swap = -1
        r.memory = m
        var c = OCISpec.CPU()
        c.shares = 1024
        c.quota = 20_000
        c.period = 50_000
        c.cpus = "0"
        r.cpu = c
        r.pids = .init(limit: -1)
        r.unified = ["memory.high": "50000000"]
        let l = try CgroupLimits(oci: r)
        #expect(l.memory == 1 << 26 && l.memorySwap == -1 && l.pidsLimit == -1)
        #expect(l.cpuShares == 1024 && l.cpuQuota == 20_000 && l.cpuPeriod == 50_000 && l.cpusetCpus == "0")
        #expect(l.v2Writes().last == CgroupWrite("memory", "memory.high", "50000000"))
        r.hugepageLimits = [.init(pageSize: "2MB", limit: 1)]
        #expect(throws: CgroupError("linux.resources.hugepageLimits: not supported by silo")) { try CgroupLimits(oci: r) }
        r.hugepageLimits = []
        r.unified = ["../x": "1"]
        #expect(throws: CgroupError("linux.resources.unified ../x: not a cgroup file name")) { try CgroupLimits(oci: r) }
    }

    @Test func defaults() {
        #expect(CgroupLimits().withDefaults().pidsLimit == CgroupLimits.defaultPidsLimit)
        #expect(CgroupLimits().withDefaults().pidsLimitIsDefault)
        var l = CgroupLimits()
        l.pidsLimit = -1
        #expect(l.withDefaults().pidsLimit == -1)
    }
}
