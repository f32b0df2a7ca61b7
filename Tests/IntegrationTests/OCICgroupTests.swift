import Foundation
import SiloKit
import SiloSpec
import SiloSys
import Testing

/// linux.resources and linux.cgroupsPath of a bundle against the real kernel: the init is in
/// its cgroups when `create` returns, the limits are the config's, the container sees its own
/// cgroup read-only, `update`/`pause`/`ps` act on it, and `delete` removes it.
@Suite(.serialized, .enabled(if: Host.canRunContainers && FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/cgroup.procs"),
                             "needs real root, the busybox rootfs and a v1 pids hierarchy (this host's hybrid layout)"))
struct OCICgroupTests {
    typealias Bundle = OCILifecycleTests.Bundle

    static func cgroupLines(_ pid: pid_t) -> [String: String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2).map(String.init)
            if f.count == 3 { out[f[1]] = f[2] }
        }
        return out
    }

    @Test func resourcesAndAnAbsolutePathReachTheKernelAndDeleteRemovesThem() throws {
        let script = "{ cat /proc/self/cgroup; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes; "
            + "grep ' /sys/fs/cgroup/pids ' /proc/mounts; echo x > /sys/fs/cgroup/pids/pids.max || echo readonly; echo END; } >/out/result 2>&1; sleep 30 & wait"
        let b = try Bundle(script: script)
        let name = "silo-ocicg-" + UUID().uuidString.prefix(8).lowercased()
        defer {
            try? b.destroy(["g1"])
            _ = try? Silo.host("for h in /sys/fs/cgroup/*/; do rmdir ${h}\(name) 2>/dev/null; done; true")
        }
        if !b.spec.linux!.namespaces.contains(where: { $0.type == .cgroup }) { b.spec.linux!.namespaces.append(OCISpec.Namespace(.cgroup)) }
        if !b.spec.mounts.contains(where: { $0.type == "cgroup" }) {
            b.spec.mounts.append(OCISpec.Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro", "nosuid"]))
        }
        b.spec.linux!.cgroupsPath = "/" + name
        var res = OCISpec.Resources()
        res.pids = OCISpec.Pids(limit: 77)
        var mem = OCISpec.Memory()
        mem.limit = 96 << 20
        res.memory = mem
        b.spec.linux!.resources = res
        try b.write()

        let c = try b.silo(["create", "--pid-file", b.dir + "/pid", "g1"])
        #expect(c.status == 0, "\(c)")
        let pid = pid_t((try? String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? "") ?? 0
        try #require(pid > 0)
        // Already in its cgroups while it waits for start (containerd reads them now).
        let where_ = Self.cgroupLines(pid)
        #expect(where_["pids"] == "/" + name && where_["memory"] == "/" + name && where_["freezer"] == "/" + name, "\(where_)")
        #expect((try? String(contentsOfFile: "/sys/fs/cgroup/pids/\(name)/pids.max", encoding: .utf8)) == "77\n")
        #expect((try? String(contentsOfFile: "/sys/fs/cgroup/memory/\(name)/memory.limit_in_bytes", encoding: .utf8)) == "\(96 << 20)\n")
        let record = try #require(try b.record("g1"))
        #expect(record.cgroupPaths["pids"] == "/sys/fs/cgroup/pids/\(name)", "\(record.cgroupPaths)")

        #expect(try b.silo(["start", "g1"]).status == 0)
        let seen = try #require(b.result(), "no result from the container")
        let lines = seen.split(separator: "\n").map(String.init)
        // Its own cgroup namespace: its cgroup is "/" from inside.
        #expect(lines.contains("4:memory:/") || lines.contains { $0.hasSuffix(":memory:/") }, "\(seen)")
        #expect(lines.contains("77") && lines.contains("\(96 << 20)"), "\(seen)")
        #expect(lines.contains { $0.contains(" /sys/fs/cgroup/pids cgroup ro,") }, "\(seen)")
        #expect(lines.contains("readonly"), "\(seen)")

        let ps = try b.silo(["ps", "--format", "json", "g1"])
        #expect(ps.status == 0 && ps.stdout.contains("\(pid)"), "\(ps)")
        try #"{"pids": {"limit": 55}}"#.write(toFile: b.dir + "/res.json", atomically: true, encoding: .utf8)
        let u = try b.silo(["update", "--resources", b.dir + "/res.json", "g1"])
        #expect(u.status == 0, "\(u)")
        #expect((try? String(contentsOfFile: "/sys/fs/cgroup/pids/\(name)/pids.max", encoding: .utf8)) == "55\n")
        #expect(try b.silo(["pause", "g1"]).status == 0)
        #expect(try b.silo(["state", "g1"]).stdout.contains("\"paused\""))
        #expect(try b.silo(["resume", "g1"]).status == 0)
        // kill --all reaches every process of the cgroup, the init's child included.
        let procs = (try? String(contentsOfFile: "/sys/fs/cgroup/pids/\(name)/cgroup.procs", encoding: .utf8)) ?? ""
        #expect(procs.split(separator: "\n").count >= 2, "the shell and its sleep: \(procs)")
        #expect(try b.silo(["kill", "--all", "g1", "KILL"]).status == 0)
        var left = procs
        for _ in 0..<100 where !left.isEmpty {
            usleep(20_000)
            left = (try? String(contentsOfFile: "/sys/fs/cgroup/pids/\(name)/cgroup.procs", encoding: .utf8)) ?? ""
        }
        #expect(left.isEmpty, "processes left after kill --all: \(left)")
        #expect(try b.silo(["state", "g1"]).stdout.contains("\"stopped\""))

        let d = try b.silo(["delete", "--force", "g1"])
        #expect(d.status == 0, "\(d)")
        for h in ["pids", "memory", "freezer", "cpu", "devices"] {
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(h)/\(name)"), "\(h) cgroup left")
        }
    }

    /// Two containers under one parent that the first one's create made (`/P/c1`, `/P/c2`):
    /// deleted maker first, the parent passes to the other, whose delete removes it.
    @Test func aSharedParentGoesWithTheLastContainerBelowIt() throws {
        let b = try Bundle(script: "echo END >/out/result; exec sleep 30")
        let name = "silo-ocicg-" + UUID().uuidString.prefix(8).lowercased()
        defer {
            try? b.destroy(["h1", "h2"])
            _ = try? Silo.host("for h in /sys/fs/cgroup/*/; do rmdir ${h}\(name)/c1 ${h}\(name)/c2 ${h}\(name) 2>/dev/null; done; true")
        }
        b.spec.linux!.cgroupsPath = "/\(name)/c1"
        try b.write()
        #expect(try b.silo(["create", "h1"]).status == 0)
        b.spec.linux!.cgroupsPath = "/\(name)/c2"
        try b.write()
        #expect(try b.silo(["create", "h2"]).status == 0)
        #expect(try b.record("h1")?.cgroupParents.contains("/sys/fs/cgroup/pids/\(name)") == true)
        #expect(try b.record("h2")?.cgroupParents.isEmpty == true, "h2 made no parent")

        #expect(try b.silo(["delete", "h1"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/\(name)/c2"), "h2's cgroup stays")
        #expect(try b.record("h2")?.cgroupParents.contains("/sys/fs/cgroup/pids/\(name)") == true, "the parent passed to h2")
        #expect(try b.silo(["delete", "h2"]).status == 0)
        for h in ["pids", "memory", "freezer", "cpu", "devices"] {
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(h)/\(name)"), "\(h): the shared parent is left")
        }
    }

    @Test func aFailedCreateLeavesNoCgroupAndSystemdPathsAreRefused() throws {
        let b = try Bundle(script: "true")
        let name = "silo-ocicg-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? b.destroy(["g2", "g3"]) }
        b.spec.linux!.cgroupsPath = "/\(name)/inner"
        b.spec.process!.args = ["/no/such/command"]
        try b.write()
        let c = try b.silo(["create", "g2"])
        #expect(c.status != 0)
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/\(name)"), "a cgroup of a failed create is left")
        b.spec.linux!.cgroupsPath = "system.slice:silo:g3"
        b.spec.process!.args = ["true"]
        try b.write()
        let s = try b.silo(["create", "g3"])
        #expect(s.status == 1 && s.stderr.contains(".linux.cgroupsPath") && s.stderr.contains("--systemd-cgroup"), "\(s)")
    }
}
