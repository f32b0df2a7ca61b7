import Testing
@testable import SiloDemo
import SiloKit
import SiloSys

@Suite struct DemoPartsTests {
    @Test func blocksSplitOnMarkers() {
        let b = DemoBlocks(parsing: "noise\n@@ns\nuts:[1]\n@@ps\n  PID COMMAND\n    1 sh\n\n@@empty\n@@ready\n")
        #expect(b.first("ns") == "uts:[1]")
        #expect(b["ps"] == ["  PID COMMAND", "    1 sh"])
        #expect(b["empty"] == [])
        #expect(b.first("empty") == nil)
        #expect(b["missing"] == nil)
    }

    @Test func scriptWaitsForTheHost() {
        var s = DemoScript()
        s.block("ns", "readlink /proc/self/ns/uts")
        s.waitForHost()
        s.block("after", "hostname")
        #expect(s.text == "exec 2>&1\necho @@ns\nreadlink /proc/self/ns/uts\necho @@ready\nread -r _ || true\necho @@after\nhostname\n")
    }

    @Test func verdictNeedsIdentityAndEvidenceToAgree() {
        let about = DemoSection.About(kind: .uts, title: "", cloneFlag: "", since: "", text: "")
        var s = DemoSection(about, shared: false)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: "uts:[2]", .isolated("ok"))
        #expect(s.verdict == .isolated)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: "uts:[1]", .shared("same"))
        #expect(s.verdict == .notIsolated)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: "uts:[1]", .isolated("ok"))
        #expect(s.verdict == .failed)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: "uts:[2]", .shared("same"))
        #expect(s.verdict == .failed)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: nil, .isolated("ok"))
        #expect(s.verdict == .failed)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: "net:[2]", .isolated("ok"))
        #expect(s.verdict == .failed)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: "uts:[2]", .inconclusive("cannot tell"))
        #expect(s.verdict == .isolated)
        s.decide(hostNamespace: "uts:[1]", containerNamespace: "uts:[2]", .failed("broken"))
        #expect(s.verdict == .failed && s.reason == "broken")
    }

    @Test func formatting() {
        #expect(DemoFormat.fixed(1.005, 1) == "1.0")
        #expect(DemoFormat.fixed(-2.5, 2) == "-2.50")
        #expect(DemoFormat.seconds(864_000_000_000_000) == "864000.00 s (10 d 0 h)")
        #expect(DemoFormat.head(["a", "b", "c"], 2) == ["a", "b", "… 1 more"])
        #expect(DemoFormat.ends(["1", "2", "3", "4", "5", "6"], first: 1, last: 2) == ["1", "… 3 more", "5", "6"])
    }
}
