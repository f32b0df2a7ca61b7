import Foundation
import Testing

/// Helpers for the network tests: unique names, polling, leftovers, background processes.
/// Every name a test makes contains its token, so that what is left behind can be found.
enum NetTest {
    static var isRoot: Bool { geteuid() == 0 }

    /// 6 random hex digits; names are `silo-t-TOKEN...` (netns) or `st-TOKEN` (devices, 15 bytes max).
    static func token() -> String {
        String((0..<6).map { _ in "0123456789abcdef".randomElement()! })
    }

    /// A random /24 in 10.200.0.0/16 (DEVELOPERS.md: test links use 10.200.0.0/16).
    static func subnet() -> Int { Int.random(in: 10...250) }

    /// Polls `condition` every 20 ms for up to `timeout` seconds.
    @discardableResult
    static func waitUntil(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Anything on the host that carries `token`: /run/netns entries, mounts, links, /etc/netns.
    static func leftovers(_ token: String) -> [String] {
        var out: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        out += names.filter { $0.contains(token) }.map { "/run/netns/\($0)" }
        let mi = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        out += mi.split(separator: "\n").filter { $0.contains(token) }.map { "mount: \($0)" }
        let links = (try? Silo.host("ip -o link show"))?.stdout ?? ""
        out += links.split(separator: "\n").filter { $0.contains(token) }.map { "link: \($0)" }
        let etc = (try? FileManager.default.contentsOfDirectory(atPath: "/etc/netns")) ?? []
        out += etc.filter { $0.contains(token) }.map { "/etc/netns/\($0)" }
        return out
    }

    /// Removes whatever carries `token` (netns names, links), then waits until none is left:
    /// netns teardown in the kernel is asynchronous.
    static func cleanUp(_ token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for n in names where n.contains(token) { _ = try? Silo.host("ip netns delete '\(n)'") }
        let links = (try? Silo.host("ip -o link show | cut -d: -f2 | cut -d@ -f1"))?.stdout ?? ""
        for l in links.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where l.contains(token) {
            _ = try? Silo.host("ip link delete '\(l)'")
        }
        _ = try? Silo.host("rm -rf /etc/netns/*\(token)*; rmdir /etc/netns 2>/dev/null; true")
        let clean = waitUntil(timeout: 10) { leftovers(token).isEmpty }
        #expect(clean, "left behind: \(leftovers(token))", sourceLocation: sourceLocation)
    }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    /// A pid that no process has.
    static func unusedPID() -> Int32 {
        let max = Int32((try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "32768") ?? 32768
        var p = max - 1
        while FileManager.default.fileExists(atPath: "/proc/\(p)") { p -= 1 }
        return p
    }
}

extension NetTest {
    /// A process started in the background, its stdout and stderr going to a file.
    final class Background {
        let process = Process()
        let output: URL
        let input = Pipe()

        init(_ path: String, _ args: [String], env: [String: String] = [:]) throws {
            output = FileManager.default.temporaryDirectory.appendingPathComponent("silo-test-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = args
            var environment = ProcessInfo.processInfo.environment
            for (k, v) in env { environment[k] = v }
            process.environment = environment
            process.standardOutput = handle
            process.standardError = handle
            // A pipe the test keeps open: stdin never reaches EOF while the process runs. (busybox
            // `nc -l` half-closes the connection at EOF on stdin, and a client that sees that
            // before it has read its own stdin leaves without sending anything.)
            process.standardInput = input
            try process.run()
            try? handle.close()
        }

        var pid: Int32 { process.processIdentifier }
        var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        /// Waits for the process to exit; SIGKILL after `timeout` seconds.
        @discardableResult
        func wait(timeout: Double = 10) -> Int32 {
            if !NetTest.waitUntil(timeout: timeout, { !process.isRunning }) {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            return process.terminationStatus
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? input.fileHandleForWriting.close()
            try? FileManager.default.removeItem(at: output)
        }
    }
}

@Suite("silo netns", .serialized, .enabled(if: NetTest.isRoot, "needs root"))
struct NetnsTests {
    @Test func iproute2SeesWhatSiloMakes() throws {
        let t = NetTest.token()
        let name = "silo-t-\(t)"
        defer { NetTest.cleanUp(t) }
        let add = try Silo.run(["netns", "add", name])
        #expect(add.status == 0, "\(add)")
        #expect(try Silo.host("ip netns list").stdout.split(separator: "\n").contains { $0.split(separator: " ").first.map(String.init) == name })
        // /run/netns is a shared mount point (one self-bind) and the name is an nsfs bind mount.
        let mi = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
        let runDir = mi.filter { $0.split(separator: " ")[4] == "/run/netns" }
        #expect(runDir.count == 1 && runDir.first?.contains("shared:") == true, "\(runDir)")
        #expect(mi.contains { $0.split(separator: " ")[4] == "/run/netns/\(name)" && $0.contains(" - nsfs ") })
        let exec = try Silo.host("ip netns exec \(name) ip -o link show")
        #expect(exec.status == 0 && exec.stdout.contains("lo:") && !exec.stdout.contains("eth0"), "\(exec)")
        #expect(exec.stdout.contains("state DOWN"), "lo starts down, as with ip netns add: \(exec.stdout)")
        let del = try Silo.host("ip netns delete \(name)")
        #expect(del.status == 0, "\(del)")
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).contains(name))
    }

    @Test func siloSeesWhatIproute2Makes() throws {
        let t = NetTest.token()
        let name = "silo-t-\(t)"
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.host("ip netns add \(name)").status == 0)
        let list = try Silo.run(["netns", "list"])
        #expect(list.status == 0 && list.stdout.split(separator: "\n").contains { $0.hasPrefix(name) }, "\(list)")
        let json = try Silo.run(["netns", "list", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.contains { $0["name"] as? String == name } == true, "\(json)")
        let exec = try Silo.run(["netns", "exec", name, "ip", "-o", "link", "show"])
        #expect(exec.status == 0 && exec.stdout.contains("lo:"), "\(exec)")
        let up = try Silo.run(["netns", "up", name])
        #expect(up.status == 0, "\(up)")
        #expect(try Silo.host("ip -n \(name) -o link show lo").stdout.contains(",UP"))
        let del = try Silo.run(["netns", "delete", name])
        #expect(del.status == 0, "\(del)")
        #expect(try Silo.host("ip netns list").stdout.contains(name) == false)
    }

    @Test func addWithLoopbackUp() throws {
        let t = NetTest.token()
        let name = "silo-t-\(t)"
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.run(["netns", "add", "--lo-up", name]).status == 0)
        let ping = try Silo.run(["netns", "exec", name, "ping", "-c1", "-W2", "127.0.0.1"])
        #expect(ping.status == 0, "\(ping)")
    }

    /// The material's lesson: a name is only a reference. After `delete` the mount is gone,
    /// but a process inside keeps the namespace (same inode) until it exits.
    @Test func deleteWhileAProcessRunsKeepsTheNamespace() throws {
        let t = NetTest.token()
        let name = "silo-t-\(t)"
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.run(["netns", "add", name]).status == 0)
        let nsInode = try #require(NetTest.inode("/run/netns/\(name)"))
        let sleeper = try NetTest.Background(Silo.binary, ["netns", "exec", name, "sleep", "60"])
        defer { sleeper.stop() }
        let pid = sleeper.pid
        #expect(NetTest.waitUntil { Host.nsInode("net", pid: "\(pid)") == "net:[\(nsInode)]" }, "\(sleeper.text)")
        let pids = try Silo.run(["netns", "pids", name])
        #expect(pids.stdout.split(separator: "\n").contains("\(pid)"), "\(pids)")
        #expect(try Silo.run(["netns", "identify", "\(pid)"]).stdout == "\(name)\n")
        #expect(try Silo.host("ip netns identify \(pid)").stdout == "\(name)\n")
        #expect(try Silo.run(["netns", "list"]).stdout.contains("\(pid)(sleep)"))

        let del = try Silo.run(["netns", "delete", name])
        #expect(del.status == 0, "\(del)")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)"))
        #expect(!(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).contains(name))
        // Still alive, still the same namespace, now nameless.
        #expect(Host.nsInode("net", pid: "\(pid)") == "net:[\(nsInode)]")
        #expect(try Silo.run(["netns", "identify", "\(pid)"]).stdout == "")
        sleeper.stop()
    }

    @Test func attachNamesAProcessNamespace() throws {
        let t = NetTest.token()
        let (a, b) = ("silo-t-\(t)-a", "silo-t-\(t)-b")
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.run(["netns", "add", a]).status == 0)
        let sleeper = try NetTest.Background(Silo.binary, ["netns", "exec", a, "sleep", "60"])
        defer { sleeper.stop() }
        let nsInode = try #require(NetTest.inode("/run/netns/\(a)"))
        #expect(NetTest.waitUntil { Host.nsInode("net", pid: "\(sleeper.pid)") == "net:[\(nsInode)]" })
        let attach = try Silo.run(["netns", "attach", b, "\(sleeper.pid)"])
        #expect(attach.status == 0, "\(attach)")
        #expect(NetTest.inode("/run/netns/\(b)") == nsInode)
        #expect(try Silo.run(["netns", "identify", "\(sleeper.pid)"]).stdout == "\(a)\n\(b)\n")
        #expect(try Silo.run(["netns", "attach", b, "\(sleeper.pid)"]).status == 1)
    }

    @Test func execLikeIpNetnsExec() throws {
        let t = NetTest.token()
        let name = "silo-t-\(t)"
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.run(["netns", "add", name]).status == 0)
        // /etc/netns/NAME/FILE is bound over /etc/FILE inside, never on the host.
        try FileManager.default.createDirectory(atPath: "/etc/netns/\(name)", withIntermediateDirectories: true)
        try "10.200.0.99 silo-\(t)\n".write(toFile: "/etc/netns/\(name)/hosts", atomically: true, encoding: .utf8)
        let hosts = try Silo.run(["netns", "exec", name, "cat", "/etc/hosts"])
        #expect(hosts.stdout == "10.200.0.99 silo-\(t)\n", "\(hosts)")
        #expect(!(try String(contentsOfFile: "/etc/hosts", encoding: .utf8)).contains(t))
        // A /sys of its own: only this namespace's devices.
        let sys = try Silo.run(["netns", "exec", name, "ls", "/sys/class/net"])
        #expect(sys.stdout == "lo\n", "\(sys)")
        // The command's status; 126/127 when it cannot run.
        #expect(try Silo.run(["netns", "exec", name, "--", "sh", "-c", "exit 7"]).status == 7)
        let missing = try Silo.run(["netns", "exec", name, "silo-no-such-command-\(t)"])
        #expect(missing.status == 127 && missing.stderr.hasPrefix("silo: "), "\(missing)")
        #expect(try Silo.run(["netns", "exec", name, "/etc/passwd"]).status == 126)
        // Nothing mounted for the exec stays on the host.
        #expect(!(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)).contains("/etc/netns"))
    }

    /// Each mistake: silo's exit status is the one `ip netns` gives on this machine, one line
    /// on stderr, and nothing is left under /run/netns or in the mount table.
    @Test func badInputMatchesIproute2() throws {
        let t = NetTest.token()
        let taken = "silo-t-\(t)"
        let missing = "silo-t-\(t)-missing"
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.run(["netns", "add", taken]).status == 0)
        let deadPID = NetTest.unusedPID()
        let long = String(repeating: "x", count: 256)
        let cases: [[String]] = [
            ["add", ""], ["add", "."], ["add", ".."], ["add", "a/b"], ["add", long], ["add", taken],
            ["delete", missing], ["delete", "a/b"], ["exec", missing, "true"], ["exec", "..", "true"],
            ["pids", missing], ["identify", "\(deadPID)"], ["attach", missing, "\(deadPID)"],
        ]
        let before = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns"))?.sorted()
        let mountsBefore = Host.Snapshot.take().mounts
        for c in cases {
            let ip = try Silo.exec("/bin/sh", ["-c", "exec ip netns \"$@\"", "ip"] + c)
            let silo = try Silo.run(["netns"] + c)
            let what = "silo netns " + c.joined(separator: " ") + ": \(silo.status), ip: \(ip.status) (\(ip.stderr))"
            #expect(silo.status == ip.status, Comment(rawValue: what))
            #expect(silo.status != 0)
            let lines = silo.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("silo: "), "\(c): \(silo.stderr)")
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns"))?.sorted() == before)
        #expect(Host.Snapshot.take().mounts == mountsBefore)
        // The statuses themselves, as iproute2 6.1 gives them.
        #expect(try Silo.run(["netns", "add", "a/b"]).status == 255)
        #expect(try Silo.run(["netns", "exec", missing, "true"]).status == 255)
        #expect(try Silo.run(["netns", "delete", missing]).status == 1)
        #expect(try Silo.run(["netns", "add", taken]).status == 1)
        #expect(try Silo.run(["netns", "identify", "\(deadPID)"]).status == 1)
    }

    @Test func twoNamespacesLinkedByVethTalkTCPAndPing() throws {
        let t = NetTest.token()
        let (a, b) = ("silo-t-\(t)-a", "silo-t-\(t)-b")
        let n = NetTest.subnet()
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.run(["netns", "add", "--lo-up", a]).status == 0)
        #expect(try Silo.run(["netns", "add", "--lo-up", b]).status == 0)
        let link = try Silo.run(["netns", "link", a, b,
                                 "--addr", "\(a)=10.200.\(n).1/24", "--addr", "\(b)=10.200.\(n).2/24",
                                 "--addr", "\(a)=fd00:5110::\(n):1/64", "--addr", "\(b)=fd00:5110::\(n):2/64"])
        #expect(link.status == 0, "\(link)")
        #expect(link.stdout.contains("\(a):veth0") && link.stdout.contains("\(b):veth0"), "\(link)")
        for (from, to) in [(a, "10.200.\(n).2"), (b, "10.200.\(n).1"), (a, "fd00:5110::\(n):2"), (b, "fd00:5110::\(n):1")] {
            let ping = try Silo.run(["netns", "exec", from, "ping", "-c1", "-W3", to])
            #expect(ping.status == 0, "ping \(to) from \(from): \(ping)")
        }
        let server = try NetTest.Background(Silo.binary, ["netns", "exec", b, "busybox", "nc", "-l", "-p", "7000"])
        defer { server.stop() }
        let client = try Silo.run(["netns", "exec", a, "sh", "-c",
                                   "for i in $(seq 50); do echo hello-\(t) | busybox nc -w 2 10.200.\(n).2 7000 && exit 0; sleep 0.1; done; exit 1"])
        #expect(client.status == 0, "\(client)")
        server.wait(timeout: 5)
        #expect(server.text.contains("hello-\(t)"), "server got: \(server.text)")
        // The host's network is not involved.
        #expect(try Silo.host("ip -o addr show").stdout.contains("10.200.\(n).") == false)
    }

    /// A namespace linked to the host: the host end is the only device silo makes on the host,
    /// and it goes away with the namespace.
    @Test func linkToTheHost() throws {
        let t = NetTest.token()
        let name = "silo-t-\(t)"
        let dev = "st-\(t)"
        let n = NetTest.subnet()
        defer { NetTest.cleanUp(t) }
        #expect(try Silo.run(["netns", "add", name]).status == 0)
        let link = try Silo.run(["netns", "link", name, "host", "--dev", "host=\(dev)",
                                 "--addr", "\(name)=10.200.\(n).2/24", "--addr", "host=10.200.\(n).1/24"])
        #expect(link.status == 0, "\(link)")
        let ping = try Silo.host("ping -c1 -W3 10.200.\(n).2")
        #expect(ping.status == 0, "\(ping)")
        #expect(try Silo.run(["netns", "delete", name]).status == 0)
        // The namespace had no process left: it is freed, and its veth with it (asynchronously).
        #expect(NetTest.waitUntil { (try? Silo.host("ip link show \(dev)"))?.status != 0 })
    }

    /// `delete --all`, inside a private mount namespace with its own /run/netns, so that no
    /// namespace of the host's is touched.
    @Test func deleteAllInAPrivateRunDirectory() throws {
        let t = NetTest.token()
        defer { NetTest.cleanUp(t) }
        try FileManager.default.createDirectory(atPath: "/run/netns", withIntermediateDirectories: true)
        let silo = Silo.binary
        let script = """
        set -e
        mount -t tmpfs silo-t-\(t) /run/netns
        \(silo) netns add silo-t-\(t)-1
        \(silo) netns add silo-t-\(t)-2
        \(silo) netns list
        \(silo) netns delete --all
        echo after:; ls /run/netns
        """
        let r = try Silo.exec("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "silo-t-\(t)-1\nsilo-t-\(t)-2\nafter:\n", "\(r)")
    }
}
