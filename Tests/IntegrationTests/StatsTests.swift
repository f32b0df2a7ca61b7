import Foundation
import SiloKit
import SiloSys
import Testing

/// `silo stats` on a foreground `silo run` (issue 13): the figures the kernel keeps for the
/// container's cgroup, found through the run's live lock, and nothing once it has ended.
@Suite(.serialized, .enabled(if: Host.canRunContainers && CgroupHost.v1Memory, "needs real root, the busybox rootfs and this host's v1 cgroups"))
struct StatsTests {
    static func statsJSON(_ args: [String]) throws -> (Silo.Result, [[String: Any]]) {
        let r = try Silo.run(["stats", "--no-stream", "--json", "--interval", "400"] + args)
        let rows = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: Any]] ?? []
        return (r, rows)
    }

    @Test func aRunningContainersMemoryPidsAndCPU() throws {
        // Odd limits mark this test's container among whatever other runs are alive.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Silo.binary)
        p.arguments = ["run", "--rootfs", Silo.rootfs, "--memory", "77m", "--pids-limit", "37", "--", "sh", "-c",
                       "dd if=/dev/zero of=/tmp/f bs=1M count=20 2>/dev/null; while :; do :; done"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }

        var mine: [String: Any]?
        for _ in 0..<40 where mine == nil {
            let (_, rows) = try Self.statsJSON([])
            mine = rows.first { ($0["pidsLimit"] as? Int) == 37 && ($0["memoryUsage"] as? Int ?? 0) >= 20 << 20 }
            if mine == nil { usleep(250_000) }
        }
        let row = try #require(mine, "the run never showed up in silo stats")
        let id = try #require(row["id"] as? String)
        #expect(row["memoryLimit"] as? Int == 77 << 20)
        #expect(row["memoryCeiling"] as? Int == 77 << 20)
        #expect(row["pids"] as? Int == 1)

        // By id and by prefix: that one container; the table has its limits.
        let (byID, one) = try Self.statsJSON([id])
        #expect(byID.status == 0 && one.count == 1 && one.first?["id"] as? String == id, "\(byID)")
        // A busy loop: most of a CPU, less on a loaded 2-core machine; never above both cores.
        // (Measured over the interval: a container first seen in the second reading has none.)
        let cpu = one.first?["cpuPercent"] as? Double ?? -1
        #expect(cpu > 10 && cpu <= 205, "\(one)")
        let table = try Silo.run(["stats", "--no-stream", "--interval", "300", String(id.prefix(8))])
        #expect(table.stdout.hasPrefix("ID ") && table.stdout.contains(id) && table.stdout.contains("/ 77.00MiB") && table.stdout.contains("1 / 37"), "\(table)")

        // Ended by killing its init: silo removes the cgroup, stats no longer knows the id.
        let procs = try String(contentsOfFile: "/sys/fs/cgroup/pids/silo-\(id)/cgroup.procs", encoding: .utf8)
        for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        p.waitUntilExit()
        let gone = try Silo.run(["stats", "--no-stream", id])
        #expect(gone.status == 125 && gone.stderr == "silo: stats: no such container: \(id)\n", "\(gone)")
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/silo-\(id)"))
    }

    @Test func unknownIDAndBadInterval() throws {
        let r = try Silo.run(["stats", "--no-stream", "nosuchcontainer0"])
        #expect(r.status == 125 && r.stderr == "silo: stats: no such container: nosuchcontainer0\n", "\(r)")
        let bad = try Silo.run(["stats", "--interval", "x"])
        #expect(bad.status == 125 && bad.stderr.contains("--interval x"), "\(bad)")
    }
}
