import Foundation
import Testing
import SiloKit

/// `silo run` against the real kernel: every check reads, from inside the container, what the
/// kernel actually did.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct RunTests {
    @Test func everyNamespaceDiffersFromTheHosts() throws {
        let kinds = ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"] + (FileManager.default.fileExists(atPath: "/proc/self/ns/time") ? ["time"] : [])
        let r = try Silo.container(["--", "sh", "-c", kinds.map { "readlink /proc/self/ns/\($0)" }.joined(separator: ";")])
        #expect(r.status == 0, "\(r)")
        let inside = r.stdout.split(separator: "\n").map(String.init)
        #expect(inside.count == kinds.count)
        for (kind, ns) in zip(kinds, inside) {
            #expect(ns.hasPrefix("\(kind):["), "\(kind): \(ns)")
            #expect(ns != Host.nsInode(kind), "\(kind) namespace is the host's")
        }
    }

    @Test func hostnamePIDAndProcessListAreTheContainers() throws {
        let r = try Silo.container(["--hostname", "box7", "--", "sh", "-c", "hostname; echo $$; set -- /proc/[0-9]*; echo $# $1"])
        #expect(r.stdout == "box7\n1\n1 /proc/1\n", "\(r)")  // the shell alone: PID 1
        var uts = utsname()
        uname(&uts)
        let hostName = withUnsafeBytes(of: uts.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(hostName != "box7")
        let d = try Silo.container(["--", "hostname"])
        #expect(d.stdout.range(of: "^[0-9a-f]{12}\n$", options: .regularExpression) != nil, "default hostname: \(d.stdout)")
    }

    @Test func onlyLoopbackExistsIsUpAndAnswers() throws {
        let r = try Silo.container(["--", "sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags; ping -c1 -W2 127.0.0.1 >/dev/null && echo v4; ping -6 -c1 -W2 ::1 >/dev/null && echo v6"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "lo")
        #expect(lines.count == 5, "\(r)")
        // IFF_UP is bit 0 of the flags
        if lines.count > 2, let flags = Int(lines[2].dropFirst(2), radix: 16) { #expect(flags & 1 == 1) }
        #expect(lines.suffix(2) == ["v4", "v6"])
    }

    @Test func theHostsRootIsUnreachable() throws {
        let r = try Silo.container(["--", "sh", "-c", "stat -c %i / /..; awk '{for (i = 7; i < NF; i++) if ($i == \"-\") { print $(i + 1); break }}' /proc/self/mountinfo | sort -u; cat /proc/self/mountinfo"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count > 2 && lines[0] == lines[1], "/.. is not /: \(r.stdout)")
        // No file system of the host's disk is mounted anywhere in the container.
        let hostRootType = try Silo.host("findmnt -no FSTYPE /").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let types = Set(lines.dropFirst(2).prefix { !$0.contains(" ") })
        #expect(!types.contains(hostRootType), "host \(hostRootType) visible: \(types)")
        #expect(types.contains("overlay") && types.contains("proc"))
    }

    @Test func aSysVObjectMadeOnTheHostIsInvisible() throws {
        let made = try Silo.host("ipcmk -M 4096 | awk '{print $NF}'")
        let id = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(id) != nil, "\(made)")
        defer { _ = try? Silo.host("ipcrm -m \(id)") }
        let host = try Silo.host("ipcs -m")
        #expect(host.stdout.contains(" \(id) "))
        // /proc/sysvipc lists the objects of the reader's IPC namespace
        #expect(try String(contentsOfFile: "/proc/sysvipc/shm", encoding: .utf8).contains(" \(id) "))
        let r = try Silo.container(["--", "cat", "/proc/sysvipc/shm"])
        #expect(r.status == 0 && r.stdout.split(separator: "\n").count == 1 && !r.stdout.contains(" \(id) "), "\(r)")
    }

    @Test func uidMapIsAnUnprivilegedRangeAndContainerRootIsNotHostRoot() throws {
        let r = try Silo.container(["--", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"])
        let f = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(f.count == 7, "\(r)")
        #expect(f[0] == "0" && f[2] == "65536" && f[6] == "0")
        let host = UInt32(f[1]) ?? 0
        #expect(host >= 100_000, "container root is host uid \(host)")
        #expect(f[3] == "0" && (UInt32(f[4]) ?? 0) >= 100_000)
        let custom = try Silo.container(["--uid-map", "0:300000:1000", "--gid-map", "0:300000:1000", "--", "cat", "/proc/self/uid_map"])
        #expect(custom.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }) == ["0", "300000", "1000"], "\(custom)")
    }

    @Test func containerRootCannotWriteAHostFileItWasNotGiven() throws {
        let dir = try TempDir()
        try "secret\n".write(toFile: dir.path + "/owned-by-root", atomically: true, encoding: .utf8)
        let r = try Silo.container(["-v", "\(dir.path):/host", "--", "sh", "-c", "echo pwned >> /host/owned-by-root; echo $?; touch /host/new; echo $?"])
        #expect(r.stdout == "1\n1\n", "\(r)")
        #expect(try String(contentsOfFile: dir.path + "/owned-by-root", encoding: .utf8) == "secret\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/new"))
    }

    @Test func theBaseRootfsIsUnchangedAfterTheContainerWroteToIt() throws {
        let before = try Silo.host("cd \(Silo.rootfs) && find . -printf '%p %s %m\\n' | sort | md5sum").stdout
        let r = try Silo.container(["--", "sh", "-c", "echo x > /etc/marker && rm /bin/true && mkdir /newdir && ls /etc/marker"])
        #expect(r.status == 0, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: Silo.rootfs + "/etc/marker"))
        #expect(try Silo.host("cd \(Silo.rootfs) && find . -printf '%p %s %m\\n' | sort | md5sum").stdout == before)
        // and the next container starts from the pristine image
        #expect(try Silo.container(["--", "sh", "-c", "ls /etc/marker 2>/dev/null; echo $?"]).stdout == "1\n")
    }

    static let statusCases: [([String], Int32)] = [(["true"], 0), (["sh", "-c", "exit 3"], 3), (["nosuchcommand"], 127),
                                                   (["/etc/passwd"], 126), (["/nonexistent/x"], 127)]

    @Test(arguments: RunTests.statusCases)
    func exitStatuses(_ argv: [String], _ expected: Int32) throws {
        let r = try Silo.container(["--"] + argv)
        #expect(r.status == expected, "\(r)")
        if expected >= 125 {
            #expect(r.stderr.hasPrefix("silo: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }

    @Test(arguments: [["--rootfs", "/nonexistent/rootfs", "true"], ["--bogus", "true"], ["--uid-map", "0:1", "true"],
                      ["-v", "/nonexistent:/x", "true"], ["--user", "nosuchuser", "true"], ["--rootfs", "/etc/passwd", "true"]])
    func badInputIs125WithOneLine(_ args: [String]) throws {
        let r = try Silo.run(["run"] + (args.contains("--rootfs") ? [] : ["--rootfs", Silo.rootfs]) + args)
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.hasPrefix("silo: ") && r.stderr.split(separator: "\n").count == 1 && r.stdout.isEmpty, "\(r.stderr)")
    }

    @Test func aMissingDefaultRootfsSaysHowToMakeIt() throws {
        let r = try Silo.run(["run", "--rootfs", "/var/lib/silo/rootfs/busybox-missing", "true"])
        #expect(r.status == 125 && r.stderr.contains("No such file or directory"))
    }

    @Test func sigkillFromTheHostGives137AndPID1IgnoresItsOwnKill() throws {
        let r = try Silo.container(["--", "sh", "-c", "kill -9 $$; echo survived"])
        #expect(r.status == 0 && r.stdout == "survived\n", "\(r)")
        let p = try Background(["run", "--rootfs", Silo.rootfs, "--", "sh", "-c", "echo ready; sleep 30"])
        try p.waitFor("ready")
        let child = try p.containerPID()
        kill(child, SIGKILL)
        #expect(p.wait() == 137)
    }

    @Test func termReachesATrappingCommand() throws {
        let p = try Background(["run", "--rootfs", Silo.rootfs, "--", "sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done"])
        try p.waitFor("ready")
        kill(p.process.processIdentifier, SIGTERM)
        #expect(p.wait() == 7)
        #expect(p.output.contains("got-term"))
    }

    @Test func initForwardsSignalsAndReapsZombies() throws {
        // A sleeping child orphaned inside is reaped by the init, not left a zombie.
        let r = try Silo.container(["--init", "--", "sh", "-c", "sh -c 'sleep 0.2 &' ; sleep 0.5; echo $$; grep -l Z /proc/[0-9]*/stat 2>/dev/null | wc -l; cat /proc/1/cmdline | tr '\\0' ' '"])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(r.status == 0 && lines.count == 3, "\(r)")
        #expect(lines.first == "2")  // the command is not PID 1 under --init
        #expect(lines.dropFirst().first?.trimmingCharacters(in: .whitespaces) == "0")
        // TERM to silo reaches a command with no handler of its own through the init
        let p = try Background(["run", "--rootfs", Silo.rootfs, "--init", "--", "sh", "-c", "echo ready; exec sleep 30"])
        try p.waitFor("ready")
        usleep(100_000)
        kill(p.process.processIdentifier, SIGTERM)
        #expect(p.wait() == 128 + SIGTERM)
    }

    @Test(arguments: [[], ["--init"]])
    func signalsIgnoredBySilosCallerAreDefaultInTheContainer(_ options: [String]) throws {
        // execve keeps ignored signals ignored; the container must not inherit that from silo's caller.
        let script = "trap '' PIPE INT USR1; grep SigIgn /proc/self/status; root=$1; shift; exec \"$0\" run --rootfs \"$root\" \"$@\" -- grep SigIgn /proc/self/status"
        let r = try Silo.exec("/bin/sh", ["-c", script, Silo.binary, Silo.rootfs] + options)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(r.status == 0 && lines.count == 2, "\(r)")
        // The control: the caller ignores PIPE, INT and USR1 (bits 0x1202; the test runner may add more).
        let callers = lines.first.flatMap { UInt64($0.dropFirst("SigIgn:\t".count), radix: 16) } ?? 0
        #expect(callers & 0x1202 == 0x1202, "\(r)")
        #expect(lines.last == "SigIgn:\t0000000000000000", "\(r)")
    }

    @Test func ifSiloDiesTheContainerDiesWithIt() throws {
        let p = try Background(["run", "--rootfs", Silo.rootfs, "--", "sh", "-c", "echo ready; sleep 30"])
        try p.waitFor("ready")
        let child = try p.containerPID()
        kill(p.process.processIdentifier, SIGKILL)
        _ = p.wait()
        var gone = false
        for _ in 0..<100 {
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
            if state.isEmpty || state.contains(") Z ") { gone = true; break }
            usleep(20_000)
        }
        #expect(gone, "container process \(child) outlived silo")
    }

    @Test func envWorkdirHostnameUser() throws {
        let envFile = try TempDir()
        try "# comment\nFROMFILE=yes\n\nFOO=file\n".write(toFile: envFile.path + "/env", atomically: true, encoding: .utf8)
        let r = try Silo.container(["--hostname", "web", "--env-file", envFile.path + "/env", "-e", "FOO=bar", "-w", "/srv/app", "--user", "1000:100", "--",
                                    "sh", "-c", "hostname; echo $FOO $FROMFILE $HOME; pwd; id -u; id -g; env | grep -c ^SECRET"])
        #expect(r.stdout == "web\nbar yes /home/user\n/srv/app\n1000\n100\n0\n", "\(r)")
        let env = try Silo.container(["--", "env"])
        let names = Set(env.stdout.split(separator: "\n").map { String($0.split(separator: "=")[0]) })
        #expect(names.isSubset(of: ["PATH", "HOSTNAME", "HOME", "PWD", "SHLVL", "TERM"]), "host environment leaked: \(names)")
    }

    @Test func readOnlyVolumesAndTmpfs() throws {
        let dir = try TempDir()
        chmod(dir.path, 0o755)
        try "hello\n".write(toFile: dir.path + "/f", atomically: true, encoding: .utf8)
        let r = try Silo.container(["-v", "\(dir.path):/data:ro", "-v", "\(dir.path):/rw", "--read-only", "--tmpfs", "/scratch", "--",
                                    "sh", "-c", "cat /data/f; touch /data/x 2>/dev/null || echo data-ro; touch /x 2>/dev/null || echo root-ro; touch /scratch/y && echo tmpfs-rw; touch /rw/made && echo rw-ok"])
        // container root owns nothing on the host's disk, so even the rw volume refuses writes to root's directory
        #expect(r.stdout == "hello\ndata-ro\nroot-ro\ntmpfs-rw\n", "\(r)")
        let own = try Silo.container(["-v", "\(dir.path):/rw", "--uid-map", "0:400000:65536", "--gid-map", "0:400000:65536", "--", "sh", "-c", "touch /rw/x 2>&1; echo $?"])
        #expect(own.stdout.hasSuffix("1\n"))
        chown(dir.path, 400_000, 400_000)
        let given = try Silo.container(["-v", "\(dir.path):/rw", "--uid-map", "0:400000:65536", "--gid-map", "0:400000:65536", "--", "sh", "-c", "touch /rw/given && echo ok"])
        #expect(given.stdout == "ok\n", "\(given)")
        var st = stat()
        #expect(stat(dir.path + "/given", &st) == 0 && st.st_uid == 400_000)
    }

    @Test func rootfsRWWritesThroughOnlyWhenThePathIsPrivate() throws {
        let dir = try TempDir()
        chmod(dir.path, 0o755)
        _ = try Silo.host("cp -a \(Silo.rootfs) \(dir.path)/rootfs")
        let refused = try Silo.run(["run", "--rootfs", dir.path + "/rootfs", "--rootfs-rw", "--", "true"])
        #expect(refused.status == 125 && refused.stderr.contains("--rootfs-rw"), "\(refused)")
        chmod(dir.path, 0o700)
        let r = try Silo.run(["run", "--rootfs", dir.path + "/rootfs", "--rootfs-rw", "--", "sh", "-c", "echo kept > /etc/kept"])
        #expect(r.status == 0, "\(r)")
        var st = stat()
        #expect(stat(dir.path + "/rootfs/etc/kept", &st) == 0 && st.st_uid == 0, "written as host root through the idmapped mount")
    }

    @Test(.enabled(if: Host.hasTimeNamespaces, "this kernel has no time namespaces"))
    func timeNamespaceOffsetsTheClocks() throws {
        let r = try Silo.container(["--time-offset", "86400", "--", "sh", "-c", "cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime"])
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].contains("86400"), "\(r)")
        let hostUptime = Int(try String(contentsOfFile: "/proc/uptime", encoding: .utf8).split(separator: ".")[0]) ?? 0
        #expect((Int(lines.last ?? "") ?? 0) >= hostUptime + 86000)
    }

    @Test func twoHundredRunsLeaveNothingBehind() throws {
        let before = Host.Snapshot.take()
        func idSlots() throws -> Int {
            try String(contentsOfFile: "/proc/net/unix", encoding: .utf8).components(separatedBy: "@silo/idslot/").count - 1
        }
        let slotsBefore = try idSlots()
        for i in 0..<200 {
            let r = try Silo.container(i % 4 == 3 ? ["--", "nosuchcommand"] : (i % 4 == 2 ? ["-v", "/nonexistent-\(i):/x", "--", "true"] : ["--", "true"]))
            #expect(r.status == [0, 0, 125, 127][i % 4], "run \(i): \(r)")
        }
        #expect(Host.Snapshot.take() == before)
        // Only what these runs made is compared: other silo processes may hold slots of their own.
        #expect(try idSlots() <= slotsBefore, "an id-slot lock outlived its container")
    }
}

/// A silo run in the background, for tests that signal it.
final class Background: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private var buffer = Data()

    init(_ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Silo.binary)
        process.arguments = args
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { String(decoding: buffer, as: UTF8.self) }

    func waitFor(_ text: String, timeout: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !output.contains(text) {
            guard Date() < deadline else { throw TestFailure("timed out waiting for \(text)") }
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw TestFailure("EOF before \(text)") }
            buffer.append(chunk)
        }
    }

    /// The container's PID 1 as the host sees it: silo's only child.
    func containerPID() throws -> pid_t {
        let kids = try String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children", encoding: .utf8)
        guard let pid = kids.split(separator: " ").first.flatMap({ pid_t($0) }) else { throw TestFailure("no child") }
        return pid
    }

    func wait() -> Int32 {
        buffer.append(out.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A private temporary directory, removed when the value goes away.
final class TempDir {
    let path: String
    init() throws {
        var template = Array("/tmp/silo-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestFailure("mkdtemp") }
        path = String(cString: p)
    }
    deinit { _ = try? FileManager.default.removeItem(atPath: path) }
}

@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct LibraryTests {
    @Test func aTestSuiteRunsAnIsolatedCommandThroughSiloKit() throws {
        var config = RunConfig(argv: ["sh", "-c", "hostname; cat; ls /sys/class/net; exit 4"])
        config.rootfs = Silo.rootfs
        config.hostname = "db"
        let r = try Container.run(config, input: Array("from stdin\n".utf8), silo: Silo.binary)
        #expect(r.status == 4)
        #expect(r.output == "db\nfrom stdin\nlo\n")
        let bad = try Container.run(RunConfig(argv: ["x"]).with { $0.rootfs = "/nonexistent" }, silo: Silo.binary)
        #expect(bad.status == 125 && bad.errorOutput.hasPrefix("silo: rootfs /nonexistent"))
    }

    /// A test suite runs many containers in one process: each run must give back every pipe it
    /// opened, also when the container exits without reading its input (which is when the write
    /// end used to stay open), and must leave the caller's SIGPIPE as it found it.
    @Test func manyRunsKeepNoDescriptorAndLeaveSIGPIPEAlone() throws {
        func pipes() -> Set<String> {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return Set(fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0))?.hasPrefix("pipe:") == true })
        }
        var config = RunConfig(argv: ["true"])
        config.rootfs = Silo.rootfs
        var old = sigaction()
        var dfl = sigaction()
        dfl.__sigaction_handler.sa_handler = SIG_DFL
        sigaction(SIGPIPE, &dfl, &old)
        defer { sigaction(SIGPIPE, &old, nil) }
        let before = pipes()
        let unread = [UInt8](repeating: 0x61, count: 1 << 20)
        for i in 0..<30 {
            let r = try Container.run(config, input: i % 2 == 0 ? unread : [], silo: Silo.binary)
            #expect(r.status == 0, "run \(i): \(r.errorOutput)")
        }
        // Output larger than a pipe written before any input is read: a blocking write of the
        // input would wait for the container while the container waits for us. busybox's timeout
        // turns that deadlock into a failure instead of a hang (not as PID 1, which SIGTERM from
        // inside its namespace cannot end).
        var talker = config
        talker.argv = ["sh", "-c", "timeout 20 sh -c 'head -c 300000 /dev/zero; wc -c'; exit $?"]
        let r = try Container.run(talker, input: unread, silo: Silo.binary)
        #expect(r.status == 0 && r.stdout.count == 300_000 + "1048576\n".count && r.output.hasSuffix("1048576\n"), "\(r.status) \(r.stdout.count) \(r.errorOutput)")
        // A descriptor that Foundation closes late in another test can only shrink the set.
        #expect(pipes().subtracting(before).isEmpty, "pipes left open by Container.run")
        var now = sigaction()
        sigaction(SIGPIPE, nil, &now)
        #expect(unsafeBitCast(now.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_DFL, to: Int.self))
    }
}

extension RunConfig {
    func with(_ change: (inout RunConfig) -> Void) -> RunConfig {
        var c = self
        change(&c)
        return c
    }
}

struct ExecutableTests {
    /// Two easy slips that put megabytes of unused runtime into silo. Top-level code in
    /// main.swift is main-actor isolated in Swift 6: a closure formed there gets a runtime
    /// isolation check, which links the concurrency runtime and libdispatch (whose initializer
    /// then runs before main on every start; Sources/silo/CLI.swift). And String.contains(String)
    /// is _StringProcessing's, which links the regex engine.
    @Test func theExecutableLinksNeitherTheConcurrencyRuntimeNorTheRegexEngine() throws {
        let r = try Silo.host("nm '\(Silo.binary)' | grep -E ' (swift_task_[A-Za-z]+|libdispatch_init|\\$s17_StringProcessing[A-Za-z0-9_]+)$' || true")
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r)")
        let symbols = try Silo.host("nm '\(Silo.binary)' | wc -l")
        #expect((Int(symbols.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 1000, "nm read no symbols: \(symbols)")
    }
}
