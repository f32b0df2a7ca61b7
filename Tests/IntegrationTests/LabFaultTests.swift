import Foundation
import Testing
import SiloKit
import SiloSys

/// The faults beyond cut/heal (issue 17): a partition between groups of hosts, a tbf rate limit
/// measured on a TCP transfer, netem reordering where the kernel has netem. Bare hosts only
/// (the router lab of LabTests without its container); traffic stays in the lab's namespaces.
@Suite("silo lab faults", .serialized, .enabled(if: NetTest.isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"),
                                               "needs root (named network namespaces) and /usr/bin/python3 for the transfer"))
struct LabFaultIntegrationTests {
    /// Whether this kernel has the netem qdisc: tried on lo of a throwaway namespace.
    static let hasNetem: Bool = {
        let ns = "silo-netem-probe-\(getpid())"
        let r = try? Silo.host("ip netns add \(ns) && tc -n \(ns) qdisc add dev lo root netem delay 1ms; rc=$?; ip netns del \(ns); exit $rc")
        return r?.status == 0
    }()

    func up() throws -> (String, String) {
        let name = "lab" + NetTest.token()
        let path = try LabTests.file(LabTests.topology(container: false), name)
        let r = try Silo.run(["lab", "up", path, "--name", name])
        #expect(r.status == 0, "\(r)")
        return (name, path)
    }

    func down(_ name: String, _ path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        let r = try Silo.run(["lab", "down", name])
        #expect(r.status == 0, "\(r)")
        #expect(LabTests.leftovers(name).isEmpty)
    }

    func exec(_ lab: String, _ host: String, _ cmd: String) throws -> Silo.Result {
        try Silo.run(["lab", "exec", lab, host, "--", "sh", "-c", cmd], timeout: 30)
    }

    func reaches(_ lab: String, _ from: String, _ address: String) throws -> Bool {
        try exec(lab, from, "ping -c 1 -W 1 \(address) >/dev/null 2>&1").status == 0
    }

    /// Seconds for the client to send `bytes` to srv2 (across the router and the bridge).
    func transfer(_ lab: String, bytes: Int) throws -> Double {
        let server = """
        import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("10.0.3.10", 5001)); s.listen(1); c, _ = s.accept()
        while c.recv(65536): pass
        c.sendall(b"k"); c.close()
        """
        let client = """
        import socket, time; s = socket.create_connection(("10.0.3.10", 5001), timeout=20); t = time.time()
        s.sendall(b"x" * \(bytes)); s.shutdown(socket.SHUT_WR); s.recv(1); print(time.time() - t)
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Silo.binary)
        p.arguments = ["lab", "exec", lab, "srv2", "--", "/usr/bin/python3", "-c", server]
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; p.waitUntilExit() }
        usleep(500_000)
        let r = try Silo.run(["lab", "exec", lab, "client", "--", "/usr/bin/python3", "-c", client], timeout: 30)
        return Double(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test("rate 1mbit: a 250 KB transfer takes ~2 s, and clear makes it fast again")
    func rateLimit() throws {
        let (name, path) = try up()
        let fast = try transfer(name, bytes: 250_000)
        #expect(fast >= 0 && fast < 1, "without a limit: \(fast) s")
        let r = try Silo.run(["lab", "fault", name, "client", "router", "rate", "1mbit"])
        #expect(r.status == 0, "\(r)")
        let tc = try Silo.host("tc -n \(name)-client qdisc show dev eth0; tc -n \(name)-router qdisc show dev eth0")
        #expect(tc.stdout.components(separatedBy: "qdisc tbf").count == 3 && tc.stdout.contains("rate 1Mbit"), "\(tc)")
        // 250 KB at 125 KB/s: 2 s, less the 16 KB bucket; generous above for a loaded machine.
        let slow = try transfer(name, bytes: 250_000)
        #expect(slow > 1.6 && slow < 6, "with rate 1mbit: \(slow) s")
        #expect(try Silo.run(["lab", "fault", name, "client", "router", "clear"]).status == 0)
        #expect(try !Silo.host("tc -n \(name)-client qdisc show dev eth0").stdout.contains("tbf"))
        let again = try transfer(name, bytes: 250_000)
        #expect(again >= 0 && again < 1, "after clear: \(again) s")
        let bad = try Silo.run(["lab", "fault", name, "client", "router", "rate", "fast"])
        #expect(bad.status == 125 && bad.stderr.contains("rate `fast`"), "\(bad)")
        try down(name, path)
    }

    @Test("partition client,router | srv1,srv2,sw0: nothing crosses, --heal restores it")
    func partition() throws {
        let (name, path) = try up()
        #expect(try reaches(name, "client", "10.0.2.10") && reaches(name, "client", "10.0.3.10"))
        let r = try Silo.run(["lab", "partition", name, "client,router", "srv1,srv2,sw0"])
        #expect(r.status == 0, "\(r)")
        // Inside a side all still works; across, nothing: from the router too.
        #expect(try reaches(name, "client", "10.0.1.1"))
        #expect(try !reaches(name, "client", "10.0.2.10") && !reaches(name, "router", "10.0.3.10") && !reaches(name, "router", "10.0.2.10"))
        let links = try Silo.host("ip -n \(name)-router -br link show eth1; ip -n \(name)-router -br link show eth2")
        #expect(links.stdout.split(separator: "\n").allSatisfy { $0.contains("DOWN") }, "\(links)")
        let heal = try Silo.run(["lab", "partition", name, "client,router", "srv1,srv2,sw0", "--heal"])
        #expect(heal.status == 0, "\(heal)")
        #expect(NetTest.waitUntil(timeout: 10) { (try? reaches(name, "client", "10.0.3.10")) == true })
        #expect(try reaches(name, "client", "10.0.2.10"))
        let bad = try Silo.run(["lab", "partition", name, "client", "nosuch"])
        #expect(bad.status == 125 && bad.stderr == "silo: lab \(name): no host or bridge \"nosuch\"\n", "\(bad)")
        try down(name, path)
    }

    @Test("reorder 25% delay 10ms is set with netem", .enabled(if: hasNetem, "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM)"))
    func reorder() throws {
        let (name, path) = try up()
        let r = try Silo.run(["lab", "fault", name, "client", "router", "delay", "10ms", "reorder", "25%"])
        #expect(r.status == 0, "\(r)")
        let tc = try Silo.host("tc -n \(name)-client qdisc show dev eth0")
        #expect(tc.stdout.contains("netem") && tc.stdout.contains("reorder 25%"), "\(tc)")
        try down(name, path)
    }

    @Test("without netem, a netem fault names the missing qdisc", .enabled(if: !hasNetem, "this kernel has netem"))
    func noNetem() throws {
        let (name, path) = try up()
        let r = try Silo.run(["lab", "fault", name, "client", "router", "delay", "10ms", "reorder", "25%"])
        #expect(r.status == 125 && r.stderr.contains("this kernel has no netem (CONFIG_NET_SCH_NETEM)"), "\(r)")
        let noDelay = try Silo.run(["lab", "fault", name, "client", "router", "reorder", "25%"])
        #expect(noDelay.status == 125 && noDelay.stderr.contains("reorder needs a delay"), "\(noDelay)")
        try down(name, path)
    }
}
