import Foundation
import SiloKit
import SiloSys
import Testing

/// `silo run` in its own cgroup (issue 13): limits seen from inside, the kernel's verdicts
/// reported, nothing left on the host. "Nothing left" is checked through the cgroup itself: silo
/// removes it only once it holds no process (rmdir refuses otherwise), and each bomb's processes
/// carry a marker the host's process list is searched for.
@Suite(.serialized, .enabled(if: Host.canRunContainers && CgroupHost.v1Memory, "needs real root, the busybox rootfs and this host's v1 cgroups"))
struct CgroupRunTests {
    /// `silo-*` cgroups under this process's cgroups (silo's caller's) in any hierarchy; the
    /// layer's own tests use `silo-it-*`.
    static func siloCgroups() -> Set<String> {
        guard let layout = CgroupHost.layout else { return [] }
        return Set(Cgroup.names(prefix: "silo-", layout: layout).filter { !$0.hasPrefix("silo-it-") })
    }

    static func hostProcesses(_ marker: String) -> Int {
        let out = (try? Silo.host("ps -eo args= | grep -c '^sleep \(marker)$'"))?.stdout ?? "0"
        return Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Others' containers may come and go meanwhile: only what appeared since `before` counts,
    /// and a name still there after a second look.
    static func leftSince(_ before: Set<String>) -> Set<String> {
        var left = siloCgroups().subtracting(before)
        if !left.isEmpty { usleep(300_000); left = left.intersection(siloCgroups()) }
        return left
    }

    @Test func aBoundedBombRunsInFullUnderTheDefaultLimitAndEndsWithTheContainer() throws {
        let before = Self.siloCgroups()
        let r = try Silo.container(["--", "sh", "-c", "for i in $(seq 100); do sleep 3131 & done; read n < /sys/fs/cgroup/pids/pids.current; read m < /sys/fs/cgroup/pids/pids.max; echo $n $m"])
        #expect(r.status == 0, "\(r)")
        let f = r.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(f.count == 2 && (Int(f[0]) ?? 0) >= 101 && f[1] == "2048", "\(r)")
        #expect(!r.stderr.contains("refused"), "\(r)")
        #expect(Self.hostProcesses("3131") == 0)
        #expect(Self.leftSince(before).isEmpty)
    }

    @Test func aBoundedBombStopsAtPidsLimit32AndSiloSaysSo() throws {
        let before = Self.siloCgroups()
        // The inner shell forks sleeps until the kernel refuses; the outer one reads the count
        // with builtins only (a fork would be refused too).
        let r = try Silo.container(["--pids-limit", "32", "--", "sh", "-c",
                                    "sh -c 'for i in $(seq 100); do sleep 3132 & done' 2>/dev/null; read n < /sys/fs/cgroup/pids/pids.current; echo $n"])
        let n = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(n >= 30 && n <= 32, "\(r)")
        #expect(r.stderr.contains("silo: note: the pids limit (32) refused"), "\(r)")
        #expect(Self.hostProcesses("3132") == 0)
        #expect(Self.leftSince(before).isEmpty)
    }

    @Test func aRealForkBombUnderPidsLimit32EndsWithTheContainer() throws {
        let before = Self.siloCgroups()
        // dash's bomb; PID 1 gives it 2 s, then exits, and the kernel ends the PID namespace.
        // Never loose on the host: the bomb starts only when the limit is there and the shell
        // is in that cgroup (its cgroup.procs is not empty), else exit 99.
        let r = try Silo.container(["--pids-limit", "32", "--", "sh", "-c",
                                    "read m < /sys/fs/cgroup/pids/pids.max; [ \"$m\" = 32 ] && read p < /sys/fs/cgroup/pids/cgroup.procs || exit 99; f(){ f|f& }; f 2>/dev/null & read -t 2 x < /dev/zero; exec sleep 2"], timeout: 30)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("refused"), "\(r)")
        #expect(Self.leftSince(before).isEmpty)
    }

    @Test func aMemoryHogUnder32mIsKilledAndSiloSaysSoWith137() throws {
        let before = Self.siloCgroups()
        // The hog starts only when the limit is there and the shell is in that cgroup, else
        // exit 99: never a hog on the host.
        let r = try Silo.container(["--memory", "32m", "--", "sh", "-c",
                                    "read m < /sys/fs/cgroup/memory/memory.limit_in_bytes; [ \"$m\" = 33554432 ] && read p < /sys/fs/cgroup/memory/cgroup.procs || exit 99; x=a; while :; do x=$x$x; done"], timeout: 30)
        #expect(r.status == 137, "\(r)")
        #expect(r.stderr.contains("silo: container killed: out of memory (limit 32 MiB)\n"), "\(r)")
        #expect(Self.leftSince(before).isEmpty)
    }

    /// A SIGKILL that is not the OOM killer's is no OOM.
    @Test func aKilledContainerIsNotReportedAsOutOfMemory() throws {
        // PID 1 cannot be SIGKILLed from inside its namespace: a child shell is, and PID 1
        // exits with its status.
        let r = try Silo.container(["--memory", "32m", "--", "sh", "-c", "sh -c 'kill -9 $$'; exit $?"])
        #expect(r.status == 137 && !r.stderr.contains("out of memory"), "\(r)")
    }

    /// CPU time of a busy loop over 2 s of wall time, from the container's own cpuacct.usage.
    static func busyShare(_ options: [String]) throws -> Double {
        let script = "read a < /sys/fs/cgroup/cpuacct/cpuacct.usage; (while :; do :; done) & p=$!; sleep 2; kill $p; read b < /sys/fs/cgroup/cpuacct/cpuacct.usage; echo $a $b"
        let r = try Silo.container(options + ["--", "sh", "-c", script])
        let f = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
        guard f.count == 2 else { throw CgroupError("unexpected output: \(r)") }
        return (f[1] - f[0]) / 2e9
    }

    /// The quota is a hard cap (50 ms per 100 ms): the limited loop never gets more than half a
    /// CPU, whatever the load. The halving itself shows only when the host leaves the free loop
    /// most of a CPU; on a host that busy (other suites running) that part is a known issue.
    @Test func cpusHalfHalvesABusyLoop() throws {
        var pairs: [(limited: Double, free: Double)] = []
        for _ in 0..<3 {
            // --cpu-shares 1024 is the default weight: it only brings the cpu and cpuacct
            // hierarchies in, as --cpus does.
            let pair = (limited: try Self.busyShare(["--cpus", "0.5"]), free: try Self.busyShare(["--cpu-shares", "1024"]))
            pairs.append(pair)
            #expect(pair.limited < 0.56, "limited \(pair.limited)")
            if pair.free >= 0.8 { break }
        }
        let best = pairs.max { $0.free < $1.free }!
        if best.free >= 0.8 {
            #expect(best.limited > 0.35 && best.limited / best.free < 0.7, "\(pairs)")
        } else {
            withKnownIssue("the host left the free loop less than 0.8 CPU: \(pairs)", isIntermittent: true) {
                #expect(best.free >= 0.8)
            }
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount > 1, "pinning to CPU 0 is visible only with more than one CPU"))
    func cpusetPinsToCPU0() throws {
        let r = try Silo.container(["--cpuset-cpus", "0", "--", "sh", "-c", "grep Cpus_allowed_list /proc/self/status; cat /sys/fs/cgroup/cpuset/cpuset.cpus"])
        #expect(r.stdout == "Cpus_allowed_list:\t0\n0\n", "\(r)")
        let free = try Silo.container(["--", "grep", "Cpus_allowed_list", "/proc/self/status"])
        #expect(free.stdout != "Cpus_allowed_list:\t0\n", "\(free)")
    }

    @Test func sysFsCgroupIsReadOnlyAndShowsOnlyTheContainersCgroup() throws {
        let script = """
            cat /proc/self/cgroup
            echo --; read m < /sys/fs/cgroup/pids/pids.max; echo $m
            echo --; ls /sys/fs/cgroup | tr '\\n' ' '
            echo; echo --; find /sys/fs/cgroup -mindepth 2 -type d
            echo --; mkdir /sys/fs/cgroup/pids/sub 2>&1; touch /sys/fs/cgroup/x 2>&1; echo 1 > /sys/fs/cgroup/pids/pids.max
            """
        let r = try Silo.container(["--pids-limit", "77", "--", "sh", "-c", script])
        let parts = r.stdout.components(separatedBy: "--\n")
        #expect(parts.count == 5, "\(r)")
        guard parts.count == 5 else { return }
        let lines = parts[0].split(separator: "\n")
        // Every hierarchy, the cgroup2 included, rooted where the container was at its unshare:
        // its own cgroup in those it joined, silo's in the others.
        #expect(lines.count == CgroupHost.layout?.hierarchies.count && lines.allSatisfy { $0.hasSuffix(":/") }, "\(r)")
        #expect(parts[1] == "77\n", "\(r)")
        // Only the hierarchies the container joined (ContainerCgroup.hierarchies), each its own
        // directory and nothing below it.
        #expect(parts[2] == "freezer memory pids \n", "\(r)")
        #expect(parts[3].isEmpty, "no cgroup but the container's own: \(r)")
        #expect(parts[4].contains("Read-only file system") && !parts[4].contains("File exists"), "\(r)")
        #expect(r.stderr.contains("Read-only file system"), "\(r)")
    }

    static func lockFiles() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/silo/cgroups")) ?? [])
    }

    @Test func noCgroupIsLeftAfter50Runs() throws {
        let before = Self.siloCgroups(), locksBefore = Self.lockFiles()
        for _ in 0..<50 {
            let r = try Silo.container(["--", "true"])
            #expect(r.status == 0, "\(r)")
        }
        #expect(Self.leftSince(before).isEmpty)
        // Nor a lock file (/run/silo/cgroups/<name>) of those runs.
        #expect(Self.lockFiles().subtracting(locksBefore).intersection(Self.lockFiles()).isEmpty)
    }

    @Test func theNextRunRemovesWhatAKilledSiloLeft() throws {
        let before = Self.siloCgroups()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Silo.binary)
        p.arguments = ["run", "--rootfs", Silo.rootfs, "--", "sleep", "3133"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var mine: Set<String> = []
        for _ in 0..<400 where mine.isEmpty || Self.hostProcesses("3133") == 0 {
            usleep(10_000)
            mine = Self.siloCgroups().subtracting(before)
        }
        #expect(mine.count == 1 && Self.hostProcesses("3133") == 1)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // The container dies with silo (its death signal); its cgroup stays.
        for _ in 0..<200 where Self.hostProcesses("3133") > 0 { usleep(10_000) }
        #expect(Self.hostProcesses("3133") == 0)
        #expect(Self.siloCgroups().isSuperset(of: mine), "the killed silo's cgroup should still be there")
        let r = try Silo.container(["--", "true"])
        #expect(r.status == 0, "\(r)")
        #expect(Self.siloCgroups().isDisjoint(with: mine))
        #expect(Self.leftSince(before).isEmpty)
    }

    @Test(arguments: [["--memory", "1x"], ["--pids-limit", "many"], ["--cpus", "0"], ["--cpu-shares", "1"], ["--blkio-weight", "5"]])
    func badValuesExit125WithOneLine(args: [String]) throws {
        let r = try Silo.container(args + ["--", "true"])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.hasPrefix("silo: \(args[0]) \(args[1]): ") && r.stderr.split(separator: "\n").count == 1, "\(r)")
    }
}
