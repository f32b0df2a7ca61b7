import Foundation
import Testing
import SiloKit
import SiloSpec

/// `silo create` / `start` / `run --bundle` from OCI bundles, against the real kernel. The
/// container's process writes what it sees into a host directory bound at /out; every test ends
/// by killing the init, removing the state and checking nothing is left.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct OCILifecycleTests {
    /// A bundle under /tmp: a copy of the busybox rootfs, a config, a private --root, /out.
    final class Bundle {
        let dir: String
        let root: String
        var spec: OCISpec
        var out: String { dir + "/out" }

        init(userNamespace: Bool = false, script: String) throws {
            dir = "/tmp/silo-ocilife-" + UUID().uuidString.prefix(8).lowercased()
            root = dir + "-state"
            try Silo.host("mkdir -p \(dir)/out && cp -a \(Silo.rootfs) \(dir)/rootfs && mkdir -p \(dir)/rootfs/out").check()
            spec = OCISpec.defaultConfig(rootless: false)
            spec.process!.terminal = false
            spec.process!.args = ["sh", "-c", script]
            spec.root!.readonly = false
            spec.mounts.append(OCISpec.Mount(destination: "/out", type: "bind", source: dir + "/out", options: ["rbind", "rw"]))
            if userNamespace {
                spec.linux!.namespaces.append(OCISpec.Namespace(.user))
                spec.linux!.uidMappings = [OCISpec.IDMapping(containerID: 0, hostID: 300000, size: 65536)]
                spec.linux!.gidMappings = [OCISpec.IDMapping(containerID: 0, hostID: 300000, size: 65536)]
                try Silo.host("chown 300000:300000 \(dir)/out").check()
            }
        }

        func write() throws {
            try spec.json.encoded(indent: " ").write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        }

        /// `silo --root R VERB ARGS` with stdio on files: the init keeps create's stdout and
        /// stderr, so a pipe would never see EOF.
        func silo(_ args: [String]) throws -> Silo.Result {
            let quoted = ([Silo.binary, "--root", root] + args).map { "'\($0)'" }.joined(separator: " ")
            let r = try Silo.host("cd \(dir) && \(quoted) >\(dir)/silo.out 2>\(dir)/silo.err; echo $?")
            let out = (try? String(contentsOfFile: dir + "/silo.out", encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: dir + "/silo.err", encoding: .utf8)) ?? ""
            return Silo.Result(status: Int32(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1, stdout: out, stderr: err)
        }

        func record(_ id: String) throws -> ContainerRecord? {
            try ContainerStateStore(root: root).load(id: id)
        }

        /// Waits until `file` in /out exists with content (the container wrote it and exited).
        func result(_ file: String = "result", seconds: Double = 10) -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let s = try? String(contentsOfFile: out + "/" + file, encoding: .utf8), s.hasSuffix("END\n") { return s }
                usleep(20_000)
            }
            return nil
        }

        /// Kills what is left, removes the state, and checks the host: no process, no mount of
        /// the bundle, no state dir.
        func destroy(_ ids: [String]) throws {
            let store = try ContainerStateStore(root: root)
            for id in ids {
                let record = (try? store.load(id: id)) ?? nil
                if let pid = record?.pid { kill(pid, SIGKILL) }
                // The container's cgroup goes too (what `silo delete` would remove).
                if let record, let cg = ContainerCgroup.open(id: id, record: record) {
                    usleep(50_000)
                    try? cg.remove(killing: true)
                    for dir in record.cgroupPaths.values { #expect(!FileManager.default.fileExists(atPath: dir), "cgroup \(dir) left") }
                }
                if store.exists(id: id) { try store.remove(id: id) }
                #expect(!store.exists(id: id))
            }
            usleep(100_000)
            let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
            #expect(!mounts.contains(dir), "a mount of the bundle is left on the host")
            let procs = try Silo.host("ps -eo args | grep -F '\(dir)' | grep -v grep || true").stdout
            #expect(procs.isEmpty, "processes left: \(procs)")
            try Silo.host("rm -rf \(dir) \(root)").check()
        }
    }

    static let see = "{ hostname; id -u; id -G; cat /proc/self/uid_map; pwd; env | sort; grep CapEff /proc/self/status; "
        + "ulimit -n; umask; grep -c . /proc/kcore; grep -E ' /(sys|dev/pts|proc/sys) ' /proc/mounts; ls /dev; echo END; } >/out/result 2>&1"

    @Test func createWaitsForStartThenRunsTheConfigsProcess() throws {
        let b = try Bundle(script: Self.see)
        defer { try? b.destroy(["c1"]) }
        b.spec.hostname = "ocibox"
        b.spec.process!.cwd = "/tmp"
        b.spec.process!.env = ["PATH=/bin:/usr/bin", "FOO=bar baz"]
        b.spec.process!.user.additionalGids = [7, 9]
        b.spec.process!.user.umask = 0o027
        b.spec.process!.rlimits = [OCISpec.Rlimit(type: "RLIMIT_NOFILE", hard: 777, soft: 555)]
        try b.write()
        let c = try b.silo(["create", "--pid-file", b.dir + "/pid", "c1"])
        #expect(c.status == 0, "\(c)")
        let record = try #require(try b.record("c1"))
        #expect(record.status == .created)
        let pidText = try String(contentsOfFile: b.dir + "/pid", encoding: .utf8)
        #expect(pidText == "\(record.pid ?? -1)", "the pid file holds bare digits: \(pidText.debugDescription)")
        #expect(kill(record.pid ?? 0, 0) == 0, "the init waits")
        #expect(FileManager.default.fileExists(atPath: b.root + "/c1/exec.fifo"))
        usleep(200_000)
        #expect(!FileManager.default.fileExists(atPath: b.out + "/result"), "the process ran before start")

        let s = try b.silo(["start", "c1"])
        #expect(s.status == 0, "\(s)")
        let seen = try #require(b.result(), "no result from the container")
        let lines = seen.split(separator: "\n").map(String.init)
        #expect(lines.prefix(5) == ["ocibox", "0", "0 7 9", "         0          0 4294967295", "/tmp"], "\(seen)")
        #expect(lines.contains("FOO=bar baz") && lines.contains("PATH=/bin:/usr/bin"), "\(seen)")
        #expect(!lines.contains { $0.hasPrefix("HOME=") || $0.hasPrefix("HOSTNAME=") || $0.hasPrefix("TERM=") }, "env beyond the config's: \(seen)")
        #expect(lines.contains("CapEff:\t0000000020000420"), "\(seen)")  // AUDIT_WRITE, KILL, NET_BIND_SERVICE
        #expect(lines.contains("555") && lines.contains("0027"), "\(seen)")
        #expect(lines.contains("0"), "/proc/kcore is masked: \(seen)")
        #expect(lines.contains { $0.hasPrefix("sysfs /sys sysfs ro,") }, "\(seen)")
        #expect(lines.contains { $0.hasPrefix("devpts /dev/pts devpts") }, "\(seen)")
        #expect(lines.contains { $0.hasPrefix("proc /proc/sys proc ro,") }, "\(seen)")
        for d in ["null", "zero", "full", "random", "urandom", "tty", "ptmx"] { #expect(lines.contains(d), "/dev/\(d) missing: \(seen)") }
        let again = try b.silo(["start", "c1"])
        #expect(again.status == 1 && again.stderr.contains("cannot start a container that has stopped"), "\(again)")
    }

    @Test func aUserNamespaceOnlyWhenTheConfigHasOne() throws {
        let b = try Bundle(userNamespace: true, script: "{ cat /proc/self/uid_map /proc/self/gid_map; readlink /proc/self/ns/user; echo END; } >/out/result")
        defer { try? b.destroy(["u1"]) }
        try b.write()
        let r = try b.silo(["run", "--bundle", b.dir, "u1"])
        #expect(r.status == 0, "\(r)")
        let lines = try #require(b.result()).split(separator: "\n").map(String.init)
        #expect(lines.prefix(2) == ["         0     300000      65536", "         0     300000      65536"], "\(lines)")
        #expect(lines.count > 2 && lines[2] != Host.nsInode("user"))
    }

    @Test func aMissingCommandFailsCreateAndLeavesNothing() throws {
        let b = try Bundle(script: "")
        defer { try? b.destroy(["m1"]) }
        b.spec.process!.args = ["/nonexistent"]
        try b.write()
        let r = try b.silo(["create", "m1"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.lowercased().contains("no such file or directory"), "podman maps this text to 127: \(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/m1"))
        b.spec.process!.args = ["/etc/passwd"]
        try b.write()
        let d = try b.silo(["create", "m1"])
        #expect(d.status == 1 && d.stderr.lowercased().contains("permission denied"), "podman maps this text to 126: \(d)")
    }

    @Test func aBadConfigNamesTheJSONPath() throws {
        let b = try Bundle(script: "")
        defer { try? b.destroy(["bad"]) }
        try #"{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"},{"type":"foo"}]}}"#
            .write(toFile: b.dir + "/config.json", atomically: true, encoding: .utf8)
        let r = try b.silo(["create", "bad"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.hasPrefix("silo: config.json: .linux.namespaces[1].type: "), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/bad"))
    }

    @Test func hooksRunInOrderWithTheStateOnStdin() throws {
        let b = try Bundle(script: "echo process >>/out/hooks")
        defer { try? b.destroy(["h1"]) }
        let hook = b.dir + "/hook.sh"
        try "#!/bin/sh\nread -r state; echo \"$1 $state\" >> \(b.out)/hooks\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        func h(_ kind: String) -> [OCISpec.Hook] { [OCISpec.Hook(path: hook, args: ["hook.sh", kind])] }
        b.spec.hooks.prestart = h("prestart")
        b.spec.hooks.createRuntime = h("createRuntime")
        b.spec.hooks.createContainer = h("createContainer")
        b.spec.hooks.startContainer = [OCISpec.Hook(path: "/bin/sh", args: ["sh", "-c", "echo startContainer >>/out/hooks"])]
        b.spec.hooks.poststart = h("poststart")
        b.spec.hooks.poststop = h("poststop")
        b.spec.annotations = ["org.example.key": "v"]
        try b.write()
        let r = try b.silo(["run", "--bundle", b.dir, "h1"])
        #expect(r.status == 0, "\(r)")
        let lines = try String(contentsOfFile: b.out + "/hooks", encoding: .utf8).split(separator: "\n").map(String.init)
        let kinds = lines.map { String($0.split(separator: " ").first ?? "") }
        // poststart runs after start released the init: it may pass the process's own line.
        #expect(kinds.prefix(4) == ["prestart", "createRuntime", "createContainer", "startContainer"], "\(lines)")
        #expect(Set(kinds.dropFirst(4).prefix(2)) == ["process", "poststart"] && kinds.last == "poststop", "\(lines)")
        for (line, status) in [(lines[0], "created"), (lines.first { $0.hasPrefix("poststart") } ?? "", "running"), (lines.last!, "stopped")] {
            #expect(line.contains("\"status\":\"\(status)\"") && line.contains("\"id\":\"h1\"") && line.contains("\"bundle\":\"\(b.dir)\"")
                    && line.contains("\"org.example.key\":\"v\""), "\(line)")
        }
    }

    @Test func runBundlePassesTheStatusThroughAndRemovesTheState() throws {
        let b = try Bundle(script: "exit 7")
        defer { try? b.destroy(["r1"]) }
        try b.write()
        let r = try b.silo(["run", "-b", b.dir, "r1"])
        #expect(r.status == 7, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/r1"))
        // The rule: without --bundle, `silo run` is silo's own and a positional is the command.
        let own = try Silo.container(["--", "sh", "-c", "echo -b --bundle"])
        #expect(own.status == 0 && own.stdout == "-b --bundle\n", "\(own)")
    }

    @Test func sysctlDomainnameSeccompAndReadonlyRootFromTheConfig() throws {
        let b = try Bundle(userNamespace: true, script: "{ cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/domainname; mkdir /out/x; echo mkdir=$?; "
                           + "touch /rootfile; echo touch=$?; echo END; } >/out/result 2>/dev/null")
        defer { try? b.destroy(["k1"]) }
        let hostForward = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8)
        b.spec.linux!.sysctl = ["net.ipv4.ip_forward": hostForward == "1\n" ? "0" : "1"]
        b.spec.domainname = "example.org"
        b.spec.root!.readonly = true
        var deny = OCISpec.Seccomp(defaultAction: "SCMP_ACT_ALLOW")
        deny.syscalls = [OCISpec.Syscall(names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1)]
        b.spec.linux!.seccomp = deny
        try b.write()
        let r = try b.silo(["run", "--bundle", b.dir, "k1"])
        #expect(r.status == 0, "\(r)")
        let lines = try #require(b.result()).split(separator: "\n").map(String.init)
        #expect(lines == [hostForward == "1\n" ? "0" : "1", "example.org", "mkdir=1", "touch=1", "END"], "\(lines)")
        #expect(try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8) == hostForward)
        #expect(!FileManager.default.fileExists(atPath: b.out + "/x"))
        // A sysctl of a namespace the container does not have would change the host: refused.
        b.spec.linux!.sysctl = ["kernel.pid_max": "4194304"]
        try b.write()
        let refused = try b.silo(["create", "k1"])
        #expect(refused.status == 1 && refused.stderr.contains(".linux.sysctl.\"kernel.pid_max\""), "\(refused)")
    }

    @Test func preservedFdsReachTheProcessAndMissingOnesAreRefused() throws {
        let b = try Bundle(script: "echo through-fd-3 >&3; ls /proc/self/fd > /out/fds; echo END >>/out/fds")
        defer { try? b.destroy(["p1"]) }
        try b.write()
        let quoted = [Silo.binary, "--root", b.root, "run", "--bundle", b.dir, "--preserve-fds", "1", "p1"].map { "'\($0)'" }.joined(separator: " ")
        let r = try Silo.host("\(quoted) 3>\(b.dir)/fd3 </dev/null >/dev/null 2>&1; echo $?")
        #expect(r.stdout == "0\n", "\(r)")
        #expect(try String(contentsOfFile: b.dir + "/fd3", encoding: .utf8) == "through-fd-3\n")
        let fds = try #require(b.result("fds")).split(separator: "\n").map(String.init)
        #expect(fds.contains("3") && !fds.contains("5"), "only 0-3 and ls's own: \(fds)")
        let missing = try b.silo(["create", "--preserve-fds", "5", "p1"])
        #expect(missing.status == 1 && missing.stderr.contains("preserved-fd"), "\(missing)")
    }

    @Test func startOfARunningContainerFails() throws {
        let b = try Bundle(script: "echo END >/out/result; sleep 30")
        defer { try? b.destroy(["s1"]) }
        try b.write()
        #expect(try b.silo(["create", "s1"]).status == 0)
        #expect(try b.silo(["start", "s1"]).status == 0)
        #expect(b.result() != nil)
        let r = try b.silo(["start", "s1"])
        #expect(r.status == 1 && r.stderr == "silo: cannot start an already running container\n", "\(r)")
        let dup = try b.silo(["create", "s1"])
        #expect(dup.status == 1 && dup.stderr.contains("container with given ID already exists"), "\(dup)")
    }

    /// The record says which hooks `start` and `delete` run (docs/oci.md, benchmark): without
    /// any, neither reads the config copy back (a broken copy proves it); with a poststop hook,
    /// `delete` still runs it. The status after start is computed (exec.fifo gone), not saved.
    @Test func startAndDeleteReadTheConfigCopyOnlyForTheirHooks() throws {
        let b = try Bundle(script: "echo END >/out/result")
        defer { try? b.destroy(["n1", "p1"]) }
        try b.write()
        #expect(try b.silo(["create", "n1"]).status == 0)
        try "{".write(toFile: b.root + "/n1/config.json", atomically: false, encoding: .utf8)
        let s = try b.silo(["start", "n1"])
        #expect(s.status == 0, "\(s)")
        #expect(b.result() != nil)
        var state = try b.silo(["state", "n1"])
        for _ in 0..<100 where state.stdout.contains("\"running\"") {
            usleep(20_000)
            state = try b.silo(["state", "n1"])
        }
        #expect(state.stdout.contains("\"stopped\""), "\(state)")
        let d = try b.silo(["delete", "n1"])
        #expect(d.status == 0 && d.stderr.isEmpty, "\(d)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/n1"))

        b.spec.hooks.poststop = [OCISpec.Hook(path: "/bin/sh", args: ["sh", "-c", "echo poststop >\(b.out)/poststop"])]
        try b.write()
        #expect(try b.silo(["create", "p1"]).status == 0)
        #expect(try b.record("p1")?.laterHooks == ["poststop"])
        let running = try b.silo(["start", "p1"])
        #expect(running.status == 0, "\(running)")
        let p = try b.silo(["delete", "--force", "p1"])
        #expect(p.status == 0, "\(p)")
        #expect((try? String(contentsOfFile: b.out + "/poststop", encoding: .utf8)) == "poststop\n")
    }
}

extension Silo.Result {
    @discardableResult
    func check() throws -> Silo.Result {
        if status != 0 { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: description]) }
        return self
    }
}
