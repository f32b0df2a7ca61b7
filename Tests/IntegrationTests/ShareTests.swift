import Foundation
import Testing

/// `silo run --share KIND`: the container shares exactly that namespace with the host and keeps
/// its own of every other kind; mnt and user are refused (they give up the container itself).
@Suite struct ShareTests {
    static let kinds = ["cgroup", "ipc", "net", "pid", "time", "uts"]

    @Test(.enabled(if: Host.canRunContainers), arguments: kinds)
    func sharesExactlyThatNamespace(kind: String) throws {
        let before = Host.Snapshot.take()
        let all = Self.kinds + ["mnt", "user"]
        let script = all.map { "echo \($0)=$(readlink /proc/self/ns/\($0))" }.joined(separator: "; ")
        let r = try Silo.container(["--share", kind, "--", "sh", "-c", script])
        #expect(r.status == 0, "\(r)")
        var inside: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { inside[String(kv[0])] = String(kv[1]) }
        }
        for k in all {
            let host = Host.nsInode(k)
            #expect(!host.isEmpty && inside[k]?.isEmpty == false, "\(k): \(r)")
            if k == kind {
                #expect(inside[k] == host, "--share \(kind): \(k) is not the host's")
            } else {
                #expect(inside[k] != host, "--share \(kind): \(k) is the host's too")
            }
        }
        let after = Host.Snapshot.take()
        #expect(after.mounts == before.mounts)
        #expect(after.children.isEmpty)
    }

    @Test(.enabled(if: Host.canRunContainers), arguments: ["mnt", "user"])
    func refusesWhatGivesUpTheContainer(kind: String) throws {
        let marker = "/tmp/sec-inputs-share-\(getpid())"
        let r = try Silo.container(["--share", kind, "--", "touch", marker])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.hasPrefix("silo: --share \(kind): "), "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        // Under the old --share mnt the command ran on the host's file system.
        #expect(!FileManager.default.fileExists(atPath: marker))
        unlink(marker)
    }

    @Test func helpNoLongerSaysDemoOnly() throws {
        let r = try Silo.run(["run", "--help"])
        let line = r.stdout.split(separator: "\n").first { $0.contains("--share") } ?? ""
        #expect(!line.contains("demo only"), "\(line)")
        #expect(line.contains("uts, ipc, pid, net, cgroup, time"), "\(line)")
    }
}
