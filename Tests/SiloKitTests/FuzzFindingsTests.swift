import Testing
@testable import SiloKit

/// Inputs the libFuzzer targets (fuzz/, docs/fuzzing.md) found to crash silo: each must now be
/// refused or handled, not trap.
@Suite struct FuzzFindingsTests {
    /// `--uid-map 1:1:4294967295 --uid-map 0:5:1`: a range ending at 2^32 overflowed the
    /// overlap check (a trap, SIGILL, instead of a usage error).
    @Test(arguments: [("1:1:4294967295", "0:5:1"), ("0:1:4294967295", "4294967295:1:1"), ("0:5:1", "1:1:4294967295")])
    func overlapCheckAtTheTopOfTheIdSpace(_ a: String, _ b: String) throws {
        // Refused either when a line is parsed (a range past (uid_t)-1) or by validate: never a trap.
        let one = [IDMapping(container: 0, host: 5000, size: 1)]
        #expect(throws: RuntimeError.self) { try IDMap(uids: [IDMapping(parsing: a), IDMapping(parsing: b)], gids: one).validate() }
        #expect(throws: RuntimeError.self) { try IDMap(uids: one, gids: [IDMapping(parsing: a), IDMapping(parsing: b)]).validate() }
    }

    @Test func rangesThatTouchTheTopDoNotOverlap() throws {
        let m = [try IDMapping(parsing: "0:100000:1"), try IDMapping(parsing: "1:4294901760:65535")]
        try IDMap(uids: m, gids: m).validate()
    }

    /// A SUB_UID_MAX past uid_t made the range's start overflow UInt32 (a trap on every run).
    @Test(arguments: ["SUB_UID_MAX 4294967296", "SUB_UID_MAX 4294967294", "SUB_UID_MAX 9999999999999999999"])
    func loginDefsMaximumPastUidT(_ text: String) {
        let r = HostIDRange.aboveLoginDefs(text)
        #expect(r.start == 600_113_152)
        #expect(UInt64(r.start) + UInt64(r.count) <= UInt64(UInt32.max) - 1)
        #expect(r.mapping(slot: r.slots - 1).size == HostIDRange.slotSize)
    }

    /// An /etc/subuid range running past uid_t made its last slot's start overflow: it is cut
    /// below (uid_t)-1, and every slot it then has stays inside uid_t.
    @Test func subuidRangePastUidTIsCut() throws {
        let r = try #require(HostIDRange.fromSubordinateFile("root:4294900000:200000\n"))
        #expect(r == HostIDRange(start: 4_294_900_000, count: UInt32.max - 1 - 4_294_900_000))
        #expect(UInt64(r.mapping(slot: r.slots - 1).host) + UInt64(HostIDRange.slotSize) <= UInt64(UInt32.max))
    }
}
