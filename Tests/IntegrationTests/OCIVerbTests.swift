import Foundation
import SiloKit
import SiloSys
import Testing

/// The runc-compatible verbs over containers made directly in a private `--root`: a record
/// pointing at a real `sleep` (in its own PID namespace, as a container's init is), then
/// `silo --root R state/list/ps/kill/delete` checked for output, status, exit code and the
/// strings engines match. Every test leaves R empty and removes it.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root: PID namespaces and signals to root-owned processes"))
struct OCIVerbTests {
    /// A state root under /tmp, removed when the fixture goes.
    final class Root {
        let path = "/tmp/silo-ocicli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var store: ContainerStateStore { try! ContainerStateStore(root: path) }
        var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func silo(_ args: [String]) throws -> Silo.Result { try Silo.run(["--root", path] + args, timeout: 30) }

        /// A record of a running container whose init is `pid`.
        func record(_ id: String, pid: pid_t, startTime: UInt64? = nil, bundle: String = "/tmp/nonexistent-bundle") throws {
            try store.create(id: id)
            let start = try startTime ?? ProcStat.read(pid).startTime
            try store.save(ContainerRecord(id: id, status: .running, pid: pid, pidStartTime: start, bundle: bundle,
                                           rootfs: bundle + "/rootfs"))
        }
    }

    /// `unshare --pid --fork --mount-proc sleep 1000`: the sleep is PID 1 of a new PID namespace.
    /// Returns (unshare's pid, to reap, and the sleep's host pid, the "init").
    static func initInPidNamespace() throws -> (parent: pid_t, pid: pid_t) {
        let parent = spawn(["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/sleep", "1000"])
        for _ in 0..<300 {
            let kids = (try? String(contentsOfFile: "/proc/\(parent)/task/\(parent)/children", encoding: .utf8)) ?? ""
            if let pid = kids.split(separator: " ").first.flatMap({ pid_t($0) }),
               let s = try? ProcStat.read(pid), s.comm == "sleep" { return (parent, pid) }
            usleep(10_000)
        }
        kill(parent, SIGKILL)
        reap(parent)
        throw CocoaError(.fileNoSuchFile)
    }

    static func spawn(_ argv: [String]) -> pid_t {
        var pid: pid_t = 0
        let rc = SpawnAttributes.withDefaultSignals { attr in
            CStringArray.with(argv) { a in posix_spawn(&pid, argv[0], nil, attr, UnsafeMutablePointer(mutating: a), environ) }
        }
        precondition(rc == 0, "spawn \(argv): \(rc)")
        return pid
    }

    /// Kills and reaps `pid` only while it is still our unreaped child: once reaped, the pid may
    /// belong to someone else's process by now.
    static func end(_ pid: pid_t) {
        var st: Int32 = 0
        guard waitpid(pid, &st, WNOHANG) == 0 else { return }
        kill(pid, SIGKILL)
        reap(pid)
    }

    /// Reaps `pid` if it exits within `seconds`: a kill that failed makes the test fail, not hang.
    static func exited(_ pid: pid_t, within seconds: Double = 5) -> Bool { waitStatus(pid, within: seconds) != nil }

    static func waitStatus(_ pid: pid_t, within seconds: Double = 5) -> Int32? {
        var st: Int32 = 0
        for _ in 0..<Int(seconds * 100) {
            if waitpid(pid, &st, WNOHANG) == pid { return st }
            usleep(10_000)
        }
        return nil
    }

    static func reap(_ pid: pid_t) {
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
    }

    static func alive(_ pid: pid_t) -> Bool {
        guard let s = try? ProcStat.read(pid) else { return false }
        return !s.hasExited
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    @Test func stateListAndPsOfARunningContainer() throws {
        let root = Root()
        let (parent, pid) = try Self.initInPidNamespace()
        defer { Self.end(parent) }
        try root.record("c1", pid: pid)

        let state = try root.silo(["state", "c1"])
        #expect(state.status == 0, "\(state)")
        let s = try #require(try Self.json(state.stdout) as? [String: Any])
        #expect(s["status"] as? String == "running")
        #expect(s["pid"] as? Int == Int(pid))
        #expect(s["id"] as? String == "c1")
        #expect(s["bundle"] as? String == "/tmp/nonexistent-bundle")
        #expect(state.stdout.hasPrefix("{\n  \"ociVersion\""), "indented as runc's")

        let table = try root.silo(["list"])
        #expect(table.stdout.hasPrefix("ID          PID         STATUS"), "\(table)")
        #expect(table.stdout.contains("c1          \(pid)"), "\(table)")
        let list = try #require(try Self.json(try root.silo(["list", "--format", "json"]).stdout) as? [[String: Any]])
        #expect(list.map { $0["status"] as? String } == ["running"])
        #expect(try root.silo(["list", "-q"]).stdout == "c1\n")

        // The sleep is the only process of its PID namespace (unshare stays outside it).
        let ps = try root.silo(["ps", "--format", "json", "c1"])
        #expect(ps.status == 0, "\(ps)")
        #expect(try Self.json(ps.stdout) as? [Int] == [Int(pid)])
        let psTable = try root.silo(["ps", "c1"])
        #expect(psTable.stdout.split(separator: "\n").count == 2, "\(psTable)")
        #expect(psTable.stdout.contains("sleep 1000"), "\(psTable)")

        // A running container needs --force.
        let del = try root.silo(["delete", "c1"])
        #expect(del.status == 1)
        #expect(del.stderr == "silo: cannot delete container c1 that is not stopped: running\n")
        #expect(Self.alive(pid))
        let force = try root.silo(["delete", "--force", "c1"])
        #expect(force.status == 0, "\(force)")
        #expect(!Self.alive(pid), "delete --force killed the init")
        #expect(root.entries.isEmpty)
    }

    @Test func killByNameThenTheStoppedContainerIsNotRunning() throws {
        let root = Root()
        let (parent, pid) = try Self.initInPidNamespace()
        defer { Self.end(parent) }
        try root.record("c2", pid: pid)

        let k = try root.silo(["kill", "c2", "sigkill"])
        #expect(k.status == 0, "\(k)")
        #expect(Self.exited(parent))  // unshare exits with its child, which it reaps
        #expect(!Self.alive(pid))
        let state = try #require(try Self.json(try root.silo(["state", "c2"]).stdout) as? [String: Any])
        #expect(state["status"] as? String == "stopped")
        #expect(state["pid"] as? Int == 0, "runc prints pid 0 once stopped")

        let again = try root.silo(["kill", "c2", "9"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("container not running"), "containerd matches it: \(again)")
        #expect(try root.silo(["kill", "--all", "c2", "KILL"]).status == 0, "runc: --all on a stopped container succeeds")
        #expect(try root.silo(["delete", "c2"]).status == 0)
        #expect(root.entries.isEmpty)
    }

    /// containerd deletes, then at once deletes --force from its cleanup process: the lock
    /// makes one of them remove the container and the other find it gone, both with status 0.
    @Test func twoConcurrentDeletesBothSucceed() throws {
        let root = Root()
        let (parent, pid) = try Self.initInPidNamespace()
        defer { Self.end(parent) }
        try root.record("twice", pid: pid)
        nonisolated(unsafe) var results: [Silo.Result?] = [nil, nil]
        let path = root.path
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            results[i] = try? Silo.run(["--root", path, "delete", "--force", "twice"], timeout: 30)
        }
        for r in results { #expect(r?.status == 0, "\(String(describing: r))") }
        #expect(!Self.alive(pid))
        #expect(root.entries.isEmpty)
    }

    @Test func aRelativeRootIsTakenFromTheCurrentDirectory() throws {
        let root = Root()
        try root.store.create(id: "rel")
        let parentDir = (root.path as NSString).deletingLastPathComponent
        let name = (root.path as NSString).lastPathComponent
        let r = try Silo.host("cd \(parentDir) && \(Silo.binary) --root \(name) list -q")
        #expect(r.stdout == "rel\n", "\(r)")
        #expect(try Silo.host("cd \(parentDir) && \(Silo.binary) --root=\(name) delete rel").status == 0)
        #expect(root.entries.isEmpty)
    }

    @Test func killDefaultsToSIGTERMAndTakesNumbers() throws {
        let root = Root()
        // A plain sleep (no PID namespace): SIGTERM's default action ends it.
        let pid = Self.spawn(["/bin/sleep", "1000"])
        defer { Self.end(pid) }
        try root.record("t1", pid: pid)
        #expect(try root.silo(["kill", "t1"]).status == 0)
        let st = Self.waitStatus(pid)
        #expect(st.map { $0 & 0x7F } == SIGTERM, "killed by SIGTERM")
        let bad = try root.silo(["kill", "t1", "SIGNOPE"])
        #expect(bad.status == 1)
        #expect(bad.stderr == "silo: unknown signal \"SIGNOPE\"\n")
        #expect(try root.silo(["delete", "t1"]).status == 0)
        #expect(root.entries.isEmpty)
    }

    @Test func unknownIdsAreDoesNotExistAndDeleteForceSucceeds() throws {
        let root = Root()
        _ = root.store
        for verb in [["state", "nope"], ["kill", "nope", "9"], ["delete", "nope"], ["pause", "nope"], ["ps", "nope"]] {
            let r = try root.silo(verb)
            #expect(r.status == 1, "\(verb): \(r)")
            #expect(r.stderr == "silo: container \"nope\" does not exist\n", "\(verb)")
        }
        let f = try root.silo(["delete", "--force", "nope"])
        #expect(f.status == 0, "\(f)")
        #expect(f.stderr.isEmpty)
        #expect(try Silo.run(["--root", root.path + "/missing", "delete", "--force", "nope"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: root.path + "/missing"), "a delete --force creates no root")
        #expect(root.entries.isEmpty)
    }

    @Test func theLogGetsOneJSONErrorLinePerFailure() throws {
        let root = Root()
        _ = root.store
        let log = root.path + "/../silo-ocicli-log-\(getpid()).json"
        defer { unlink(log) }
        let a = try Silo.run(["--root", root.path, "--log", log, "--log-format", "json", "kill", "gone", "9"])
        let b = try Silo.run(["--log-format=json", "--log=\(log)", "--root=\(root.path)", "state", "gone2"])
        #expect(a.status == 1 && b.status == 1)
        #expect(a.stderr == "silo: container \"gone\" does not exist\n", "the error still goes to stderr")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for (line, id) in zip(lines, ["gone", "gone2"]) {
            let o = try #require(try Self.json(String(line)) as? [String: String])
            #expect(o["level"] == "error")
            #expect(o["msg"] == "container \"\(id)\" does not exist")
            #expect(o["time"]?.count == 20 && o["time"]?.hasSuffix("Z") == true)
        }
        #expect(lines[0].hasPrefix(#"{"level":"error","msg":"#), "logrus' member order")
        let ok = try Silo.run(["--root", root.path, "--log", log, "--log-format", "json", "list"])
        #expect(ok.status == 0)
        #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count == 2, "success writes nothing")
    }

    @Test func aReusedPidIsStoppedAndNeverSignalled() throws {
        let root = Root()
        let pid = Self.spawn(["/bin/sleep", "1000"])
        defer { Self.end(pid) }
        let real = try ProcStat.read(pid).startTime
        try root.record("old", pid: pid, startTime: real - 1)  // the record's init was another process
        let state = try #require(try Self.json(try root.silo(["state", "old"]).stdout) as? [String: Any])
        #expect(state["status"] as? String == "stopped")
        let k = try root.silo(["kill", "old", "KILL"])
        #expect(k.status == 1)
        #expect(k.stderr.contains("container not running"))
        #expect(try root.silo(["kill", "--all", "old", "KILL"]).status == 0)
        #expect(try root.silo(["delete", "--force", "old"]).status == 0)
        usleep(50_000)
        #expect(Self.alive(pid), "the process that reused the pid was never signalled")
        #expect(try Self.json(try root.silo(["list", "--format", "json"]).stdout) as? [Any] != nil)
        #expect(root.entries.isEmpty)
    }

    @Test func aHalfMadeContainerIsListedAndDeletable() throws {
        let root = Root()
        try root.store.create(id: "half")  // silo killed -9 before state.json
        let list = try #require(try Self.json(try root.silo(["list", "--format", "json"]).stdout) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["status"] as? String == "creating")
        let state = try #require(try Self.json(try root.silo(["state", "half"]).stdout) as? [String: Any])
        #expect(state["status"] as? String == "creating")
        let d = try root.silo(["delete", "half"])
        #expect(d.status == 0, "\(d)")
        #expect(root.entries.isEmpty)
    }

    @Test func deleteRunsTheBundlesPoststopHooksWithTheStoppedState() throws {
        let root = Root()
        let bundle = root.path + "-bundle"
        let out = bundle + "/poststop.out"
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        try """
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
         "hooks": {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \(out)"]}]}}
        """.write(toFile: bundle + "/config.json", atomically: true, encoding: .utf8)
        let pid = Self.spawn(["/bin/true"])
        Self.reap(pid)
        try root.store.create(id: "h1")
        try root.store.save(ContainerRecord(id: "h1", status: .running, pid: pid, pidStartTime: 1, bundle: bundle))
        let d = try root.silo(["delete", "h1"])
        #expect(d.status == 0, "\(d)")
        #expect(d.stderr.isEmpty, "\(d)")
        let s = try #require(try Self.json(try String(contentsOfFile: out, encoding: .utf8)) as? [String: Any])
        #expect(s["status"] as? String == "stopped")
        #expect(s["id"] as? String == "h1")
        #expect(root.entries.isEmpty)
    }

    @Test func cgroupVerbsWithoutACgroupSaySo() throws {
        let root = Root()
        let (parent, pid) = try Self.initInPidNamespace()
        defer { Self.end(parent) }
        try root.record("ng", pid: pid)
        let p = try root.silo(["pause", "ng"])
        #expect(p.status == 1)
        #expect(p.stderr == "silo: pause ng: the container has no cgroup (silo made it without one)\n")
        let resources = root.path + "-resources.json"
        defer { unlink(resources) }
        try #"{"pids": {"limit": 10}}"#.write(toFile: resources, atomically: true, encoding: .utf8)
        let u = try root.silo(["update", "--resources=\(resources)", "ng"])
        #expect(u.status == 1)
        #expect(u.stderr.contains("has no cgroup"), "\(u)")
        #expect(try root.silo(["resume", "ng"]).stderr == "silo: container not paused\n")
        #expect(try root.silo(["delete", "-f", "ng"]).status == 0)
        #expect(root.entries.isEmpty)
    }

    @Test func refusedAndUnknownVerbs() throws {
        let c = try Silo.run(["checkpoint", "x"])
        #expect(c.status == 1)
        #expect(c.stderr == "silo: checkpoint: not supported (criu)\n")
        let s = try Silo.run(["--systemd-cgroup", "create", "x"])
        #expect(s.status != 0)
        #expect(s.stderr == "silo: --systemd-cgroup: not supported, silo manages cgroupfs directly\n")
        #expect(try Silo.run(["frobnicate"]).status == 125)
        for verb in ["state", "kill", "delete", "list", "ps", "pause", "resume", "update", "features", "spec",
                     "checkpoint", "restore", "events"] {
            let h = try Silo.run([verb, "--help"])
            #expect(h.status == 0 && h.stdout.hasPrefix("Usage: silo \(verb)"), "\(verb) is dispatched: \(h)")
        }
        let f = try Silo.run(["features"])
        let features = try #require(try Self.json(f.stdout) as? [String: Any])
        #expect((features["hooks"] as? [String])?.contains("poststop") == true)
    }

    @Test func specWritesConfigJSONOnceAndRefusesToOverwrite() throws {
        let dir = "/tmp/silo-ocicli-spec-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Silo.run(["spec", "--bundle", dir]).status == 0)
        let spec = try #require(try Self.json(try String(contentsOfFile: dir + "/config.json", encoding: .utf8)) as? [String: Any])
        #expect((spec["root"] as? [String: Any])?["path"] as? String == "rootfs")
        let again = try Silo.run(["spec", "--bundle", dir])
        #expect(again.status == 1)
        #expect(again.stderr.contains("exists"))
        try FileManager.default.removeItem(atPath: dir + "/config.json")
        #expect(try Silo.run(["spec", "--rootless", "--bundle", dir]).status == 0)
        let rootless = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        #expect(rootless.contains("uidMappings"))
    }
    // MARK: with a cgroup

    /// A container's cgroup made as create will (`silo-ID` under the caller's, the init joined),
    /// named in the record by path (`byPath`) or found by name.
    static func cgroup(for id: String, pid: pid_t, root: Root, byPath: Bool) throws -> Cgroup {
        let layout = try #require(CgroupHost.layout)
        let cg = try Cgroup.create(name: "silo-" + id, layout: layout, limits: CgroupLimits())
        try cg.join(pid: pid)
        try root.store.create(id: id)
        var rec = ContainerRecord(id: id, status: .running, pid: pid, pidStartTime: try ProcStat.read(pid).startTime, bundle: "/tmp/nonexistent-bundle")
        if byPath {
            for p in cg.places { rec.cgroupPaths[p.hierarchy.version == 2 ? "" : p.hierarchy.controllers.joined(separator: ",")] = p.directory }
        }
        try root.store.save(rec)
        return cg
    }

    static func status(_ root: Root, _ id: String) throws -> String? {
        (try json(try root.silo(["state", id]).stdout) as? [String: Any])?["status"] as? String
    }

    @Test(.enabled(if: CgroupHost.v1Memory, "needs the v1 pids and freezer controllers"), arguments: [true, false])
    func pauseResumeUpdateAndPsThroughTheCgroup(byPath: Bool) throws {
        let root = Root()
        let (parent, pid) = try Self.initInPidNamespace()
        defer { Self.end(parent) }
        let id = "cg\(byPath ? 1 : 2)"
        let cg = try Self.cgroup(for: id, pid: pid, root: root, byPath: byPath)
        defer { try? cg.remove(killing: true) }

        #expect(try Self.json(try root.silo(["ps", "--format", "json", id]).stdout) as? [Int] == [Int(pid)])
        let p = try root.silo(["pause", id])
        #expect(p.status == 0, "\(p)")
        #expect(try Self.status(root, id) == "paused")
        #expect(try ProcStat.read(pid).state == "D" || cg.isFrozen())
        #expect(try root.silo(["resume", id]).status == 0)
        #expect(try Self.status(root, id) == "running")
        #expect(!cg.isFrozen())

        let pidsDir = try #require(cg.places.first { $0.hierarchy.controllers.contains("pids") }?.directory)
        let file = root.path + "-resources.json"
        defer { unlink(file) }
        try #"{"pids": {"limit": 7}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let u = try root.silo(["update", "--resources", file, id])
        #expect(u.status == 0, "\(u)")
        #expect(try String(contentsOfFile: pidsDir + "/pids.max", encoding: .utf8) == "7\n")
        let stdin = try Silo.run(["--root", root.path, "update", "--resources=-", id], stdin: #"{"pids": {"limit": 9}}"#)
        #expect(stdin.status == 0, "\(stdin)")
        #expect(try String(contentsOfFile: pidsDir + "/pids.max", encoding: .utf8) == "9\n")
        let bad = try Silo.run(["--root", root.path, "update", "--resources=-", id], stdin: #"{"pids": {"limit": "x"}}"#)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains(".pids.limit"), "the error names the JSON path: \(bad)")

        // Paused, then delete --force: the SIGKILL is taken (the cgroup is thawed) and the cgroup goes.
        #expect(try root.silo(["pause", id]).status == 0)
        let d = try root.silo(["delete", "--force", id])
        #expect(d.status == 0, "\(d)")
        #expect(!Self.alive(pid))
        #expect(cg.places.allSatisfy { !FileManager.default.fileExists(atPath: $0.directory) }, "delete removed the cgroup")
        #expect(root.entries.isEmpty)
    }
    /// `kill --all` signals every process of the cgroup, not only the init's PID namespace, and
    /// still succeeds once the init is gone; `kill` without --all then says not running.
    @Test(.enabled(if: CgroupHost.v1Memory, "needs the v1 pids and freezer controllers"))
    func killAllReachesEveryProcessOfTheCgroup() throws {
        let root = Root()
        let (parent, pid) = try Self.initInPidNamespace()
        defer { Self.end(parent) }
        // A second process in the cgroup but outside the init's PID namespace.
        let other = Self.spawn(["/bin/sleep", "1000"])
        defer { Self.end(other) }
        let cg = try Self.cgroup(for: "ka", pid: pid, root: root, byPath: true)
        defer { try? cg.remove(killing: true) }
        try cg.join(pid: other)
        #expect(Set(try Self.json(try root.silo(["ps", "--format", "json", "ka"]).stdout) as? [Int] ?? []) == [Int(pid), Int(other)])

        let k = try root.silo(["kill", "--all", "ka", "KILL"])
        #expect(k.status == 0, "\(k)")
        #expect(Self.exited(other), "the process outside the PID namespace was killed too")
        #expect(Self.exited(parent))
        #expect(!Self.alive(pid) && !Self.alive(other))
        #expect(try Self.status(root, "ka") == "stopped")
        #expect(try root.silo(["kill", "--all", "ka", "9"]).status == 0, "runc: --all on a stopped container succeeds")
        #expect(try root.silo(["kill", "ka", "9"]).stderr.contains("container not running"))
        #expect(try root.silo(["delete", "ka"]).status == 0)
        #expect(cg.places.allSatisfy { !FileManager.default.fileExists(atPath: $0.directory) })
        #expect(root.entries.isEmpty)
    }
}
