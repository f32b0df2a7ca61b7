import Foundation
import Testing

/// kill -9 of silo at every point of a container's start: the container must not outlive it
/// (it would keep its id slot and its address, which the next container is given again), and
/// nothing may be left on the host.
@Suite(.serialized) struct KillDuringStartTests {
    /// The pids whose command line holds `marker`: silo's own child before its execve (a clone
    /// of silo, same argv) and the container's command after it.
    static func holders(of marker: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let needle = Data(marker.utf8)
        return entries.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), pid != getpid(),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            return cmdline.range(of: needle) != nil ? pid : nil
        }
    }

    /// `silo run EXTRA -- sh -c 'sleep 1000; : MARKER'` with stdio on /dev/null; its pid.
    static func spawnRun(_ extra: [String], marker: String) throws -> pid_t {
        let args = [Silo.binary, "run", "--rootfs", Silo.rootfs] + extra + ["--", "sh", "-c", "sleep 1000; : \(marker)"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Silo.binary, &actions, nil, &argv, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        return pid
    }

    /// Starts silo, kills it after `delay` µs, and returns the marker's holders that are still
    /// there after a grace period (killed then, so that a failure leaves nothing running).
    static func killAndLook(_ extra: [String], delay: UInt32, marker: String) throws -> (survivors: [pid_t], running: Bool) {
        let pid = try spawnRun(extra, marker: marker)
        if delay > 0 { usleep(delay) }
        // Whether the command ran already: its shell is the marker holder whose comm is sh.
        let running = holders(of: marker).contains { (try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8)) == "sh\n" }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // Gone means gone in three looks 10 ms apart: one look can fall into an execve, while
        // the command line is briefly unreadable, and miss a survivor.
        var emptyLooks = 0
        var seen: [pid_t] = []
        let deadline = Date().addingTimeInterval(2)
        while emptyLooks < 3 && Date() < deadline {
            let now = holders(of: marker)
            if now.isEmpty { emptyLooks += 1 } else { emptyLooks = 0; seen = now }
            usleep(10_000)
        }
        if emptyLooks >= 3 { return ([], running) }
        for p in seen { kill(p, SIGKILL) }
        return (seen, running)
    }

    struct Leftovers: Equatable {
        var mounts: [String]
        var netns: [String]
        var veths: Set<String>
        static func take() -> Leftovers {
            let s = Host.Snapshot.take()
            return Leftovers(mounts: s.mounts, netns: s.netns, veths: Set(s.veths))
        }
    }

    /// The host as it was, allowing a few seconds: a netns (and the veth in it) is freed by a
    /// kernel worker after its last process has gone. Veths of others that came meanwhile are not ours.
    static func expectNothingLeft(since before: Leftovers) {
        var now = Leftovers.take()
        let deadline = Date().addingTimeInterval(10)
        while (now.mounts != before.mounts || now.netns != before.netns || !now.veths.isSubset(of: before.veths)) && Date() < deadline {
            usleep(50_000)
            now = Leftovers.take()
        }
        #expect(now.mounts == before.mounts)
        #expect(now.netns == before.netns)
        #expect(now.veths.subtracting(before.veths).isEmpty, "veths left: \(now.veths.subtracting(before.veths))")
    }

    /// How long, in µs, this configuration takes from spawn to its command running on this
    /// machine now: the slowest of three starts, so that a sweep scaled on it reaches past the
    /// exec however loaded the machine is (CI's two cores with other suites running).
    static func startTime(_ extra: [String], marker: String) throws -> UInt32 {
        var slowest: UInt32 = 0
        for i in 0..<3 {
            let started = DispatchTime.now().uptimeNanoseconds
            let pid = try spawnRun(extra, marker: "\(marker)-\(i)")
            var elapsed: UInt64 = 0
            var running = false
            while elapsed < 3_000_000_000 && !running {
                running = holders(of: "\(marker)-\(i)").contains { (try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8)) == "sh\n" }
                elapsed = DispatchTime.now().uptimeNanoseconds - started
                if !running { usleep(200) }
            }
            // A configuration that cannot start (a broken bridge, say) would make the sweep
            // all "before exec" and say nothing of why.
            #expect(running, "silo run \(extra) did not start its command within 3 s")
            // SIGKILL: a TERM would be forwarded to sh, which as pid 1 ignores it.
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            slowest = max(slowest, UInt32(elapsed / 1000))
        }
        return slowest
    }

    /// Delays from 0 to twice the measured start (at least `floor` µs), in about `steps` steps.
    static func delays(_ extra: [String], floor: UInt32, steps: UInt32) throws -> [UInt32] {
        let start = try startTime(extra, marker: "silo-kill-\(getpid())-probe")
        let span = max(floor, 2 * start)
        return Array(stride(from: 0, through: span, by: Int(max(span / steps, 100))))
    }

    static func sweep(_ extra: [String], delays: [UInt32], rounds: Int) throws {
        let before = Leftovers.take()
        var kills = 0, afterExec = 0
        for round in 0..<rounds {
            for d in delays {
                let marker = "silo-kill-\(getpid())-\(round)-\(d)"
                let (survivors, running) = try killAndLook(extra, delay: d, marker: marker)
                kills += 1
                if running { afterExec += 1 }
                #expect(survivors.isEmpty, "\(extra) killed after \(d) µs: \(survivors.count) processes outlived silo")
            }
        }
        // A last look for any process of this sweep that the looks above missed.
        let strays = holders(of: "silo-kill-\(getpid())-")
        for p in strays { kill(p, SIGKILL) }
        #expect(strays.isEmpty, "\(strays.count) processes outlived silo unseen")
        // Both sides of the exec must have been hit, or the sweep missed the start-up.
        #expect(afterExec > 0 && afterExec < kills, "\(afterExec) of \(kills) kills came after the command started")
        expectNothingLeft(since: before)
    }

    // The delays reach twice past a start measured just before (5-15 ms on a quiet machine,
    // far more on a loaded one), so that kills land on both sides of the exec.
    @Test(.enabled(if: Host.canRunContainers))
    func plainRun() throws {
        try Self.sweep([], delays: Self.delays([], floor: 30_000, steps: 60), rounds: 2)
    }

    @Test(.enabled(if: Host.canRunContainers))
    func withInit() throws {
        try Self.sweep(["--init"], delays: Self.delays(["--init"], floor: 40_000, steps: 40), rounds: 2)
    }

    @Test(.enabled(if: Host.canRunContainers))
    func withBridge() throws {
        // The default bridge persists until pruned (docs/networking.md), so the first run here
        // makes silo0 on the host unless it was there: a bridge this test made goes afterwards.
        let hadBridge = FileManager.default.fileExists(atPath: "/sys/class/net/silo0")
        defer {
            if !hadBridge {
                _ = try? Silo.exec("/usr/sbin/ip", ["link", "del", "silo0"])
                #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/silo0"), "the test's silo0 is still there")
            }
        }
        try Self.sweep(["--network", "bridge"], delays: Self.delays(["--network", "bridge"], floor: 40_000, steps: 80), rounds: 2)
    }
}
