import Testing
@testable import SiloKit

@Suite struct HostIDRangeTests {
    @Test func defaultWithoutKey() {
        let r = HostIDRange.aboveLoginDefs("# SUB_UID_MAX 5\nUID_MAX 60000\n")
        #expect(r.start == 600_113_152)  // the first 65536-aligned id above 600100000
    }

    @Test func keyWithBlanksCommentsAndLastWins() {
        let text = """
        # SUB_UID_MAX 1
        SUB_UID_MAXX 2
        \tSUB_UID_MAX\t\t131072
        SUB_GID_MAX 262144
        SUB_UID_MAX 196608
        """
        #expect(HostIDRange.aboveLoginDefs(text).start == 262_144)
        #expect(HostIDRange.aboveLoginDefs(text, key: "SUB_GID_MAX").start == 327_680)
    }

    @Test func malformedValueIgnored() {
        #expect(HostIDRange.aboveLoginDefs("SUB_UID_MAX lots\nSUB_UID_MAX\n").start == 600_113_152)
        #expect(HostIDRange.aboveLoginDefs("SUB_UID_MAX 12abc\nSUB_UID_MAX 99999999999999999999\n").start == 600_113_152)
        #expect(HostIDRange.aboveLoginDefs("SUB_UID_MAX 65535").start == 65536)
    }
}

@Suite struct IDMapRenderTests {
    @Test func oneLinePerMapping() {
        let m = [IDMapping(container: 0, host: 600_113_152, size: 65536), IDMapping(container: 70000, host: 1000, size: 1)]
        #expect(IDMap.render(m) == "0 600113152 65536\n70000 1000 1\n")
        #expect(IDMap.render([]) == "")
    }
}
