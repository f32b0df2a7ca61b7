import Testing
import Foundation
@testable import SiloKit
import SiloSys

/// A LabKernel that writes down each call and can fail the Nth one: the order `up` works in,
/// and what a failure half-way leaves (nothing).
final class RecordingLabKernel: LabKernel {
    var calls: [String] = []
    var failAt: Int?
    var namespaces: Set<String> = []
    var processes: Set<Int32> = []
    var nextPID: Int32 = 1000

    var steps = 0

    func step(_ s: String) throws(RuntimeError) {
        calls.append(s)
        steps += 1
        if let failAt, steps == failAt { throw RuntimeError(.runtime, "injected failure at \(s)") }
    }

    func addNamespace(_ ns: String) throws(RuntimeError) { try step("netns add \(ns)"); namespaces.insert(ns) }
    func deleteNamespace(_ ns: String) throws(RuntimeError) { calls.append("netns delete \(ns)"); namespaces.remove(ns) }
    func addBridge(_ name: String, in ns: String) throws(RuntimeError) { try step("bridge \(ns):\(name)") }
    func addVeth(_ a: LabDevice, _ b: LabDevice, mtu: Int?) throws(RuntimeError) { try step("veth \(a) \(b)\(mtu.map { " mtu \($0)" } ?? "")") }
    func setMaster(_ device: LabDevice, bridge: String) throws(RuntimeError) { try step("master \(device) \(bridge)") }
    func addAddress(_ address: IPNetwork, on device: LabDevice) throws(RuntimeError) { try step("addr \(address) \(device)") }
    func setUp(_ device: LabDevice, _ up: Bool) throws(RuntimeError) { try step("\(up ? "up" : "down") \(device)") }
    func waitForCarrier(_ devices: [LabDevice]) { calls.append("carrier \(devices.count)") }
    func addRoute(_ destination: IPNetwork, via gateway: IPAddress, on device: LabDevice) throws(RuntimeError) {
        try step("route \(destination) via \(gateway) \(device)")
    }
    func enableForwarding(in ns: String) throws(RuntimeError) { try step("forwarding \(ns)") }
    func setNetem(_ device: LabDevice, _ settings: NetemSettings?) throws(RuntimeError) { try step("netem \(device)") }
    func setRate(_ device: LabDevice, _ settings: TbfSettings) throws(RuntimeError) { try step("tbf \(device) \(settings.bytesPerSecond)") }
    func startContainer(_ c: LabTopology.Container, in ns: String) throws(RuntimeError) -> (pid: Int32, startTime: UInt64) {
        try step("container \(ns) \(c.command.joined(separator: " "))")
        nextPID += 1
        processes.insert(nextPID)
        return (nextPID, 7)
    }
    func kill(pid: Int32, startTime: UInt64) { calls.append("kill \(pid)"); processes.remove(pid) }
    func finish() {}
}

@Suite struct LabUpOrderTests {
    static let topology = """
    {
      "hosts": [
        {"name": "client", "routes": [{"to": "default", "via": "10.0.1.1"}]},
        {"name": "router", "router": true},
        {"name": "web", "container": {"rootfs": "/r", "command": ["httpd"]}, "routes": [{"to": "default", "via": "10.0.2.1"}]}
      ],
      "bridges": [{"name": "sw0"}],
      "links": [
        {"a": {"host": "client", "addresses": ["10.0.1.2/24"]}, "b": {"host": "router", "addresses": ["10.0.1.1/24"]}, "mtu": 1400},
        {"a": {"host": "router", "addresses": ["10.0.2.1/24"]}, "b": {"bridge": "sw0"}},
        {"a": {"host": "web", "addresses": ["10.0.2.10/24"]}, "b": {"bridge": "sw0"}}
      ]
    }
    """

    func store() -> (LabStateStore, String) {
        let dir = NSTemporaryDirectory() + "silo-labtest-\(UUID().uuidString)"
        return (LabStateStore(directory: dir), dir)
    }

    @Test func upRunsInOrderAndRecordsEverything() throws {
        let (store, dir) = store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let k = RecordingLabKernel()
        let t = try LabTopology.parse(Self.topology, file: "t.json")
        let lab = try Lab.up(t, name: "labA", file: "t.json", source: Self.topology, store: store, kernel: k)
        #expect(k.calls == [
            "netns add labA-client", "netns add labA-router", "netns add labA-web", "netns add labA-switch",
            "bridge labA-switch:sw0",
            "veth labA-client:eth0 labA-router:eth0 mtu 1400",
            "addr 10.0.1.2/24 labA-client:eth0", "addr 10.0.1.1/24 labA-router:eth0",
            "up labA-client:eth0", "up labA-router:eth0",
            "veth labA-router:eth1 labA-switch:veth1", "addr 10.0.2.1/24 labA-router:eth1", "master labA-switch:veth1 sw0",
            "up labA-router:eth1", "up labA-switch:veth1",
            "veth labA-web:eth0 labA-switch:veth2", "addr 10.0.2.10/24 labA-web:eth0", "master labA-switch:veth2 sw0",
            "up labA-web:eth0", "up labA-switch:veth2",
            "carrier 6",
            "route 0.0.0.0/0 via 10.0.1.1 labA-client:eth0", "route 0.0.0.0/0 via 10.0.2.1 labA-web:eth0",
            "forwarding labA-router",
            "container labA-web httpd",
        ])
        let state = try store.load("labA")
        #expect(state.complete)
        #expect(state.namespaces == ["labA-client", "labA-router", "labA-web", "labA-switch"])
        #expect(state.processes == [.init(host: "web", pid: 1001, startTime: 7)])
        #expect(try LabTopology.parse(state.source, file: "x") == t)
        // A second lab of that name is refused before anything is touched.
        #expect(throws: RuntimeError.self) { try Lab.up(t, name: "labA", store: store, kernel: RecordingLabKernel()) }

        k.calls = []
        try lab.down()
        #expect(k.calls == ["kill 1001", "netns delete labA-switch", "netns delete labA-web", "netns delete labA-router", "netns delete labA-client"])
        #expect(k.namespaces.isEmpty && k.processes.isEmpty)
        #expect(!store.exists("labA"))
        // down is idempotent.
        #expect(try Lab.down(name: "labA", store: store, kernel: k) == false)
    }

    /// A failure at every step leaves no namespace, no process and no state file.
    @Test func failureAtAnyStepRollsBack() throws {
        let t = try LabTopology.parse(Self.topology, file: "t.json")
        let steps = 24  // the calls of a whole `up` that can fail (the list above, less "carrier")
        for n in 1...steps {
            let (store, dir) = store()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let k = RecordingLabKernel()
            k.failAt = n
            #expect(throws: RuntimeError.self, "step \(n)") { try Lab.up(t, name: "labB", store: store, kernel: k) }
            #expect(k.namespaces.isEmpty, "step \(n): \(k.namespaces)")
            #expect(k.processes.isEmpty, "step \(n)")
            #expect(!store.exists("labB"), "step \(n)")
            #expect(k.steps == n, "step \(n): nothing runs after the failure")
        }
    }

    /// kill -9 in the middle of `up`: the state file already names what was made, so `down` finds it.
    @Test func downAfterAKilledUp() throws {
        let (store, dir) = store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = LabState(name: "labC", file: "t.json", source: Self.topology)
        s.namespaces = ["labC-client", "labC-router"]
        try store.save(s)
        let k = RecordingLabKernel()
        #expect(try Lab.down(name: "labC", store: store, kernel: k))
        #expect(k.calls == ["netns delete labC-router", "netns delete labC-client"])
        #expect(!store.exists("labC"))
    }

    /// Two `up`s (or an `up` and a `down`) of one name never overlap: while one holds the lab's
    /// lock the other fails at once, having made nothing; the lock goes with its holder.
    @Test func aSecondUpOfTheSameNameWhileOneRunsIsRefused() throws {
        let (store, dir) = store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try LabTopology.parse(Self.topology, file: "t.json")
        let held = try store.lock("labL")
        let k = RecordingLabKernel()
        #expect(throws: RuntimeError.self) { try Lab.up(t, name: "labL", store: store, kernel: k) }
        do { _ = try Lab.up(t, name: "labL", store: store, kernel: k) } catch {
            #expect(error.message == "lab labL: another silo is bringing it up or down (\(dir)/labL.lock is locked)")
        }
        #expect(k.calls.isEmpty && !store.exists("labL"))
        #expect(throws: RuntimeError.self) { try Lab.down(name: "labL", store: store, kernel: k) }
        close(held)
        _ = try Lab.up(t, name: "labL", store: store, kernel: k)
        #expect(store.exists("labL") && k.calls.first == "netns add labL-client")
        #expect(try Lab.down(name: "labL", store: store, kernel: k))
        // down takes the lock file with the state: nothing of the lab is left in the directory.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? ["?"]).isEmpty)
    }

    @Test func stateRoundTrips() throws {
        var s = LabState(name: "x", file: "/a b.json", source: "{\"hosts\": []}\n")
        s.namespaces = ["x-a"]
        s.processes = [.init(host: "a", pid: 42, startTime: 1234567890123)]
        s.complete = true
        #expect(try LabState.parse(s.json.encoded(indent: "  "), path: "p") == s)
    }
}
