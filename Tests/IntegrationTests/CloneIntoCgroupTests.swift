import Foundation
import SiloKit
import SiloSys
import Testing

/// clone3(CLONE_INTO_CGROUP) for real (issue 13): this host is hybrid, but its cgroup2 at
/// /sys/fs/cgroup/unified is a real v2 hierarchy, and a private mount namespace with that
/// hierarchy mounted at /sys/fs/cgroup is a pure-v2 host as far as silo can tell.
@Suite(.serialized, .enabled(if: CgroupHost.unifiedV2 != nil && Host.canRunContainers, "needs real root, the busybox rootfs and a cgroup2 mount at /sys/fs/cgroup/unified"))
struct CloneIntoCgroupTests {
    /// The wrapper alone: the child is in the cgroup from its first instruction.
    @Test func theChildIsBornInTheCgroup() throws {
        let dir = "/sys/fs/cgroup/unified/" + CgroupHost.name()
        #expect(mkdir(dir, 0o755) == 0)
        defer { rmdir(dir) }
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        var gate: [Int32] = [-1, -1]
        #expect(pipe(&gate) == 0)
        let pid = try Clone.fork([], intoCgroup: fd)
        if pid == 0 {
            // A fork of a multi-threaded test runner: only async-signal-safe calls here.
            // Its copy of the write end closed first, or the parent's close is no EOF here.
            close(gate[1])
            var b: UInt8 = 0
            _ = read(gate[0], &b, 1)
            Exit.now(0)
        }
        close(gate[0])
        let line = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("0::") }
        let procs = try String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8)
        close(gate[1])
        var st: Int32 = 0
        waitpid(pid, &st, 0)
        #expect(line.map(String.init) == "0::/" + (dir as NSString).lastPathComponent)
        #expect(procs == "\(pid)\n")
    }

    /// `silo run` on a pure-v2 view: born in its cgroup (the trace says which clone), seen there
    /// from the host, its cgroup namespace rooted there, and the cgroup gone afterwards.
    @Test func siloRunOnV2UsesCloneIntoCgroup() throws {
        let script = """
        umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup || exit 99
        SILO_TRACE=1 \(Silo.binary) run --rootfs \(Silo.rootfs) -- sh -c 'cat /proc/self/cgroup; sleep 1' 2>/tmp/silo-it-clone3-$$ &
        sleep 0.5
        for d in /sys/fs/cgroup/silo-*; do [ -d "$d" ] && echo "host: ${d##*/} $(wc -l < $d/cgroup.procs)"; done
        echo "stats: $(\(Silo.binary) stats --no-stream --json --interval 100)"
        wait $!
        echo "status $?"
        grep -E ' (clone|clone3 into cgroup)$' /tmp/silo-it-clone3-$$ | cut -d' ' -f4-
        grep 'warning' /tmp/silo-it-clone3-$$
        rm -f /tmp/silo-it-clone3-$$
        """
        let r = try Silo.exec("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script])
        #expect(r.status == 0, "\(r)")
        let out = r.stdout
        #expect(out.contains("0::/\n"), "\(r)")
        #expect(out.contains("status 0\nclone3 into cgroup\n"), "\(r)")
        // This hierarchy has no pids controller (the hybrid keeps it in v1): silo says so.
        let warning = out.split(separator: "\n").first { $0.contains("the default pids limit is skipped") }
        let name = try #require(warning.flatMap { $0.split(separator: " ").first { $0.hasPrefix("silo-") } }.map { String($0.dropLast()) }, "\(r)")
        #expect(out.contains("host: \(name) 1\n"), "\(r)")
        // `silo stats` on v2: the run found through its lock, its CPU time from cpu.stat (this
        // hierarchy has neither memory nor pids: those figures are left out, not zero).
        let stats = try #require(out.split(separator: "\n").first { $0.hasPrefix("stats: ") }).dropFirst(7)
        let rows = (try? JSONSerialization.jsonObject(with: Data(stats.utf8))) as? [[String: Any]] ?? []
        let row = try #require(rows.first { $0["id"] as? String == String(name.dropFirst(5)) }, "\(stats)")
        #expect(row["cgroup"] as? Bool == true && row["cpuNanoseconds"] != nil && row["memoryUsage"] == nil && row["pids"] == nil, "\(row)")
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified/" + name))
    }
}
