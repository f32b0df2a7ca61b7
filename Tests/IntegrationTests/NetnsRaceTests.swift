import Foundation
import Testing

/// `silo netns add` killed at any point, and add/delete of one name racing: a name either is a
/// namespace or is harmless (not listed, reused by add, removed by delete), and every failure
/// is a clean one-line refusal.
@Suite(.serialized) struct NetnsRaceTests {
    static func mountedAt(_ path: String) -> Int {
        let mi = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return mi.split(separator: "\n").filter { $0.split(separator: " ").dropFirst(4).first.map(String.init) == path }.count
    }

    @Test(.enabled(if: Host.canRunContainers))
    func killedAddLeavesNothingThatGetsInTheWay() throws {
        let name = "secin-kill-\(getpid())"
        let file = "/run/netns/" + name
        var leftovers = 0, bound = 0
        for round in 0..<150 {
            var pid: pid_t = 0
            var argv: [UnsafeMutablePointer<CChar>?] = [strdup(Silo.binary), strdup("netns"), strdup("add"), strdup(name), strdup("--lo-up"), nil]
            defer { for p in argv { free(p) } }
            #expect(posix_spawn(&pid, Silo.binary, nil, nil, &argv, environ) == 0)
            usleep(UInt32((round * 97) % 16_000))
            kill(pid, SIGKILL)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
            let exists = FileManager.default.fileExists(atPath: file)
            let isMounted = Self.mountedAt(file) > 0
            if exists && !isMounted { leftovers += 1 }
            if isMounted { bound += 1 }
            let list = try Silo.run(["netns", "list"])
            #expect(list.stdout.contains(name) == isMounted, "round \(round): list shows \(name): \(list.stdout.contains(name)), mounted: \(isMounted)")
            // Whatever the kill left, add works (a leftover is reused) unless the add had finished.
            let add = try Silo.run(["netns", "add", name])
            #expect(add.status == (isMounted ? 1 : 0), "round \(round) (file: \(exists), mounted: \(isMounted)): \(add)")
            let exec = try Silo.run(["netns", "exec", name, "true"])
            #expect(exec.status == 0, "round \(round): \(exec)")
            let del = try Silo.run(["netns", "delete", name])
            #expect(del.status == 0, "round \(round): \(del)")
            #expect(!FileManager.default.fileExists(atPath: file))
            #expect(Self.mountedAt(file) == 0)
        }
        print("netns add killed 150 times: \(leftovers) unbound leftovers, \(bound) finished adds")
        unlink(file)
    }

    @Test(.enabled(if: Host.canRunContainers))
    func aLeftoverFileIsHarmless() throws {
        let name = "secin-left-\(getpid())"
        let file = "/run/netns/" + name
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        defer { unlink(file) }
        #expect(!(try Silo.run(["netns", "list"])).stdout.contains(name))
        let exec = try Silo.run(["netns", "exec", name, "true"])
        #expect(exec.status == 255 && exec.stderr == "silo: netns \(name): no such named network namespace\n", "\(exec)")
        #expect(try Silo.run(["netns", "add", name]).status == 0)
        #expect(try Silo.run(["netns", "list"]).stdout.contains(name))
        #expect(try Silo.run(["netns", "delete", name]).status == 0)
        // delete removes a bare leftover too
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        #expect(try Silo.run(["netns", "delete", name]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test(.enabled(if: Host.canRunContainers))
    func concurrentAddAndDeleteFailCleanly() throws {
        let name = "secin-race-\(getpid())"
        let file = "/run/netns/" + name
        let before = Host.Snapshot.take()
        let loop = { (verb: String) in
            "for i in $(seq 150); do \(Silo.binary) netns \(verb) \(name) 2>&1 >/dev/null; echo \"status $?\"; done"
        }
        // Three loops at once, each a shell of its own (a shell waiting on background jobs
        // hangs under the test runner).
        let scripts = ["add", "delete", "add"].map(loop)
        nonisolated(unsafe) var outputs = [String](repeating: "", count: scripts.count)
        DispatchQueue.concurrentPerform(iterations: scripts.count) { i in
            outputs[i] = (try? Silo.host(scripts[i], timeout: 120))?.stdout ?? "timed out"
        }
        let r = (status: Int32(0), stdout: outputs.joined())
        let allowed: Set<String> = [
            "status 0", "status 1",
            "silo: netns \(name): already exists",
            "silo: netns \(name): no such named network namespace",
        ]
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("status") }.count == 450)
        let unexpected = lines.filter { !allowed.contains($0) }
        #expect(unexpected.isEmpty, "\(unexpected.prefix(5))")
        _ = try Silo.run(["netns", "delete", name])
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(Self.mountedAt(file) == 0)
        // One self-bind of /run/netns, not one per racing caller.
        #expect(Self.mountedAt("/run/netns") == before.mounts.filter { $0 == "/run/netns" }.count)
    }
}
