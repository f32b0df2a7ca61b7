import Testing
@testable import SiloSys

/// The netem request as `tc qdisc replace dev D root netem delay 50ms jitter 10ms loss 10% duplicate 1%`
/// lays it out: struct tcmsg, TCA_KIND, TCA_OPTIONS = tc_netem_qopt + LATENCY64 + JITTER64.
@Suite struct NetemRequestTests {
    func u32(_ b: [UInt8], _ at: Int) -> UInt32 { b.loadLE(UInt32.self, at: at) }

    @Test func layout() {
        var s = NetemSettings()
        s.delayNanoseconds = 50_000_000
        s.jitterNanoseconds = 10_000_000
        s.lossPercent = 10
        s.duplicatePercent = 1
        var m = NetlinkRequest.replaceNetem(index: 7, s)
        m.finish(seq: 1)
        let b = m.bytes
        #expect(b.loadLE(UInt16.self, at: 4) == 36)                          // RTM_NEWQDISC
        #expect(b.loadLE(UInt16.self, at: 6) == 0x1 | 0x4 | 0x400 | 0x100)  // REQUEST|ACK|CREATE|REPLACE
        #expect(u32(b, 20) == 7 && u32(b, 24) == 0x8001_0000 && u32(b, 28) == 0xFFFF_FFFF)  // ifindex, handle, TC_H_ROOT
        // TCA_KIND "netem\0" at 36: len 10, type 1.
        #expect(b.loadLE(UInt16.self, at: 36) == 10 && b.loadLE(UInt16.self, at: 38) == 1)
        #expect(Array(b[40..<46]) == Array("netem\0".utf8))
        // TCA_OPTIONS at 48: 4 + 24 (qopt) + 12 + 12.
        #expect(b.loadLE(UInt16.self, at: 48) == 52 && b.loadLE(UInt16.self, at: 50) == 2)
        #expect(u32(b, 52 + 4) == 1000)                                      // limit
        #expect(u32(b, 52 + 8) == UInt32(0.1 * Double(UInt32.max)))         // loss
        #expect(u32(b, 52 + 16) == UInt32(0.01 * Double(UInt32.max)))       // duplicate
        #expect(b.loadLE(UInt16.self, at: 78) == 10)                         // TCA_NETEM_LATENCY64
        #expect(u32(b, 80) == 50_000_000 && u32(b, 84) == 0)
        #expect(b.loadLE(UInt16.self, at: 90) == 11 && u32(b, 92) == 10_000_000)
        #expect(b.count == 100)
        #expect(NetlinkRequest.probability(100) == UInt32.max && NetlinkRequest.probability(0) == 0)
    }
}
