import Foundation
import Testing

/// Two unprivileged users made for the rootless suite and removed after it (with their rootfs
/// copies): one without a range in /etc/subuid and /etc/subgid, one with. The test process stays
/// root; silo runs as the user through setpriv.
enum RootlessHost {
    static let single = "silo-rl-single"
    static let ranged = "silo-rl-range"
    static let dir = "/tmp/silo-rootless-test"
    static func rootfs(_ user: String) -> String { "\(dir)/\(user)" }

    static let canRun: Bool = Host.canRunContainers && Probe.ready
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap")

    static func sh(_ script: String) throws {
        let r = try Silo.host(script)
        if r.status != 0 { throw RootlessSetupError(message: "\(script): \(r)") }
    }

    static func setUp() throws {
        tearDown()  // what a killed run left
        // -r: a system account, which useradd gives no subordinate range.
        try sh("useradd -r -M -s /usr/sbin/nologin \(single)")
        try sh("useradd -M -s /usr/sbin/nologin \(ranged)")
        if try Silo.host("grep -q '^\(ranged):' /etc/subuid && grep -q '^\(ranged):' /etc/subgid").status != 0 {
            // This useradd hands out no ranges: take one above every range there is.
            let top = try Silo.host("cat /etc/subuid /etc/subgid | awk -F: '{e=$2+$3; if (e>m) m=e} END {print (m>100000?m:100000)}'")
            let start = Int(top.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 100000
            try sh("usermod --add-subuids \(start)-\(start + 65535) --add-subgids \(start)-\(start + 65535) \(ranged)")
        }
        if try Silo.host("grep -q '^\(single):' /etc/subuid").status == 0 { throw RootlessSetupError(message: "\(single) got a range") }
        try sh("mkdir -m 0755 \(dir) && mkdir -m 0700 \(dir)/closed && mkdir -m 0755 \(dir)/secrets \(dir)/rootdir"
            + " && echo TOPSECRET > \(dir)/secrets/secret && chmod 0600 \(dir)/secrets/secret"
            + " && echo public > \(dir)/secrets/open && chmod 0644 \(dir)/secrets/open")
        for user in [single, ranged] {
            // The test rootfs is root's and under a 0700 /var/lib/silo: each user gets a copy of its own.
            try sh("cp -a \(Probe.rootfs) \(rootfs(user)) && chown -R \(user): \(rootfs(user))"
                + " && mkdir -m 0755 \(dir)/\(user)-data && chown \(user): \(dir)/\(user)-data")
        }
    }

    static func tearDown() {
        for user in [single, ranged] {
            // The OCI state root a rootless user gets without XDG_RUNTIME_DIR (ContainerStateStore).
            _ = try? Silo.host("id \(user) >/dev/null 2>&1 && rm -rf /tmp/silo-$(id -u \(user))")
            _ = try? Silo.host("id \(user) >/dev/null 2>&1 && { usermod --del-subuids 1-4294967294 --del-subgids 1-4294967294 \(user) 2>/dev/null; userdel \(user); }")
        }
        _ = try? Silo.host("rm -rf \(dir)")
    }

    /// `silo ARGS` as `user`, with none of root's runtime directory in the environment.
    static func silo(_ user: String, _ args: [String], timeout: Double = 60) throws -> Silo.Result {
        try Silo.exec("/usr/bin/env", ["-u", "XDG_RUNTIME_DIR", "-u", "SILO_ROOTFS", "/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)",
                                       "--clear-groups", "--", Silo.binary] + args, timeout: timeout)
    }

    /// `silo ARGS` as `user` with stdio on /dev/null: for `create`, whose container keeps its
    /// stdio open until `start` (a pipe would never reach EOF).
    static func siloQuiet(_ user: String, _ args: [String]) throws -> Int32 {
        try Silo.exec("/bin/sh", ["-c", "exec \"$@\" </dev/null >/dev/null 2>&1", "sh", "/usr/bin/env", "-u", "XDG_RUNTIME_DIR",
                                  "/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--", Silo.binary] + args).status
    }

    /// `silo run --rootfs USER'S-COPY OPTIONS -- sh -c SCRIPT` as `user`.
    static func run(_ user: String, _ script: String, options: [String] = []) throws -> Silo.Result {
        try silo(user, ["run", "--rootfs", rootfs(user)] + options + ["--", "/bin/sh", "-c", script])
    }

    static func ids(_ user: String) -> (uid: String, gid: String) {
        let u = (try? Silo.host("id -u \(user)"))?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        let g = (try? Silo.host("id -g \(user)"))?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        return (u, g)
    }

    /// The user's first subordinate id, from the file newuidmap checks.
    static func subStart(_ user: String, _ file: String) -> String {
        (try? Silo.host("awk -F: '$1==\"\(user)\" {print $2; exit}' \(file)"))?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    }
}

struct RootlessSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Makes the users before the suite and removes them, and their files, after it.
struct RootlessUsers: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try RootlessHost.setUp()
        defer { RootlessHost.tearDown() }
        try await function()
    }
}

@Suite(.serialized, .enabled(if: RootlessHost.canRun, "needs root (to make the users), setpriv, newuidmap and the probe rootfs"), RootlessUsers())
struct RootlessTests {
    typealias R = RootlessHost

    @Test func withoutARangeContainerRootIsTheCallerAloneSetgroupsDeniedSaidOnce() throws {
        let (uid, gid) = R.ids(R.single)
        let r = try R.run(R.single, "id -u; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines == ["0", "0 \(uid) 1", "0 \(gid) 1", "deny"], "\(r)")
        let notices = r.stderr.split(separator: "\n").filter { $0.contains("rootless") }
        #expect(notices.count == 1 && notices[0].contains("setgroups is denied"), "\(r.stderr)")
    }

    @Test func withARangeContainerIDsComeFromTheRangeThroughTheHelpers() throws {
        let (uid, gid) = R.ids(R.ranged)
        let (su, sg) = (R.subStart(R.ranged, "/etc/subuid"), R.subStart(R.ranged, "/etc/subgid"))
        let r = try R.run(R.ranged, "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; touch /f; chown 1000:1000 /f; stat -c %u:%g /f")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines == ["0 \(uid) 1", "1 \(su) 65535", "0 \(gid) 1", "1 \(sg) 65535", "allow", "1000:1000"], "\(r)")
        let user = try R.run(R.ranged, "id -u; id -g", options: ["--user", "1000:1000"])
        #expect(user.stdout == "1000\n1000\n", "\(user)")
        let unmapped = try R.run(R.single, "id -u", options: ["--user", "1000"])
        #expect(unmapped.status == 125 && unmapped.stderr.contains("not mapped"), "\(unmapped)")
    }

    /// newuidmap and newgidmap only where a range needs them: under strace (which makes them
    /// fail, a traced setuid program runs unprivileged) the single path execs neither.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace")))
    func theSingleMappingPathSpawnsNoHelper() throws {
        func execs(_ user: String) throws -> (Silo.Result, String) {
            let log = "\(R.dir)/strace-\(user)"
            let r = try Silo.exec("/usr/bin/strace", ["-f", "-qq", "-e", "trace=execve", "-o", log, "/usr/bin/setpriv",
                                                      "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--", Silo.binary,
                                                      "run", "--rootfs", R.rootfs(user), "true"])
            return (r, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        let (single, singleLog) = try execs(R.single)
        #expect(single.status == 0, "\(single)")
        #expect(!singleLog.contains("newuidmap") && !singleLog.contains("newgidmap"), "\(singleLog)")
        let (_, rangedLog) = try execs(R.ranged)
        #expect(rangedLog.contains("newuidmap"), "\(rangedLog)")
    }

    @Test(arguments: [RootlessHost.single, RootlessHost.ranged])
    func allEightNamespacesLoopbackProcSysDevAndAPrivateLayer(user: String) throws {
        let before = Host.Snapshot.take()
        let kinds = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"]
        let script = "for k in \(kinds.joined(separator: " ")); do readlink /proc/self/ns/$k; done; cat /sys/class/net/lo/flags;"
            + " awk '$2==\"/proc\"||$2==\"/sys\"||$2==\"/\" {print $2, $3, substr($4,1,2)}' /proc/mounts;"
            + " test -c /dev/null && echo null-is-a-device; wc -c < /proc/keys;"
            + " echo changed > /etc/motd-rootless && rm /bin/true && echo layer-written"
        let r = try R.run(user, script)
        #expect(r.status == 0, "\(r)")
        let out = r.stdout.split(separator: "\n").map(String.init)
        try #require(out.count >= kinds.count + 1, "\(r)")
        for (i, kind) in kinds.enumerated() {
            #expect(out[i].hasPrefix(kind + ":[") && out[i] != Host.nsInode(kind), "\(kind): \(out[i]) vs host \(Host.nsInode(kind))")
        }
        let flags = Int(out[kinds.count].dropFirst(2), radix: 16) ?? 0
        #expect(flags & 1 == 1, "lo is not up: \(out[kinds.count])")
        let rest = Array(out.dropFirst(kinds.count + 1))
        #expect(rest.contains("/ overlay rw") && rest.contains("/proc proc rw") && rest.contains("/sys sysfs ro"), "\(rest)")
        #expect(rest.suffix(3) == ["null-is-a-device", "0", "layer-written"], "\(rest)")
        // The writes went to the container's own layer: the user's rootfs is as it was.
        #expect(!FileManager.default.fileExists(atPath: R.rootfs(user) + "/etc/motd-rootless"))
        #expect(FileManager.default.fileExists(atPath: R.rootfs(user) + "/bin/true"))
        #expect(Host.Snapshot.take().mounts == before.mounts)
        let left = try Silo.host("pgrep -u \(user) || true")
        #expect(left.stdout.isEmpty, "processes of \(user) left: \(left.stdout)")
    }

    @Test func aRootfsTheCallerCannotReadIs125NamingIt() throws {
        let r = try R.silo(R.single, ["run", "--rootfs", "\(R.dir)/closed", "true"])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.contains("rootfs \(R.dir)/closed: Permission denied"), "\(r.stderr)")
        // The default rootfs is root's, under a 0700 /var/lib/silo: the line says what to do.
        let d = try R.silo(R.single, ["run", "true"])
        #expect(d.status == 125 && d.stderr.contains("Permission denied") && d.stderr.contains("--rootfs"), "\(d)")
    }

    @Test func whatNeedsRootIsRefusedInOneLineSayingWhatWorks() throws {
        for (args, says) in [(["run", "--rootfs", R.rootfs(R.single), "--network", "bridge", "true"], "--network none"),
                             (["run", "--rootfs", R.rootfs(R.single), "--memory", "64m", "true"], "cgroup"),
                             (["run", "--rootfs", R.rootfs(R.single), "--network", "netns:x", "true"], "--network none"),
                             (["netns", "add", "silo-rl-x"], "--network none")] {
            let r = try R.silo(R.single, args)
            #expect(r.status != 0 && r.stdout.isEmpty, "\(args): \(r)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("root") && lines[0].contains(says), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/silo-rl-x"))
    }

    /// Container root is the caller to the host's kernel: a file the caller cannot read stays
    /// unreadable through a volume, and a root-owned directory stays unwritable.
    @Test(arguments: [RootlessHost.single, RootlessHost.ranged])
    func containerRootHasNoMoreThanTheCallersRightsOnHostFiles(user: String) throws {
        let r = try R.run(user, "cat /mnt/open; cat /mnt/secret || echo secret-refused; touch /mnt/new || echo write-refused;"
                            + " touch /root-owned/x || echo root-dir-refused; touch /data/mine && echo data-written",
                          options: ["-v", "\(R.dir)/secrets:/mnt", "-v", "\(R.dir)/rootdir:/root-owned", "-v", "\(R.dir)/\(user)-data:/data"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "public\nsecret-refused\nwrite-refused\nroot-dir-refused\ndata-written\n", "\(r)")
        #expect(!r.stdout.contains("TOPSECRET"))
        #expect(!FileManager.default.fileExists(atPath: "\(R.dir)/secrets/new") && !FileManager.default.fileExists(atPath: "\(R.dir)/rootdir/x"))
        // What it may write lands as the caller, never as root.
        let owner = try FileManager.default.attributesOfItem(atPath: "\(R.dir)/\(user)-data/mine")[.ownerAccountID] as? NSNumber
        #expect(owner?.stringValue == R.ids(user).uid)
    }

    /// The container's network namespace is its own: 127.0.0.1 there is not the host's.
    @Test func containerCannotReachAHostServiceOnLoopback() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        try #require(bound)
        let port = UInt16(bigEndian: addr.sin_port)
        // Control: the listener answers on the host's loopback.
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        let reached = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, len) == 0 }
        }
        #expect(reached, "host control: connect to 127.0.0.1:\(port) failed")
        let r = try R.run(R.single, "nc -w 2 127.0.0.1 \(port) </dev/null && echo reached || echo refused")
        #expect(r.stdout == "refused\n", "\(r)")
    }

    /// Tests/probe run rootless gives what it gives as root, under each layer's removal
    /// (docs/rootless.md lists what the kernel could not give; on this kernel: nothing the
    /// probe checks).
    @Test(arguments: [[], ["--cap-add", "ALL"], ["--seccomp", "unconfined"], ["--cap-add", "ALL", "--seccomp", "unconfined"]])
    func theHardeningProbeSeesWhatItSeesAsRoot(options: [String]) throws {
        let root = try Probe.run(options)
        for user in [R.single, R.ranged] {
            let r = try R.silo(user, ["run", "--rootfs", R.rootfs(user)] + options + ["--", "silo-probe"])
            #expect(r.status == 0, "\(r)")
            var rootless: [String: String] = [:]
            for line in r.stdout.split(separator: "\n") {
                let f = line.split(separator: " ", maxSplits: 1).map(String.init)
                if f.count == 2 { rootless[f[0]] = f[1] }
            }
            #expect(rootless.count == root.count && rootless.count >= 40, "\(r.stdout)")
            for (check, result) in root where !RootlessTests.kernelCannotGive.contains(check) {
                #expect(rootless[check] == result, "\(user) \(options) \(check): rootless \(rootless[check] ?? "missing"), root \(result)")
            }
        }
    }

    /// runc's and crun's rootless bundle: `silo spec --rootless`, then run, and create, start,
    /// exec, state and delete with the state in /tmp/silo-UID (mode 0700) when XDG_RUNTIME_DIR is unset.
    @Test func aRootlessBundleRunsAndGoesThroughCreateStartDelete() throws {
        let user = R.single
        let (uid, _) = R.ids(user)
        let bundle = "\(R.dir)/\(user)-bundle"
        try R.sh("mkdir -m 0755 \(bundle) && chown \(user): \(bundle)")
        let spec = try R.silo(user, ["spec", "--rootless", "--bundle", bundle])
        try #require(spec.status == 0, "\(spec)")
        func configure(_ script: String) throws {
            let url = URL(fileURLWithPath: bundle + "/config.json")
            var c = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            c["root"] = ["path": R.rootfs(user), "readonly": true]
            var process = try #require(c["process"] as? [String: Any])
            process["args"] = ["/bin/sh", "-c", script]
            process["terminal"] = false
            c["process"] = process
            try JSONSerialization.data(withJSONObject: c).write(to: url)
        }
        try configure("cat /proc/self/uid_map /proc/self/setgroups; readlink /proc/self/ns/user")
        let run = try R.silo(user, ["run", "--bundle", bundle, "rl-run"])
        #expect(run.status == 0, "\(run)")
        let lines = run.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.prefix(2) == ["0 \(uid) 1", "deny"], "\(run)")
        #expect(lines.count == 3 && lines[2] != Host.nsInode("user"), "\(run)")

        try configure("sleep 1")
        let state = "/tmp/silo-\(uid)"
        #expect(try R.siloQuiet(user, ["create", "--bundle", bundle, "rl-c"]) == 0)
        let created = try R.silo(user, ["state", "rl-c"])
        #expect(created.stdout.contains("\"status\": \"created\""), "\(created)")
        let attrs = try FileManager.default.attributesOfItem(atPath: state)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o700 && (attrs[.ownerAccountID] as? NSNumber)?.stringValue == uid)
        #expect(try R.siloQuiet(user, ["start", "rl-c"]) == 0)
        // exec joins the container's user namespace first: its PID namespace is that one's.
        let exec = try R.silo(user, ["exec", "rl-c", "/bin/sh", "-c", "cat /proc/self/uid_map; cat /proc/1/cmdline"])
        #expect(exec.status == 0 && exec.stdout.split(separator: "\n").first?.split(separator: " ") == ["0", Substring(uid), "1"], "\(exec)")
        #expect(exec.stdout.contains("sleep"), "\(exec)")
        var status = ""
        for _ in 0..<50 where !status.contains("stopped") {
            usleep(100_000)
            status = try R.silo(user, ["state", "rl-c"]).stdout
        }
        #expect(status.contains("\"status\": \"stopped\""), "\(status)")
        #expect(try R.silo(user, ["delete", "rl-c"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: state + "/rl-c"))
    }

    /// A root's config (no user namespace) is refused in one line naming the way out.
    @Test func aBundleWithoutAUserNamespaceIsRefusedRootless() throws {
        let bundle = "\(R.dir)/\(R.single)-rootful"
        try R.sh("mkdir -m 0755 \(bundle) && chown \(R.single): \(bundle) && ln -s \(R.rootfs(R.single)) \(bundle)/rootfs")
        #expect(try R.silo(R.single, ["spec", "--bundle", bundle]).status == 0)
        let url = URL(fileURLWithPath: bundle + "/config.json")
        var c = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var process = try #require(c["process"] as? [String: Any])
        process["terminal"] = false
        c["process"] = process
        try JSONSerialization.data(withJSONObject: c).write(to: url)
        let r = try R.silo(R.single, ["run", "--bundle", bundle, "rl-rootful"])
        #expect(r.status != 0 && r.stderr.contains("user namespace") && r.stderr.contains("spec --rootless"), "\(r)")
    }

    /// Probe checks whose rootless result differs for want of host privilege (docs/rootless.md).
    static let kernelCannotGive: Set<String> = []
}
