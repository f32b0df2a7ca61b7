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
            let ns = try #require(evidence.first { $0["key"] as? String == "namespace" }, "\(kind)")
            #expect((ns["host"] as? String)?.hasPrefix(kind + ":[") == true, "\(kind): \(ns)")
            #expect((ns["container"] as? String)?.hasPrefix(kind + ":[") == true, "\(kind): \(ns)")
            #expect((s["clone_flag"] as? String)?.hasPrefix("CLONE_NEW") == true)
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
        let me = try Silo.run(["ns", "--json"])
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
