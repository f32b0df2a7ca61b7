import Testing
@testable import SiloSys

/// `tc qdisc replace dev D root tbf rate 1mbit burst 32kb latency 50ms` as silo sends it, and
/// netem's reorder.
@Suite struct TbfRequestTests {
    func u32(_ b: [UInt8], _ at: Int) -> UInt32 { b.loadLE(UInt32.self, at: at) }

    @Test func layout() {
        let s = TbfSettings(bytesPerSecond: 125_000, burstBytes: 32 << 10, latencyNanoseconds: 50_000_000)
        var m = NetlinkRequest.replaceTbf(index: 9, s)
        m.finish(seq: 1)
        let b = m.bytes
        #expect(b.loadLE(UInt16.self, at: 4) == 36)                          // RTM_NEWQDISC
        #expect(u32(b, 20) == 9 && u32(b, 28) == 0xFFFF_FFFF)               // ifindex, TC_H_ROOT
        // TCA_KIND "tbf\0" at 36: len 8.
        #expect(b.loadLE(UInt16.self, at: 36) == 8 && Array(b[40..<44]) == Array("tbf\0".utf8))
        // TCA_OPTIONS at 44: 4 + (4 + 36 PARMS) + (4 + 4 BURST).
        #expect(b.loadLE(UInt16.self, at: 44) == 52 && b.loadLE(UInt16.self, at: 46) == 2)
        #expect(b.loadLE(UInt16.self, at: 48) == 40 && b.loadLE(UInt16.self, at: 50) == 1)  // TCA_TBF_PARMS
        #expect(b[53] == 1)                                                   // rate.linklayer: Ethernet
        #expect(u32(b, 52 + 8) == 125_000)                                   // rate.rate, bytes/s
        #expect(u32(b, 52 + 24) == 6250 + 32768)                             // limit: rate x latency + burst
        #expect(b.loadLE(UInt16.self, at: 90) == 6 && u32(b, 92) == 32768)  // TCA_TBF_BURST
        #expect(b.count == 96)
        // No burst given: 20 ms of traffic, at least 16 KiB.
        #expect(TbfSettings(bytesPerSecond: 125_000).burstBytes == 16384)
        #expect(TbfSettings(bytesPerSecond: 12_500_000).burstBytes == 250_000)
    }

    @Test func rate64AboveFourGigabytes() {
        var m = NetlinkRequest.replaceTbf(index: 1, TbfSettings(bytesPerSecond: 5_000_000_000))
        m.finish(seq: 1)
        let b = m.bytes
        #expect(u32(b, 52 + 8) == UInt32.max)
        #expect(b.loadLE(UInt16.self, at: 96 + 2) == 4 && b.loadLE(UInt64.self, at: 100) == 5_000_000_000)  // TCA_TBF_RATE64
    }

    @Test func netemReorderSetsGapAndTheReorderAttribute() {
        var s = NetemSettings()
        s.delayNanoseconds = 10_000_000
        s.reorderPercent = 25
        var m = NetlinkRequest.replaceNetem(index: 7, s)
        m.finish(seq: 1)
        let b = m.bytes
        #expect(b.loadLE(UInt16.self, at: 48) == 64)                         // 52 + 12 for REORDER
        #expect(u32(b, 52 + 12) == 1)                                        // gap
        #expect(b.loadLE(UInt16.self, at: 102) == 3 && u32(b, 104) == UInt32(0.25 * Double(UInt32.max)) && u32(b, 108) == 0)
    }
}
