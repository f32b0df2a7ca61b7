import Foundation
import SiloSys
import Testing

/// `silo run -d` and the verbs over its containers (docs/containers.md), each test under a
/// private state root, checking from inside the container what the kernel did and on the host
/// that `rm` leaves nothing (state, cgroups, processes, veths, mounts).
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the test rootfs"))
struct DetachedTests {
    final class Root {
        let path: String
        init() {
            path = "/tmp/silo-detached-\(UUID().uuidString.prefix(8))"
            mkdir(path, 0o711)
        }
        deinit {
            // Whatever a failed test left: kill through silo, then drop the directory.
            let ids = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for id in ids where !id.hasPrefix(".") { _ = try? Silo.run(["--root", path, "rm", "-f", id], timeout: 30) }
            try? FileManager.default.removeItem(atPath: path)
        }
        func silo(_ args: [String], stdin: String? = nil, timeout: Double = 60) throws -> Silo.Result {
            try Silo.run(["--root", path] + args, stdin: stdin, timeout: timeout)
        }
        /// `run -d` with the test rootfs; the id it printed.
        func start(_ options: [String], _ command: [String], env: [String: String] = [:]) throws -> String {
            let r = try Silo.run(["--root", path, "run", "-d", "--rootfs", Silo.rootfs] + options + ["--"] + command, env: env)
            #expect(r.status == 0, "\(r)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func inspect(_ ref: String) throws -> [String: Any] {
            let r = try silo(["inspect", ref])
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        }
        func psJSON(all: Bool = true) throws -> [[String: Any]] {
            let r = try silo(["ps", "--json"] + (all ? ["-a"] : []))
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: Any]] ?? []
        }
    }

    static func alive(_ pid: Int) -> Bool {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !(s.split(separator: ")").last?.hasPrefix(" Z") ?? true)
    }

    @Test func verbsOverANamedContainer() throws {
        let root = Root()
        let id = try root.start(["--name", "web"], ["sh", "-c", "echo started; exec sleep 1000"])
        #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
        let ps = try root.silo(["ps"])
        #expect(ps.stdout.contains(String(id.prefix(12))) && ps.stdout.contains("web") && ps.stdout.contains("Up"), "\(ps)")
        // The record says it is silo's own, and `state` (the OCI view) sees it too, by name.
        let state = try root.silo(["state", "web"])
        #expect(state.status == 0 && state.stdout.contains("\"running\""), "\(state)")
        let record = try String(contentsOfFile: "\(root.path)/\(id)/state.json", encoding: .utf8)
        #expect(record.contains("\"kind\":\"run\""))

        let info = try root.inspect(String(id.prefix(5)))
        let pid = info["pid"] as? Int ?? 0
        #expect(pid > 0 && info["status"] as? String == "running" && info["name"] as? String == "web")
        let ns = info["namespaces"] as? [String: Int] ?? [:]
        for kind in ["user", "mnt", "pid", "net", "uts", "ipc"] {
            let host = Host.nsInode(kind)
            #expect(ns[kind] != nil && !host.contains("\(ns[kind] ?? 0)"), "\(kind): \(ns) vs host \(host)")
            #expect(Host.nsInode(kind, pid: "\(pid)").contains("\(ns[kind] ?? 0)"))
        }
        #expect((info["uidMap"] as? [String])?.first?.hasPrefix("0 ") == true)
        #expect((info["mounts"] as? [[String: Any]])?.contains { $0["target"] as? String == "/" } == true)
        #expect((info["limits"] as? [String: Any])?["pids.max"] as? String == "2048", "\(info["limits"] ?? "")")
        let cgroups = (info["cgroupPaths"] as? [String: String] ?? [:]).values
        #expect(!cgroups.isEmpty && cgroups.allSatisfy { FileManager.default.fileExists(atPath: $0) })

        let top = try root.silo(["top", "web"])
        #expect(top.status == 0 && top.stdout.contains("sleep 1000"), "\(top)")
        #expect(try root.silo(["logs", "web"]).stdout == "started\n")

        #expect(try root.silo(["kill", "web", "KILL"]).status == 0)
        let wait = try root.silo(["wait", "web"], timeout: 20)
        #expect(wait.status == 0 && wait.stdout == "137\n", "\(wait)")
        #expect(try root.silo(["ps"]).stdout.split(separator: "\n").count == 1)  // header only: exited
        let exited = try root.psJSON().first
        #expect(exited?["status"] as? String == "exited" && exited?["exitCode"] as? Int == 137)

        let rm = try root.silo(["rm", "web"])
        #expect(rm.status == 0, "\(rm)")
        #expect(!FileManager.default.fileExists(atPath: "\(root.path)/\(id)"))
        #expect(cgroups.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        #expect(try root.silo(["inspect", "web"]).status == 125)
    }

    @Test func execStatusEnvUserCwdAndStdin() throws {
        let root = Root()
        _ = try root.start(["--name", "x", "--env", "FROM_RUN=1"], ["sleep", "1000"])
        let plain = try root.silo(["exec", "x", "sh", "-c", "echo $(id -u) $(pwd) ${FOO:-unset}; exit 3"])
        #expect(plain.status == 3 && plain.stdout == "0 / unset\n", "\(plain)")
        let set = try root.silo(["exec", "-e", "FOO=bar", "-u", "1000:1000", "-w", "/tmp", "x", "sh", "-c", "echo $(id -u):$(id -g) $(pwd) $FOO"])
        #expect(set.status == 0 && set.stdout == "1000:1000 /tmp bar\n", "\(set)")
        let piped = try root.silo(["exec", "-i", "x", "sh", "-c", "cat; echo ."], stdin: "through a pipe\n")
        #expect(piped.stdout == "through a pipe\n.\n", "\(piped)")
        // The exec'd process is in the container's PID namespace: it sees the command as PID 1.
        let pid1 = try root.silo(["exec", "x", "cat", "/proc/1/cmdline"])
        #expect(pid1.stdout.hasPrefix("sleep"), "\(pid1)")
        #expect(try root.silo(["exec", "x", "nosuchcommand"]).status == 127)
        #expect(try root.silo(["rm", "-f", "x"]).status == 0)
        #expect(try root.silo(["exec", "x", "true"]).status != 0)
    }

    /// An exec'd process starts from the container's own process, as docker's exec: its user,
    /// working directory, environment and capabilities (`--cap-drop ALL` stays dropped).
    @Test func execStartsFromTheContainersProcess() throws {
        let root = Root()
        _ = try root.start(["--name", "p", "--cap-drop", "ALL", "-u", "1000:1000", "-w", "/tmp", "--env", "FROM_RUN=1"], ["sleep", "1000"])
        let r = try root.silo(["exec", "p", "sh", "-c", "id -u; id -g; pwd; echo $FROM_RUN; grep ^CapBnd: /proc/self/status"])
        #expect(r.status == 0 && r.stdout.split(separator: "\n") == ["1000", "1000", "/tmp", "1", "CapBnd:\t0000000000000000"], "\(r)")
        // Flags win; root's capabilities are still the container's bounding set (none).
        let asRoot = try root.silo(["exec", "-u", "0:0", "-w", "/", "p", "sh", "-c", "id -u; pwd; grep ^CapEff: /proc/self/status"])
        #expect(asRoot.stdout.split(separator: "\n") == ["0", "/", "CapEff:\t0000000000000000"], "\(asRoot)")
        #expect(FileManager.default.fileExists(atPath: "\(root.path)/\(try root.inspect("p")["id"] as? String ?? "")/process.json"))
        #expect(try root.silo(["rm", "-f", "p"]).status == 0)
    }

    /// An exec'd process gets the container's filter: none after `--seccomp unconfined`,
    /// silo's default otherwise (docs/oci.md, "exec").
    @Test func execKeepsTheContainersSeccomp() throws {
        let root = Root()
        _ = try root.start(["--name", "open", "--seccomp", "unconfined"], ["sleep", "1000"])
        _ = try root.start(["--name", "strict"], ["sleep", "1000"])
        let open = try root.silo(["exec", "open", "grep", "^Seccomp:", "/proc/self/status"])
        #expect(open.stdout == "Seccomp:\t0\n", "\(open)")
        let strict = try root.silo(["exec", "strict", "grep", "^Seccomp:", "/proc/self/status"])
        #expect(strict.stdout == "Seccomp:\t2\n", "\(strict)")
        #expect(try root.silo(["rm", "-f", "open", "strict"]).status == 0)
    }

    @Test func logsTailFollowAndCap() throws {
        let root = Root()
        _ = try root.start(["--name", "talk"], ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; echo err $i >&2; sleep 0.2; done; exit 4"])
        // -f starts while it runs and ends when it exits, with every line in order.
        let follow = try root.silo(["logs", "-f", "talk"], timeout: 20)
        let expected = (1...5).map { "line \($0)\nerr \($0)\n" }.joined()
        #expect(follow.status == 0 && follow.stdout == expected, "\(follow)")
        #expect(try root.silo(["logs", "--tail", "2", "talk"]).stdout == "line 5\nerr 5\n")
        #expect(try root.silo(["wait", "talk"]).stdout == "4\n")

        // 200 KiB through an 8 KiB cap: at most the cap in each of the two files, the newest kept.
        let id = try root.start(["--log-max", "8k"], ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo \"row $i ....................................................................................................\"; i=$((i+1)); done"])
        #expect(try root.silo(["wait", id]).stdout == "0\n")
        let log = "\(root.path)/\(id)/container.log"
        let sizes = [log, log + ".1"].map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? -1 }
        #expect(sizes.allSatisfy { $0 > 0 && $0 <= 8192 }, "\(sizes)")
        #expect(try root.silo(["logs", "--tail", "1", String(id.prefix(8))]).stdout.hasPrefix("row 1999 "))
    }

    /// `logs -t`: each line after the time it arrived (RFC 3339, UTC, nine digits), also with
    /// --tail and -f; a log without its times file (an older monitor's) still reads, unstamped;
    /// the times count against --log-max.
    @Test func logsTimestamps() throws {
        let root = Root()
        let before = Date()
        let id = try root.start(["--name", "clock"], ["sh", "-c", "echo one; sleep 1; printf 'two\\nthr'; sleep 0.3; echo ee; exit 0"])
        let follow = try root.silo(["logs", "-f", "-t", "clock"], timeout: 20)
        let after = Date()
        let format = try Regex(#"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{9})Z (.*)$"#)
        func parse(_ output: String) -> [(Date, String)] {
            output.split(separator: "\n").compactMap { line -> (Date, String)? in
                guard let m = try? format.wholeMatch(in: String(line)) else { return nil }
                var c = DateComponents()
                c.timeZone = TimeZone(identifier: "UTC")
                (c.year, c.month, c.day) = (Int(m.output[1].substring!)!, Int(m.output[2].substring!)!, Int(m.output[3].substring!)!)
                (c.hour, c.minute, c.second) = (Int(m.output[4].substring!)!, Int(m.output[5].substring!)!, Int(m.output[6].substring!)!)
                c.nanosecond = Int(m.output[7].substring!)!
                return (Calendar(identifier: .gregorian).date(from: c)!, String(m.output[8].substring!))
            }
        }
        let lines = parse(follow.stdout)
        #expect(follow.status == 0 && lines.map(\.1) == ["one", "two", "three"], "\(follow)")
        if lines.count == 3 {
            #expect(lines[0].0 >= before.addingTimeInterval(-1) && lines[2].0 <= after.addingTimeInterval(1), "\(lines) in \(before)...\(after)")
            let gap = lines[1].0.timeIntervalSince(lines[0].0)
            #expect(gap > 0.9 && gap < 5, "sleep 1 between them: \(gap)")
            #expect(lines[2].0 == lines[1].0, "a line is stamped where it starts: \(lines)")
        }
        #expect(try root.silo(["logs", "-t", "clock"]).stdout == follow.stdout)
        #expect(parse(try root.silo(["logs", "-t", "--tail", "1", "clock"]).stdout).map(\.1) == ["three"])
        #expect(try root.silo(["logs", "clock"]).stdout == "one\ntwo\nthree\n", "the log itself is unchanged")
        unlink("\(root.path)/\(id)/container.log.times")
        #expect(try root.silo(["logs", "-t", "clock"]).stdout == "one\ntwo\nthree\n", "no times: no stamps")

        // A byte every 1.5 ms (each its own entry) through a 4 KiB cap: 1500 bytes of log but
        // some 30 KB of times, which stay under the cap as the log does (they rotate it).
        let small = try root.start(["--log-max", "4k"], ["sh", "-c", "i=0; while [ $i -lt 1500 ]; do printf x; usleep 1500; i=$((i+1)); done"])
        #expect(try root.silo(["wait", small], timeout: 60).stdout == "0\n")
        for file in ["container.log", "container.log.times", "container.log.1", "container.log.1.times"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(root.path)/\(small)/\(file)")[.size] as? Int) ?? -1
            #expect(size >= 0 && size <= 4096, "\(file): \(size)")
        }
        #expect(try root.silo(["rm", "clock", small]).status == 0)
    }

    @Test func stopTimesOutIntoSIGKILL() throws {
        let root = Root()
        // PID 1 without a handler ignores SIGTERM: only the SIGKILL after -t ends it.
        _ = try root.start(["--name", "deaf"], ["sleep", "1000"])
        let t0 = Date()
        let stop = try root.silo(["stop", "-t", "1", "deaf"], timeout: 30)
        let took = Date().timeIntervalSince(t0)
        #expect(stop.status == 0 && took >= 1 && took < 8, "\(stop) in \(took) s")
        #expect(try root.psJSON().first?["exitCode"] as? Int == 137)
        // One that takes SIGTERM stops at once, with its own status.
        _ = try root.start(["--name", "polite", "--init"], ["sleep", "1000"])
        let t1 = Date()
        #expect(try root.silo(["stop", "-t", "20", "polite"], timeout: 30).status == 0)
        #expect(Date().timeIntervalSince(t1) < 5)
        #expect(try root.silo(["wait", "polite"]).stdout == "143\n")
    }

    @Test func aNameIsTakenOnce() throws {
        let root = Root()
        let first = try root.start(["--name", "only"], ["sleep", "1000"])
        let again = try root.silo(["run", "-d", "--name", "only", "--rootfs", Silo.rootfs, "--", "true"])
        #expect(again.status == 125 && again.stderr.contains("already in use"), "\(again)")
        #expect(try root.psJSON().count == 1)
        // An ambiguous prefix is refused by name, not guessed.
        let second = try root.start([], ["sleep", "1000"])
        let common = String(zip(first, second).prefix { $0 == $1 }.map(\.0))
        let ambiguous = try root.silo(["inspect", common])
        #expect(ambiguous.status == 125 && (common.isEmpty || ambiguous.stderr.contains("ambiguous")), "\(ambiguous)")
        #expect(try root.silo(["rm", "-f", "only", second]).status == 0)
        #expect(try root.start(["--name", "only", "--rm"], ["true"]).count == 64)  // free again
    }

    @Test func psTellsTheTruthAfterKill9() throws {
        let root = Root()
        let id = try root.start(["--name", "victim"], ["sleep", "1000"])
        let info = try root.inspect(id)
        let monitor = (info["monitor"] as? [String: Any])?["pid"] as? Int ?? 0
        let pid = info["pid"] as? Int ?? 0
        let cgroups = Array((info["cgroupPaths"] as? [String: String] ?? [:]).values)
        #expect(monitor > 0 && pid > 0)
        kill(pid_t(monitor), SIGKILL)
        // The command dies with its monitor (parent-death signal): nothing holds its locks now.
        #expect(NetTest.waitUntil { !Self.alive(pid) })
        let row = try root.psJSON().first
        #expect(row?["status"] as? String == "exited" && row?["exitCode"] is NSNull, "\(row ?? [:])")
        let wait = try root.silo(["wait", "victim"], timeout: 10)
        #expect(wait.status == 125 && wait.stderr.contains("unknown"), "\(wait)")
        // No verb hangs on it: each returns within its timeout, saying what is true.
        let follow = try root.silo(["logs", "-f", "victim"], timeout: 10)
        #expect(follow.status == 0, "\(follow)")
        let exec = try root.silo(["exec", "victim", "true"], timeout: 10)
        #expect(exec.status == 125 && exec.stderr.contains("stopped"), "\(exec)")
        #expect(try root.silo(["top", "victim"], timeout: 10).stderr.contains("not running"))
        #expect(try root.silo(["stop", "victim"], timeout: 10).status == 0)
        #expect(try root.silo(["rm", "victim"], timeout: 10).status == 0)
        #expect(cgroups.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "\(cgroups)")

        // The front killed at points of the start: each container either runs or reads as
        // exited, never "creating" forever, and rm -f takes all of it.
        for delay: UInt32 in [0, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000] {
            try Silo.killAfter(["--root", root.path, "run", "-d", "--rootfs", Silo.rootfs, "--", "sleep", "1000"], delay: delay)
        }
        #expect(NetTest.waitUntil { ((try? root.psJSON()) ?? []).allSatisfy { $0["status"] as? String != "creating" } })
        for row in try root.psJSON() {
            #expect(try root.silo(["rm", "-f", row["id"] as? String ?? "?"], timeout: 30).status == 0)
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }.isEmpty)
    }

    /// `run -d` typed at a terminal that then closes (a terminal window, an ssh session): the
    /// kernel hangs the session up, SIGHUP to its leader and foreground group. The monitor is a
    /// session leader of its own without a terminal, so neither it nor the container notices;
    /// it stays in the caller's cgroups (docs/containers.md, "The monitor's session and cgroup").
    @Test(.enabled(if: PtyDriver.available, "needs python3"))
    func monitorOutlivesTheCallersTerminal() throws {
        let root = Root()
        let start = "\(Silo.binary) --root \(root.path) run -d --name hup --rootfs \(Silo.rootfs) -- sleep 1000 && echo started && sleep 100"
        let r = try PtyDriver.drive(["sh", "-c", start], steps: [["expect": "started"], ["hangup": true]], timeout: 20)
        #expect(r.failed == nil && r.status == -Int(SIGHUP), "the caller's shell ends with the hangup: \(r)")
        let info = try root.inspect("hup")
        let monitor = (info["monitor"] as? [String: Any])?["pid"] as? Int ?? 0
        #expect(info["status"] as? String == "running" && monitor > 0 && Self.alive(monitor), "\(info)")
        // /proc/PID/stat after the command's name: state, ppid, pgrp, session, tty_nr.
        let stat = (try? String(contentsOfFile: "/proc/\(monitor)/stat", encoding: .utf8)) ?? ""
        let f = stat.split(separator: ")").last?.split(separator: " ").map(String.init) ?? []
        #expect(f.count > 5 && f[2] == "\(monitor)" && f[3] == "\(monitor)" && f[4] == "0",
                "the monitor leads its own group and session, without a terminal: \(f.prefix(6))")
        let mine = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        #expect(try String(contentsOfFile: "/proc/\(monitor)/cgroup", encoding: .utf8) == mine, "the caller's cgroups")
        #expect(try root.silo(["exec", "hup", "true"]).status == 0)
        let stop = try root.silo(["stop", "-t", "1", "hup"], timeout: 30)
        let wait = try root.silo(["wait", "hup"], timeout: 10)
        #expect(stop.status == 0 && wait.stdout == "137\n", "\(stop) \(wait)")
        #expect(try root.silo(["rm", "hup"]).status == 0)
        #expect(NetTest.waitUntil { !Self.alive(monitor) })
    }

    /// pause and resume find a container as stop, rm and inspect do: by name, by unique prefix.
    @Test func pauseAndResumeTakeNamesAndPrefixes() throws {
        let root = Root()
        let id = try root.start(["--name", "cold"], ["sleep", "1000"])
        let freezer = (try root.inspect(id)["cgroupPaths"] as? [String: String] ?? [:]).first { $0.key.contains("freezer") || $0.key.isEmpty }
        let pause = try root.silo(["pause", "cold"])
        #expect(pause.status == 0, "\(pause)")
        #expect(try root.silo(["state", "cold"]).stdout.contains("\"paused\""))
        if let (kind, dir) = freezer {
            let state = try String(contentsOfFile: dir + (kind.isEmpty ? "/cgroup.freeze" : "/freezer.state"), encoding: .utf8)
            #expect(state.hasPrefix("FROZEN") || state.hasPrefix("1"), "the kernel froze it: \(state)")
        }
        let resume = try root.silo(["resume", String(id.prefix(7))])
        #expect(resume.status == 0, "\(resume)")
        #expect(try root.silo(["state", id]).stdout.contains("\"running\""))
        #expect(try root.silo(["pause", "nosuch"]).stderr.contains("does not exist"))
        #expect(try root.silo(["rm", "-f", "cold"], timeout: 30).status == 0)
    }

    @Test func bridgedContainerLeavesNoVeth() throws {
        let root = Root()
        let t = NetTest.token()
        let bridge = "dt-\(t)"
        defer { NetTest.cleanUp(t) }
        let id = try root.start(["--network", "bridge:\(bridge)"], ["sleep", "1000"],
                                env: ["SILO_BRIDGE_SUBNET": "10.200.\(NetTest.subnet()).0/24"])
        let info = try root.inspect(id)
        let veth = (info["network"] as? [String: String])?["veth"] ?? ""
        #expect(!veth.isEmpty && (info["addresses"] as? [String])?.contains { $0.hasPrefix("10.200.") } == true, "\(info)")
        #expect(try Silo.host("ip -o link show master \(bridge)").stdout.contains(veth))
        #expect(try root.silo(["rm", "-f", id], timeout: 30).status == 0)
        #expect(NetTest.waitUntil { ((try? Silo.host("ip -o link show master \(bridge)"))?.stdout ?? "x").isEmpty })
    }

    @Test func nothingLeftAfterRemovingAHundred() async throws {
        let root = Root()
        let before = Host.Snapshot.take()
        var ids: [String] = []
        for _ in 0..<100 { ids.append(try root.start([], ["sleep", "1000"])) }
        let rows = try root.psJSON(all: false)
        #expect(rows.count == 100)
        var pids: [Int] = [], cgroups: [String] = []
        for id in ids {
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(root.path)/\(id)/state.json"))) as? [String: Any]
            pids += [record?["pid"] as? Int ?? 0, record?["monitorPid"] as? Int ?? 0]
            cgroups += (record?["cgroupPaths"] as? [String: String] ?? [:]).values
        }
        #expect(pids.allSatisfy { Self.alive($0) } && cgroups.count >= 100)
        let rm = try root.silo(["rm", "-f"] + ids, timeout: 300)
        #expect(rm.status == 0, "\(rm)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }.isEmpty)
        #expect(pids.allSatisfy { !Self.alive($0) })
        #expect(cgroups.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        #expect(Host.Snapshot.take().mounts == before.mounts)
    }
}
