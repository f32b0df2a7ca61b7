import Foundation
import SiloSys
import Testing

@testable import SiloKit

/// Partitions between groups and tbf rate limits, against the recording lab kernel.
@Suite struct LabFaultTests {
    func lab() throws -> (Lab, RecordingLabKernel, String) {
        let dir = NSTemporaryDirectory() + "silo-labfault-\(UUID().uuidString)"
        let k = RecordingLabKernel()
        let t = try LabTopology.parse(LabUpOrderTests.topology, file: "t.json")
        let lab = try Lab.up(t, name: "labP", store: LabStateStore(directory: dir), kernel: k)
        k.calls = []
        return (lab, k, dir)
    }

    /// client,router | sw0,web: only the router—switch link crosses; web—sw0 stays up.
    @Test func partitionCutsOnlyTheLinksBetweenGroups() throws {
        let (lab, k, dir) = try lab()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try lab.partition([["client", "router"], ["sw0", "web"]])
        #expect(k.calls == ["down labP-router:eth1", "down labP-switch:veth1"])
        k.calls = []
        try lab.healPartition([["client", "router"], ["sw0", "web"]])
        #expect(k.calls.prefix(3) == ["up labP-router:eth1", "up labP-switch:veth1", "addr 10.0.2.1/24 labP-router:eth1"])
        // Three groups: every pair's links.
        k.calls = []
        try lab.partition([["client"], ["router"], ["web", "sw0"]])
        #expect(k.calls == ["down labP-client:eth0", "down labP-router:eth0", "down labP-router:eth1", "down labP-switch:veth1"])
    }

    @Test func partitionMistakesAreNamed() throws {
        let (lab, k, dir) = try lab()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func message(_ groups: [[String]]) -> String {
            do { try lab.partition(groups); return "" } catch { return error.message }
        }
        #expect(message([["client", "router"]]) == "lab labP: a partition needs two groups or more")
        #expect(message([["client"], ["nosuch"]]) == "lab labP: no host or bridge \"nosuch\"")
        #expect(message([["client", "router"], ["router"]]) == "lab labP: \"router\" is in two groups")
        #expect(message([["client"], ["web"]]) == "lab labP: no link crosses between those groups")
        #expect(k.calls.isEmpty)
    }

    /// `fault A B` takes groups too, and `rate` puts tbf on both ends of each link.
    @Test func rateOnBothEndsOfGroupLinks() throws {
        let (lab, k, dir) = try lab()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try lab.rate("client,web", "router,sw0", TbfSettings(bytesPerSecond: 125_000))
        #expect(k.calls == ["tbf labP-client:eth0 125000", "tbf labP-router:eth0 125000", "tbf labP-web:eth0 125000", "tbf labP-switch:veth2 125000"])
        #expect(throws: RuntimeError.self) { try lab.cut("client", "web") }
    }
}
