import Foundation
import Testing

/// `silo demo` and `silo ns` on the real kernel: the demo is a self-test of the host, so on the
/// CI machine every namespace must read ISOLATED, and `--share KIND` must turn exactly that
/// section to NOT ISOLATED.
@Suite(.serialized) struct DemoTests {
    static let kinds: [String] = {
        var k = ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup"]
        if Host.hasTimeNamespaces { k.append("time") }
        return k
    }()

    struct Demo {
        var status: Int32
        var ok: Bool
        var verdicts: [String: String]
        var reasons: [String: String]
        var shared: [String: Bool]
        var raw: Silo.Result
        var sections: [String: [String: Any]] = [:]

        /// The evidence row `key` of section `kind`.
        func row(_ kind: String, _ key: String) -> [String: Any]? {
            (sections[kind]?["evidence"] as? [[String: Any]])?.first { $0["key"] as? String == key }
        }
    }

    func demo(_ args: [String]) throws -> Demo {
        let r = try Silo.run(["demo", "--rootfs", Silo.rootfs, "--json"] + args, timeout: 120)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        let sections = try #require(doc["sections"] as? [[String: Any]], "\(r)")
        var d = Demo(status: r.status, ok: doc["ok"] as? Bool ?? false, verdicts: [:], reasons: [:], shared: [:], raw: r)
        for s in sections {
            let kind = try #require(s["kind"] as? String)
            d.verdicts[kind] = s["verdict"] as? String
            d.reasons[kind] = s["reason"] as? String
            d.shared[kind] = s["shared"] as? Bool
            // Every section carries evidence from both sides, measured now.
            let evidence = try #require(s["evidence"] as? [[String: Any]], "\(kind)")
            // The namespace on each side: the host's is the test's own (silo runs in it), as a
            // number, and the container's another one unless shared.
            let ns = try #require(evidence.first { $0["key"] as? String == "namespace" }, "\(kind)")
            let identity = try #require(s["namespace"] as? [String: [String: Any]], "\(kind)")
            #expect(identity["host"]?["link"] as? String == Host.nsInode(kind), "\(kind)")
            #expect("\(kind):[\(ns["host"] as? Int ?? -1)]" == Host.nsInode(kind), "\(kind): \(ns)")
            let inside = try #require(identity["container"]?["inode"] as? Int, "\(kind)")
            #expect(ns["container"] as? Int == inside)
            #expect((inside == ns["host"] as? Int) == (s["shared"] as? Bool == true), "\(kind)")
            #expect((s["clone_flag"] as? String)?.hasPrefix("CLONE_NEW") == true)
            #expect(s["container_pid"] is Int && s["launcher_pid"] is Int, "\(kind)")
            d.sections[kind] = s
        }
        return d
    }

    @Test(.enabled(if: Host.canRunContainers))
    func everyNamespaceIsIsolated() throws {
        let before = Host.Snapshot.take().children
        let d = try demo([])
        #expect(d.status == 0, "\(d.raw)")
        #expect(d.ok)
        #expect(d.verdicts.keys.sorted() == DemoTests.kinds.sorted())
        for k in DemoTests.kinds {
            #expect(d.verdicts[k] == "ISOLATED", "\(k): \(d.reasons[k] ?? "")")
            #expect(d.shared[k] == false)
        }
        #expect(Host.Snapshot.take().children == before)
        #expect(DemoTests.leftovers().isEmpty, "\(DemoTests.leftovers())")
        try checkNumbers(d)
    }

    /// The JSON's measurements are numbers, and agree with each other and with the kernel.
    func checkNumbers(_ d: Demo) throws {
        let shell = try #require(d.sections["pid"]?["container_pid"] as? Int)
        #expect(d.row("pid", "shell_pid")?["host"] as? Int == shell)
        #expect(d.row("pid", "shell_pid")?["container"] as? Int == 1)
        #expect(d.row("pid", "nspid")?["host"] as? [Int] == [shell, 1])
        #expect(d.row("pid", "nspid")?["container"] as? [Int] == [1])
        let nested = try #require(d.row("pid", "nested_nspid")?["host"] as? [Int])
        #expect(nested.count == 3 && nested.last == 1)
        #expect(d.row("pid", "nested_nspid")?["container"] as? [Int] == Array(nested.dropFirst()))
        // The setns joiner: two numbers, the inner one is what PID 1's ps listed with PPID 0,
        // and the kernel killed it when PID 1 exited.
        let joiner = try #require(d.row("pid", "setns_joiner")?["host"] as? [Int])
        #expect(joiner.count == 2)
        #expect(d.row("pid", "setns_joiner")?["container"] as? Int == joiner.last)
        #expect(d.row("pid", "setns_joiner_after")?["host"] as? Bool == true)
        #expect((d.row("pid", "process_count")?["host"] as? Int ?? 0) > 1)
        let processes = try #require(d.row("pid", "processes")?["host"] as? [[String: Any]])
        #expect(processes.contains { $0["pid"] as? Int == shell })
        #expect(d.row("mnt", "mount_count")?["container"] as? Int == (d.row("mnt", "mounts")?["container"] as? [String])?.count)
        // Root inside, an unprivileged uid outside, and that uid owns the file made inside.
        let owner = try #require(d.row("user", "owner")?["host"] as? [String: Int])
        #expect(owner["uid"] != 0)
        #expect(d.row("user", "file_owner")?["host"] as? [String: Int] == owner)
        #expect(d.row("user", "file_owner")?["container"] as? [String: Int] == ["uid": 0, "gid": 0])
        let map = try #require((d.row("user", "uid_map")?["container"] as? [[String: Int]])?.first)
        #expect(map["inside"] == 0 && map["outside"] == owner["uid"])
        #expect((d.row("user", "cap_eff")?["container"] as? [String: Any])?["count"] is Int)
        // The cgroup section's limit: where silo made a cgroup, both sides read pids.max = 16
        // and fewer than the 30 sleepers it tried started.
        if let max = d.row("cgroup", "pids_max")?["host"] as? Int {
            #expect(max == 16)
            #expect(d.row("cgroup", "pids_max")?["container"] as? Int == 16)
            let started = try #require(d.row("cgroup", "forks")?["container"] as? Int)
            #expect(started < 30 && started > 0)
            #expect((d.row("cgroup", "pids_current")?["host"] as? Int ?? 99) <= 16)
        }
        if DemoTests.kinds.contains("time") {
            let host = try #require(d.row("time", "monotonic_ns")?["host"] as? Int)
            let inside = try #require(d.row("time", "monotonic_ns")?["container"] as? Int)
            #expect(abs(inside - host - 864_000_000_000_000) < 5_000_000_000)
        }
    }

    /// `--keep`: the container named in the JSON runs on, in the namespaces the JSON gives;
    /// killed as the demo says, its launcher removes everything and exits.
    @Test(.enabled(if: Host.canRunContainers))
    func keptContainerIsTheOneReportedAndLeavesNothing() throws {
        let before = Host.Snapshot.take()
        let r = try Silo.run(["demo", "--rootfs", Silo.rootfs, "uts", "--keep", "--json"], timeout: 60)
        #expect(r.status == 0, "\(r)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
        let section = try #require((doc["sections"] as? [[String: Any]])?.first)
        let pid = try #require(section["container_pid"] as? Int32)
        let launcher = try #require(section["launcher_pid"] as? Int32)
        let kept = try #require(section["kept"] as? [String: Any])
        #expect(kept["enter"] as? String == "nsenter --target \(pid) --all /bin/sh")
        #expect(kept["remove"] as? String == "kill -KILL \(pid)")
        var killed = false
        defer { if !killed { kill(pid, SIGKILL) } }
        // The process still runs, in the namespace the JSON reported, under its launcher.
        let inode = try #require((section["namespace"] as? [String: [String: Any]])?["container"]?["inode"] as? Int)
        #expect(Host.nsInode("uts", pid: "\(pid)") == "uts:[\(inode)]")
        #expect(DemoTests.children(of: launcher) == [pid])
        for kind in DemoTests.kinds { #expect(Host.nsInode(kind, pid: "\(pid)") != Host.nsInode(kind), "\(kind)") }
        let inside = try Silo.host("nsenter --target \(pid) --all /bin/sh -c 'hostname; echo $$'")
        #expect(inside.stdout.split(separator: "\n").first == "renamed-inside", "\(inside)")
        let cgroups = ((try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { line -> String? in
                let f = line.split(separator: ":", maxSplits: 2)
                guard f.count == 3, f[2] != "/" else { return nil }
                let controller = f[1].isEmpty ? "" : "/" + (f[1].hasPrefix("name=") ? String(f[1].dropFirst(5)) : String(f[1]))
                return "/sys/fs/cgroup" + controller + f[2]
            }.filter { FileManager.default.fileExists(atPath: $0) }

        kill(pid, SIGKILL)
        killed = true
        var gone = false
        for _ in 0..<400 where !gone {
            gone = !FileManager.default.fileExists(atPath: "/proc/\(launcher)") && !FileManager.default.fileExists(atPath: "/proc/\(pid)")
            if !gone { usleep(50_000) }
        }
        #expect(gone, "launcher \(launcher) or container \(pid) still there")
        for dir in cgroups where dir.contains("silo") {
            #expect(!FileManager.default.fileExists(atPath: dir), "cgroup \(dir) left behind")
        }
        let after = Host.Snapshot.take()
        #expect(after.mounts == before.mounts)
        #expect(after.children == before.children)
        #expect(DemoTests.leftovers().isEmpty, "\(DemoTests.leftovers())")
    }

    /// `silo ns` without PID lists every namespace as lsns does: a process in namespaces of its
    /// own shows as their only member, the test's own namespaces with the test among their
    /// members, and a namespace only a name holds with no process and its nsfs mount.
    @Test(.enabled(if: Host.canRunContainers))
    func nsListAgreesWithProc() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["--uts", "--ipc", "/bin/sleep", "30"]
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let sleeper = p.processIdentifier
        defer {
            kill(sleeper, SIGKILL)
            p.waitUntilExit()
        }
        for _ in 0..<200 where Host.nsInode("uts", pid: "\(sleeper)") == Host.nsInode("uts")
            || (try? String(contentsOfFile: "/proc/\(sleeper)/comm", encoding: .utf8)) != "sleep\n" { usleep(10_000) }
        let name = "silo-t-ns-\(getpid())"
        _ = try Silo.host("ip netns add \(name)")
        defer { _ = try? Silo.host("ip netns delete \(name)") }
        var st = stat()
        #expect(stat("/run/netns/\(name)", &st) == 0)

        let r = try Silo.run(["ns", "--json", "--type", "uts", "--type", "ipc", "--type", "net"])
        #expect(r.status == 0, "\(r)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let entries = try #require(doc["namespaces"] as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["kind"] as? String }).isSubset(of: ["uts", "ipc", "net"]))
        func entry(_ link: String) -> [String: Any]? {
            entries.first { "\($0["kind"] as? String ?? ""):[\($0["inode"] as? Int ?? -1)]" == link }
        }
        for kind in ["uts", "ipc"] {
            let own = try #require(entry(Host.nsInode(kind, pid: "\(sleeper)")), "\(kind)")
            #expect(own["nprocs"] as? Int == 1)
            #expect(own["pid"] as? Int == Int(sleeper))
            #expect(own["processes"] as? [Int] == [Int(sleeper)])
            #expect(own["command"] as? String == "/bin/sleep 30")
            let mine = try #require(entry(Host.nsInode(kind)), "\(kind)")
            let members = try #require(mine["processes"] as? [Int])
            #expect(members.contains(Int(getpid())) && !members.contains(Int(sleeper)))
            #expect(mine["nprocs"] as? Int == members.count)
        }
        let named = try #require(entries.first { ($0["nsfs"] as? [String])?.contains("/run/netns/\(name)") == true })
        #expect(named["inode"] as? Int == Int(st.st_ino))
        #expect(named["kind"] as? String == "net")
        #expect(named["nprocs"] as? Int == 0)
        #expect(named["pid"] is NSNull)
        let text = try Silo.run(["ns", "--type", "net"])
        #expect(text.stdout.split(separator: "\n").contains { $0.hasPrefix("\(st.st_ino) net") && $0.contains(" /run/netns/\(name)") })
    }

    /// Under a zh locale the demo's words are Chinese and measured values stay as measured;
    /// the JSON keeps its keys and the verdict keyword.
    @Test(.enabled(if: Host.canRunContainers))
    func chineseUnderAZhLocale() throws {
        let env = ["LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        let r = try Silo.run(["demo", "--rootfs", Silo.rootfs, "uts"], env: env)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("=> 已隔离：容器把自己改名为 renamed-inside"))
        #expect(r.stdout.contains("原因："))
        #expect(r.stdout.contains("主机名") && r.stdout.contains(Host.nsInode("uts")))
        #expect(!r.stdout.contains("ISOLATED") && !r.stdout.contains("Why:"))
        let j = try Silo.run(["demo", "--rootfs", Silo.rootfs, "uts", "--json"], env: env)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any], "\(j)")
        let s = try #require((doc["sections"] as? [[String: Any]])?.first)
        #expect(s["verdict"] as? String == "ISOLATED")
        #expect(s["verdict_text"] as? String == "已隔离")
        let en = try Silo.run(["demo", "--rootfs", Silo.rootfs, "uts"], env: ["LANG": "zh_CN.UTF-8", "LC_ALL": "C"])
        #expect(en.stdout.contains("=> ISOLATED: the container renamed itself renamed-inside"))
    }

    /// `--step` on a terminal (script(1) gives it one): after the first section it prompts and
    /// waits; the Enter fed through the terminal lets the second one run.
    @Test(.enabled(if: Host.canRunContainers && FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs root, the test rootfs and script(1)"))
    func stepPausesOnATerminal() throws {
        let cmd = "\(Silo.binary) demo --rootfs \(Silo.rootfs) uts ipc --step"
        let r = try Silo.exec("/usr/bin/script", ["-qfec", cmd, "/dev/null"], stdin: "\n", env: ["NO_COLOR": "1"], timeout: 60)
        #expect(r.status == 0, "\(r)")
        let prompt = try #require(r.stdout.range(of: "-- Enter: next, IPC namespace"), "\(r)")
        #expect(r.stdout[..<prompt.lowerBound].contains("(uts)"))
        #expect(r.stdout[prompt.upperBound...].contains("(ipc)"))
        #expect(!r.stdout.contains("not a terminal"))
    }

    /// A small or negative offset: the verdict still tells a shifted clock from the host's, and
    /// a negative one reads "behind".
    @Test(.enabled(if: Host.canRunContainers && Host.hasTimeNamespaces, "needs root, the test rootfs and a kernel with time namespaces"))
    func smallAndNegativeTimeOffsets() throws {
        let behind = try demo(["time", "--time-offset", "-1"])
        #expect(behind.verdicts["time"] == "ISOLATED", "\(behind.reasons)")
        #expect(behind.reasons["time"]?.contains("1 s behind") == true, "\(behind.reasons)")
        let shared = try demo(["time", "--time-offset", "1", "--share", "time"])
        #expect(shared.verdicts["time"] == "NOT ISOLATED", "\(shared.reasons)")
    }

    /// `--step` without a terminal on stdin says so and does not wait; it still shows each
    /// section's script and silo's namespace system calls.
    @Test(.enabled(if: Host.canRunContainers))
    func stepWithoutATerminal() throws {
        let r = try Silo.run(["demo", "--rootfs", Silo.rootfs, "uts", "ipc", "--step"], timeout: 60)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("stdin is not a terminal"))
        #expect(r.stdout.contains("     hostname renamed-inside && echo ok\n"))
        #expect(r.stdout.contains("     clone(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET)\n"))
        #expect(!r.stdout.contains("-- Enter"))
    }

    @Test(.enabled(if: Host.canRunContainers), arguments: ["mnt", "uts", "ipc", "pid", "net", "user", "cgroup"])
    func sharingOneKindShowsOnlyThatSection(kind: String) throws {
        try checkSharing(kind)
    }

    @Test(.enabled(if: Host.canRunContainers && Host.hasTimeNamespaces, "needs root, the test rootfs and a kernel with time namespaces"))
    func sharingTimeShowsOnlyThatSection() throws {
        try checkSharing("time")
    }

    func checkSharing(_ kind: String) throws {
        let hostname = ProcessInfo.processInfo.hostName
        let before = Host.Snapshot.take().children
        let d = try demo(["--share", kind])
        #expect(d.status == 1, "\(d.raw)")
        #expect(!d.ok)
        for k in DemoTests.kinds {
            if k == kind {
                #expect(d.verdicts[k] == "NOT ISOLATED", "\(k): \(d.reasons[k] ?? "")")
                #expect(d.shared[k] == true)
            } else {
                #expect(d.verdicts[k] == "ISOLATED", "with --share \(kind), \(k): \(d.reasons[k] ?? "")")
                #expect(d.shared[k] == false)
            }
        }
        #expect(ProcessInfo.processInfo.hostName == hostname)
        #expect(Host.Snapshot.take().children == before)
        #expect(DemoTests.leftovers().isEmpty, "\(DemoTests.leftovers())")
    }

    @Test(.enabled(if: Host.canRunContainers))
    func textIsPlainWhenPipedAndExitStatusFollowsTheVerdict() throws {
        let r = try Silo.run(["demo", "--rootfs", Silo.rootfs, "uts", "net"])
        #expect(r.status == 0, "\(r)")
        #expect(!r.stdout.contains("\u{1B}["))
        #expect(r.stdout.contains("CLONE_NEWUTS") && r.stdout.contains("CLONE_NEWNET"))
        #expect(r.stdout.contains("ISOLATED"))
        #expect(!r.stdout.contains("CLONE_NEWPID"))
        let shared = try Silo.run(["demo", "--rootfs", Silo.rootfs, "uts", "--share", "uts"])
        #expect(shared.status == 1)
        #expect(shared.stdout.contains("NOT ISOLATED"))
    }

    @Test func badArguments() throws {
        let unknown = try Silo.run(["demo", "bogus"])
        #expect(unknown.status == 125)
        #expect(unknown.stderr.contains("unknown namespace `bogus`"))
        let notShown = try Silo.run(["demo", "uts", "--share", "net"])
        #expect(notShown.status == 125)
        #expect(notShown.stderr.contains("--share net"))
        let run = try Silo.run(["run", "--share", "user", "--", "true"])
        #expect(run.status == 125)
        #expect(run.stderr.contains("share user"))
        let ns = try Silo.run(["ns", "notapid"])
        #expect(ns.status == 125)
        let stepJSON = try Silo.run(["demo", "uts", "--step", "--json"])
        #expect(stepJSON.status == 125 && stepJSON.stderr.contains("--step"))
        let keepTwo = try Silo.run(["demo", "uts", "pid", "--keep"])
        #expect(keepTwo.status == 125 && keepTwo.stderr.contains("--keep"))
        let badType = try Silo.run(["ns", "--type", "bogus"])
        #expect(badType.status == 125)
    }

    /// `silo ns PID` on a running container's process agrees with /proc/PID/ns/*.
    @Test(.enabled(if: Host.canRunContainers))
    func nsAgreesWithProc() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Silo.binary)
        p.arguments = ["run", "--rootfs", Silo.rootfs, "--", "sleep", "30"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let silo = p.processIdentifier
        var container: Int32?
        defer {
            if let container { kill(container, SIGKILL) }
            if p.isRunning { kill(silo, SIGKILL) }
            p.waitUntilExit()
        }
        // The container's first process is silo's child; wait until it has exec'd sleep.
        for _ in 0..<500 {
            if let c = DemoTests.children(of: silo).first,
               (try? String(contentsOfFile: "/proc/\(c)/comm", encoding: .utf8))?.hasPrefix("sleep") == true {
                container = c
                break
            }
            usleep(10_000)
        }
        let pid = try #require(container, "no container process under silo \(silo)")
        let r = try Silo.run(["ns", "\(pid)", "--json"])
        #expect(r.status == 0, "\(r)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["pid"] as? Int == Int(pid))
        let entries = try #require(doc["namespaces"] as? [[String: Any]])
        #expect(entries.count == DemoTests.kinds.count)
        for e in entries {
            let kind = try #require(e["kind"] as? String)
            let link = Host.nsInode(kind, pid: "\(pid)")
            #expect(e["link"] as? String == link, "\(kind)")
            #expect("\(kind):[\(e["inode"] as? Int ?? -1)]" == link)
            // A fresh container: nothing initial, nothing of the caller's, nobody else inside.
            #expect(e["initial"] as? Bool == false, "\(kind)")
            #expect(e["callers"] as? Bool == false, "\(kind)")
            #expect(e["processes"] as? [Int] == [Int(pid)], "\(kind)")
        }
        // And silo's own namespaces are the initial ones on a host, and the caller's.
        let me = try Silo.run(["ns", "\(getpid())", "--json"])
        let mine = try #require(try JSONSerialization.jsonObject(with: Data(me.stdout.utf8)) as? [String: Any])
        for e in try #require(mine["namespaces"] as? [[String: Any]]) {
            let kind = e["kind"] as? String ?? "?"
            #expect(e["callers"] as? Bool == true, "\(kind)")
            #expect(e["link"] as? String == Host.nsInode(kind), "\(kind)")
        }
    }

    static func children(of parent: Int32) -> [Int32] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let f = stat[stat.index(after: close)...].split(separator: " ")
            return f.count > 1 && Int32(f[1]) == parent
        }
    }

    /// What the demo makes on the host and must remove: its shared memory segments (keys
    /// 0x5110xxxx), its message queues and mounts (named silo-demo-PID). Only these: other
    /// suites may be creating and removing host state at the same time.
    static func leftovers() -> [String] {
        var out: [String] = []
        let shm = (try? String(contentsOfFile: "/proc/sysvipc/shm", encoding: .utf8)) ?? ""
        for line in shm.split(separator: "\n").dropFirst() {
            if let k = line.split(separator: " ").first.flatMap({ Int64($0) }), UInt32(truncatingIfNeeded: k) >> 16 == 0x5110 {
                out.append("shm key \(k)")
            }
        }
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        out += mounts.split(separator: "\n").filter { $0.contains("silo-demo") }.map(String.init)
        // The host's POSIX message queues, through an mqueue mount in a mount namespace of its own.
        let queues = (try? Silo.host("unshare -m sh -c 'mount -t mqueue none /mnt && ls /mnt'"))?.stdout ?? ""
        out += queues.split(separator: "\n").filter { $0.hasPrefix("silo-demo") }.map { "mqueue \($0)" }
        return out
    }
}
