import Foundation
import SiloSys
import Testing

/// The review of 2026-12-05 (docs/security.md): what silo trusts in its state root. A record
/// edited by hand (or planted) must never make `rm`/`kill` act on host processes or cgroups that
/// are not the container's; a state root must not be taken through another user's link; an exec
/// into a frozen container must fail instead of hanging unkillably.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the test rootfs"))
struct AdversarialStateTests {
    final class Root {
        let path: String
        init() {
            path = "/tmp/review-state-\(UUID().uuidString.prefix(8))"
            mkdir(path, 0o711)
        }
        deinit {
            let ids = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for id in ids where !id.hasPrefix(".") { _ = try? Silo.run(["--root", path, "rm", "-f", id], timeout: 30) }
            try? FileManager.default.removeItem(atPath: path)
        }
        func silo(_ args: [String], timeout: Double = 60) throws -> Silo.Result {
            try Silo.run(["--root", path] + args, timeout: timeout)
        }
        func start(_ command: [String]) throws -> String {
            let r = try silo(["run", "-d", "--rootfs", Silo.rootfs, "--"] + command)
            #expect(r.status == 0, "\(r)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        /// Rewrites state.json of `id` through `change`.
        func edit(_ id: String, _ change: (inout [String: Any]) -> Void) throws {
            let file = "\(path)/\(id)/state.json"
            var record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any] ?? [:]
            change(&record)
            try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: file))
        }
        func record(_ id: String) throws -> [String: Any] {
            let file = "\(path)/\(id)/state.json"
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any] ?? [:]
        }
    }

    static func alive(_ pid: Int32) -> Bool {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !(s.split(separator: ")").last?.hasPrefix(" Z") ?? true)
    }

    /// A host process outside every container: `sleep`, started by the test, killed after.
    static func hostSleeper() throws -> Int32 {
        let r = try Silo.host(#"exec bash -c 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; sleep 300 </dev/null >/dev/null 2>&1 & echo $!'"#)
        return Int32(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func aRecordWhosePidLostItsStartTimeNeverSignalsThatPid() throws {
        let root = Root()
        let id = try root.start(["sleep", "1000"])
        let host = try Self.hostSleeper()
        try #require(host > 0)
        defer { kill(host, SIGKILL) }
        try root.edit(id) { r in
            r["pid"] = Int(host)
            r.removeValue(forKey: "pidStartTime")
        }
        let kill = try root.silo(["kill", id, "KILL"])
        let rm = try root.silo(["rm", "-f", id], timeout: 60)
        #expect(Self.alive(host), "kill: \(kill)\nrm: \(rm)")
        #expect(rm.status == 0, "\(rm)")
        #expect(!FileManager.default.fileExists(atPath: "\(root.path)/\(id)"))
    }

    /// rm removes (and kills every process of) the cgroups the record names: only silo's own
    /// `silo-*` leaves may be taken from it, never a path with `..` or any other cgroup.
    @Test(arguments: ["sibling", "dotdot"])
    func rmNeverRemovesACgroupTheRecordPointsAtOutsideSilos(_ variant: String) throws {
        let root = Root()
        let id = try root.start(["sleep", "1000"])
        guard let paths = try root.record(id)["cgroupPaths"] as? [String: String], let (key, dir) = paths.first else {
            Issue.record("the container has no cgroup; cannot run the case")
            return
        }
        #expect(try root.silo(["stop", "-t", "0", id]).status == 0)
        let parent = (dir as NSString).deletingLastPathComponent
        let victim = parent + "/review-victim-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: false)
        defer { rmdir(victim) }
        // `..` through a directory that exists (the container's own cgroup is gone once it stopped).
        let planted = variant == "dotdot" ? victim + "/../" + (victim as NSString).lastPathComponent : victim
        try root.edit(id) { r in r["cgroupPaths"] = [key: planted] }
        let rm = try root.silo(["rm", "-f", id])
        #expect(rm.status == 0, "\(rm)")
        #expect(FileManager.default.fileExists(atPath: victim), "rm removed the cgroup \(victim): \(rm)")
    }

    /// /tmp/silo-UID (a rootless user's state root without XDG_RUNTIME_DIR) planted by another
    /// user as a link to a directory of the victim's: silo must not take it (the link's owner can
    /// repoint it, after silo's checks, at a directory of its own or another of the victim's).
    @Test func aStateRootThatIsAnotherUsersLinkIsRefused() throws {
        let base = "/tmp/review-link-\(UUID().uuidString.prefix(8))"
        let target = base + "-dir", link = base
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { unlink(link); try? FileManager.default.removeItem(atPath: target) }
        symlink(target, link)
        #expect(lchown(link, 65534, 65534) == 0)
        let r = try Silo.run(["--root", link, "list"])
        #expect(r.status != 0 && r.stderr.contains(link) && r.stderr.contains("symbolic link"), "\(r)")
        // Root's own link (as /var/run -> /run) is still followed.
        #expect(lchown(link, 0, 0) == 0)
        #expect(try Silo.run(["--root", link, "list"]).status == 0)
    }

    /// An exec into a paused container would block in the frozen cgroup, deaf to SIGTERM:
    /// refused at once, as runc does.
    @Test func execIntoAPausedContainerIsRefusedNotHung() throws {
        let root = Root()
        let id = try root.start(["sleep", "1000"])
        let pause = try root.silo(["pause", id])
        try #require(pause.status == 0, "\(pause)")
        defer { _ = try? root.silo(["resume", id]) }
        let started = Date()
        let r = try root.silo(["exec", id, "true"], timeout: 20)
        #expect(r.status == 125 && r.stderr.contains("paused"), "\(r)")
        #expect(Date().timeIntervalSince(started) < 15)
    }
}
