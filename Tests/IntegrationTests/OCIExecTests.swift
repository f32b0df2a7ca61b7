import Foundation
import SiloSys
import Testing

/// `silo exec` into a running container. `silo create` is not there to make one, so each test
/// starts `silo run ... sleep 1000` in the background (a real silo container, every namespace)
/// and writes its state record by hand into a private `--root`, as create will.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the test rootfs"))
struct OCIExecTests {
    /// A background `silo run` container and its record under a private state root.
    final class Target {
        let silo: pid_t
        let initPid: pid_t
        let dir: URL
        let id = "c1"
        var root: String { dir.appendingPathComponent("root").path }

        init(recordNamespaces: [String]? = nil, startTime: UInt64? = nil, cgroupPaths: [String: String] = [:]) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("silo-ociexec-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
            let args = [Silo.binary, "run", "--rootfs", Silo.rootfs, "--", "sleep", "1000"]
            var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
            defer { for p in argv { free(p) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, Silo.binary, &actions, nil, &argv, environ)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
            silo = pid
            // The container's PID 1 is silo's child; it is ready once it runs sleep.
            var found: pid_t = 0
            for _ in 0..<500 {
                let kids = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
                if let k = kids.split(separator: " ").first.flatMap({ pid_t($0) }),
                   (try? String(contentsOfFile: "/proc/\(k)/comm", encoding: .utf8)) == "sleep\n" {
                    found = k
                    break
                }
                usleep(10_000)
            }
            initPid = found
            guard found > 0 else {
                kill(pid, SIGKILL)
                waitpid(pid, nil, 0)
                throw POSIXError(.ESRCH)
            }
            let stat = try ProcStat.read(found)
            let namespaces = recordNamespaces ?? ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"].filter {
                Host.nsInode($0, pid: "\(found)") != Host.nsInode($0)
            }
            let record: [String: Any] = [
                "ociVersion": "1.0.2", "id": id, "status": "running", "pid": Int(found),
                "pidStartTime": startTime ?? stat.startTime, "bundle": dir.path, "rootfs": Silo.rootfs,
                "created": "2026-12-04T00:00:00Z", "owner": 0, "namespaces": namespaces, "cgroupPaths": cgroupPaths,
            ]
            let cdir = dir.appendingPathComponent("root/\(id)")
            try FileManager.default.createDirectory(at: cdir, withIntermediateDirectories: true)
            chmod(dir.appendingPathComponent("root").path, 0o711)
            try JSONSerialization.data(withJSONObject: record).write(to: cdir.appendingPathComponent("state.json"))
        }

        /// `silo exec --root R [OPTIONS] ID ARGS...`
        func exec(_ options: [String], _ args: [String], timeout: Double = 30) throws -> Silo.Result {
            try Silo.run(["exec", "--root", root] + options + [id] + (args.isEmpty ? [] : ["--"] + args), timeout: timeout)
        }

        /// The container's init dies by SIGKILL (as PID 1 it ignores SIGTERM); silo sees it exit
        /// and removes what it made, its cgroup included, before it exits itself.
        func stop() {
            kill(initPid, SIGKILL)
            waitpid(silo, nil, 0)
            Target.awaitGone(initPid)
            try? FileManager.default.removeItem(at: dir)
        }

        /// Gone or a zombie (its reaper is not the test), within two seconds.
        static func awaitGone(_ pid: pid_t) {
            for _ in 0..<200 {
                guard let st = try? ProcStat.read(pid), !st.hasExited else { return }
                usleep(10_000)
            }
        }

        /// `silo exec ... ARGS` started in the background, stdio on /dev/null.
        func spawnExec(_ args: [String]) throws -> pid_t {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
            let all = [Silo.binary, "exec", "--root", root, id, "--"] + args
            var argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
            defer { for p in argv { free(p) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, Silo.binary, &actions, nil, &argv, environ)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
            return pid
        }

        func ns(_ kind: String) -> String { Host.nsInode(kind, pid: "\(initPid)") }
    }

    @Test func joinsEveryNamespaceOfTheContainer() throws {
        let before = Host.Snapshot.take()
        let t = try Target()
        let kinds = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"] + (Host.hasTimeNamespaces ? ["time"] : [])
        let script = kinds.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ")
            + "; echo; cat /proc/self/uid_map; hostname; id; pwd; cat /proc/1/comm; echo $$"
        let r = try t.exec([], ["sh", "-c", script])
        let inits = kinds.map { t.ns($0) }
        let uidMap = (try? String(contentsOfFile: "/proc/\(t.initPid)/uid_map", encoding: .utf8)) ?? "?"
        let hostname = try Silo.host("nsenter -t \(t.initPid) -u hostname").stdout
        t.stop()
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(lines.prefix(kinds.count)) == inits, "\(r)")
        for (kind, inode) in zip(kinds, inits) { #expect(inode != Host.nsInode(kind), "the container shares the \(kind) namespace: \(inode)") }
        #expect(r.stdout.contains(uidMap), "\(r)")
        let rest = Array(lines.dropFirst(kinds.count + 1 + uidMap.split(separator: "\n").count))
        #expect(rest.first == hostname.trimmingCharacters(in: .newlines), "\(r)")
        #expect(rest.dropFirst().first?.hasPrefix("uid=0(root) gid=0(root)") == true, "\(r)")
        #expect(rest.dropFirst(2).first == "/", "\(r)")
        #expect(rest.dropFirst(3).first == "sleep", "the container's /proc shows its init as PID 1: \(r)")
        #expect(Int(rest.dropFirst(4).first ?? "") ?? 0 > 1, "\(r)")
        #expect(Host.Snapshot.take() == before)
    }

    @Test func exitStatusPassesThrough() throws {
        let t = try Target()
        defer { t.stop() }
        #expect(try t.exec([], ["sh", "-c", "exit 7"]).status == 7)
        #expect(try t.exec([], ["sh", "-c", "kill -9 $$"]).status == 137)
        #expect(try t.exec([], ["true"]).status == 0)
    }

    @Test func missingAndUnrunnableCommands() throws {
        let t = try Target()
        defer { t.stop() }
        let missing = try t.exec([], ["/nonexistent"])
        #expect(missing.status == 127, "\(missing)")
        #expect(missing.stderr.contains("no such file or directory"), "\(missing)")
        let unknown = try t.exec([], ["nosuchcommand"])
        #expect(unknown.status == 127, "\(unknown)")
        #expect(unknown.stderr.contains("executable file not found in $PATH"), "\(unknown)")
        let denied = try t.exec([], ["/etc/passwd"])
        #expect(denied.status == 126, "\(denied)")
        #expect(denied.stderr.contains("permission denied"), "\(denied)")
    }

    @Test func detachWritesTheHostPidAndLeavesTheProcessRunning() throws {
        let t = try Target()
        defer { t.stop() }
        let pidFile = t.dir.appendingPathComponent("exec.pid").path
        let r = try t.exec(["--detach", "--pid-file", pidFile], ["sh", "-c", "exec sleep 77 </dev/null >/dev/null 2>&1"])
        #expect(r.status == 0, "\(r)")
        let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        #expect(!text.hasSuffix("\n"))
        let pid = pid_t(text) ?? 0
        #expect(pid > 0)
        #expect((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) == "sleep\u{0}77\u{0}")
        #expect(Host.nsInode("pid", pid: "\(pid)") == t.ns("pid"))
        #expect(Host.nsInode("mnt", pid: "\(pid)") == t.ns("mnt"))
        // Not silo's: silo has exited, the process runs on.
        let ppid = (try? ProcStat.read(pid))?.ppid ?? 0
        #expect(ppid != t.silo && kill(ppid, 0) == 0)
        kill(pid, SIGKILL)
    }

    @Test func ttyMasterGoesOverTheConsoleSocket() throws {
        let t = try Target()
        defer { t.stop() }
        let path = t.dir.appendingPathComponent("console.sock").path
        let listener = try UnixSocket.listen(path)
        defer { close(listener) }
        let pidFile = t.dir.appendingPathComponent("tty.pid").path
        let r = try t.exec(["--tty", "--console-socket", path, "--detach", "--pid-file", pidFile], ["sh", "-c", "tty; readlink /proc/self/fd/0; exec sleep 30"])
        #expect(r.status == 0, "\(r)")
        let conn = accept(listener, nil, nil)
        #expect(conn >= 0)
        defer { close(conn) }
        let (master, payload) = try UnixSocket.receive(over: conn)
        defer { close(master) }
        #expect(payload == [0x20])
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(master)")) == "/dev/pts/ptmx")
        // Exactly one fd came: nothing more is queued on the socket.
        var more = [UInt8](repeating: 0, count: 8)
        #expect(recv(conn, &more, more.count, Int32(MSG_DONTWAIT)) <= 0)
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 512)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, out.filter({ $0 == 0x0A }).count < 2 {
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            let n = read(master, &buf, buf.count)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        let lines = String(decoding: out, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.first?.hasPrefix("/dev/pts/") == true, "\(lines)")
        #expect(lines.dropFirst().first == lines.first, "stdin is the pty: \(lines)")
        // The container's own devpts: the number counts from 0 there, the host's pts dir lacks it or is another.
        let pid = pid_t((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "") ?? 0
        let fd0 = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/0")) ?? ""
        #expect(fd0 == lines.first, "\(fd0)")
        let devpts = try Silo.host("stat -L -c %d /proc/\(pid)/fd/0; stat -c %d /dev/pts/ptmx").stdout.split(separator: "\n")
        #expect(devpts.count == 2 && devpts[0] != devpts[1], "the pty is not the host's devpts: \(devpts)")
        kill(pid, SIGKILL)
    }

    @Test func signalsAreForwarded() throws {
        let t = try Target()
        defer { t.stop() }
        let pid = try t.spawnExec(["sh", "-c", "trap 'exit 5' TERM; echo > /tmp/ready; while :; do sleep 0.05; done"])
        // Ready once the trap is set: the file appears in the container's /tmp.
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: "/proc/\(t.initPid)/root/tmp/ready") { usleep(10_000) }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        var done: pid_t = 0
        for _ in 0..<500 where done == 0 {
            done = waitpid(pid, &status, WNOHANG)
            if done == 0 { usleep(10_000) }
        }
        if done == 0 {  // not forwarded: silo blocks SIGTERM and waits on
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        #expect(done == pid && (status >> 8) & 0xff == 5, "silo exec exited \(status)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/cgroup.procs"), "needs the cgroup v1 pids hierarchy"))
    func joinsTheRecordedCgroup() throws {
        let name = "silo-ociexec-\(UInt32.random(in: 0...UInt32.max))"
        let dir = "/sys/fs/cgroup/pids/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { rmdir(dir) }
        let t = try Target(cgroupPaths: ["pids": dir])
        defer { t.stop() }
        let pidFile = t.dir.appendingPathComponent("exec.pid").path
        let r = try t.exec(["--detach", "--pid-file", pidFile], ["sh", "-c", "exec sleep 50 </dev/null >/dev/null 2>&1"])
        #expect(r.status == 0, "\(r)")
        let pid = pid_t((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "") ?? 0
        let cgroup = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        #expect(cgroup.contains("pids:/\(name)\n"), "\(cgroup)")
        kill(pid, SIGKILL)
        Target.awaitGone(pid)
    }

    /// Without --console-socket silo relays the pty itself (TerminalTests drive it from a
    /// terminal); detached, nobody would hold the master: refused.
    @Test func ttyWithoutConsoleSocketIsRelayedOrRefusedDetached() throws {
        let t = try Target()
        defer { t.stop() }
        let r = try t.exec(["--tty"], ["sh", "-c", "tty; exit 3"])
        #expect(r.status == 3 && r.stdout.hasPrefix("/dev/pts/"), "\(r)")
        let d = try t.exec(["--tty", "--detach"], ["true"])
        #expect(d.status == 125, "\(d)")
        #expect(d.stderr.contains("--console-socket"), "\(d)")
    }

    func runProcessFile(_ t: Target, _ process: [String: Any]) throws -> (Silo.Result, [String]) {
        let file = t.dir.appendingPathComponent("process.json")
        try JSONSerialization.data(withJSONObject: process).write(to: file)
        let r = try t.exec(["--process", file.path], [])
        return (r, r.stdout.split(separator: "\n").map(String.init))
    }

    @Test func processFileSetsUserEnvCwdAndLimits() throws {
        let t = try Target()
        defer { t.stop() }
        let (r, lines) = try runProcessFile(t, [
            "args": ["sh", "-c", "id -u; id -g; echo $FOO; pwd; umask; ulimit -n; grep -E '^Cap(Bnd|Eff)|NoNewPrivs' /proc/self/status"],
            "env": ["PATH=/bin:/usr/bin", "FOO=bar"], "cwd": "/tmp",
            "user": ["uid": 1000, "gid": 1000, "umask": 23],
            "capabilities": ["bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]],
            "rlimits": [["type": "RLIMIT_NOFILE", "soft": 100, "hard": 200]],
            "noNewPrivileges": true,
        ])
        #expect(r.status == 0, "\(r)")
        #expect(Array(lines.prefix(6)) == ["1000", "1000", "bar", "/tmp", "0027", "100"], "\(r)")
        #expect(lines.contains { $0.hasPrefix("CapBnd:") && $0.hasSuffix("0000000000000021") }, "\(r)")
        // A user other than root keeps no capability across execve without the ambient set,
        // which silo does not raise (docs/oci.md, "exec").
        #expect(lines.contains { $0.hasPrefix("CapEff:") && $0.hasSuffix("0000000000000000") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("NoNewPrivs:") && $0.hasSuffix("1") }, "\(r)")
    }

    @Test func processFileSetsRootsCapabilities() throws {
        let t = try Target()
        defer { t.stop() }
        let (r, lines) = try runProcessFile(t, [
            "args": ["grep", "-E", "^Cap(Bnd|Eff|Prm|Inh)|NoNewPrivs", "/proc/self/status"], "cwd": "/",
            "capabilities": ["bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]],
        ])
        #expect(r.status == 0, "\(r)")
        #expect(lines.contains { $0.hasPrefix("CapBnd:") && $0.hasSuffix("0000000000000021") }, "\(r)")
        // execve gives root the whole bounding set (capabilities(7), "root"): bounding decides.
        #expect(lines.contains { $0.hasPrefix("CapEff:") && $0.hasSuffix("0000000000000021") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("CapPrm:") && $0.hasSuffix("0000000000000021") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("CapInh:") && $0.hasSuffix("0000000000000000") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("NoNewPrivs:") && $0.hasSuffix("0") }, "\(r)")
    }

    @Test func stoppedContainerIsRefused() throws {
        // A record whose start time is not the process's: the pid was reused, the container is gone.
        let reused = try Target(startTime: 1)
        let r = try reused.exec([], ["true"])
        reused.stop()
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.contains("cannot exec in a stopped container"), "\(r)")

        let t = try Target()
        let root = t.root
        kill(t.initPid, SIGKILL)  // the container stops; silo cleans up and exits
        waitpid(t.silo, nil, 0)
        Target.awaitGone(t.initPid)
        let after = try Silo.run(["exec", "--root", root, t.id, "true"])
        t.stop()
        #expect(after.status == 125, "\(after)")
        #expect(after.stderr.contains("cannot exec in a stopped container"), "\(after)")
    }
}
