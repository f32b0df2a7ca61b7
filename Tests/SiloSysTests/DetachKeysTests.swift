import SiloSys
import Testing

/// docker's `--detach-keys`: the syntax, and the scan over the bytes of successive reads.
@Suite struct DetachKeysTests {
    @Test func parsesDockersSyntax() {
        #expect(DetachKeys(parsing: "ctrl-p,ctrl-q")?.sequence == [0x10, 0x11])
        #expect(DetachKeys(parsing: DetachKeys.defaultSpec) == .default)
        #expect(DetachKeys(parsing: "ctrl-A,x,ctrl-@,ctrl-_")?.sequence == [0x01, 0x78, 0x00, 0x1f])
        #expect(DetachKeys(parsing: "")?.sequence == [])
        for bad in ["ctrl-", "ctrl-1", "ctrl-pq", "ab", ",", "ctrl-p,", "\u{7f}"] {
            #expect(DetachKeys(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func detachesOnTheWholeSequenceAcrossReads() {
        var k = DetachKeys.default
        #expect(k.scan([0x61, 0x10]) == .forward([0x61]))  // the ctrl-p is held back
        #expect(k.scan([0x11, 0x62]) == .detach(before: []))
        var k2 = DetachKeys.default
        #expect(k2.scan([0x61, 0x10, 0x11]) == .detach(before: [0x61]))
    }

    @Test func aBrokenSequenceSendsTheHeldBytesOn() {
        var k = DetachKeys.default
        #expect(k.scan([0x10]) == .forward([]))
        #expect(k.scan([0x61]) == .forward([0x10, 0x61]))
        #expect(k.scan([0x10, 0x10, 0x11]) == .detach(before: [0x10]))  // ^P ^P ^Q: the second ^P starts it again
    }

    @Test func anEmptySequenceNeverDetaches() {
        var k = DetachKeys(sequence: [])
        #expect(k.scan([0x10, 0x11]) == .forward([0x10, 0x11]))
    }
}
