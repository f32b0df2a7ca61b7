import Foundation
import Testing

/// A cgroup v2 subtree delegated to the rootless user (docs/rootless.md, "Cgroups"): root makes a
/// cgroup under the host's cgroup2 mount and gives it to the user as systemd's Delegate=yes does
/// (the directory, cgroup.procs, cgroup.subtree_control and cgroup.threads), then starts silo
/// as the user from a process inside it.
enum DelegatedCgroup {
    /// The host's cgroup2 mount (/sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on this
    /// hybrid one); nil without one.
    static let mount: String? = {
        guard let info = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let dash = f.firstIndex(of: "-"), dash + 1 < f.count, f[dash + 1] == "cgroup2" else { continue }
            if f[4].hasPrefix("/sys/fs/cgroup") { return String(f[4]) }
        }
        return nil
    }()

    /// Made for `user` (removed by the caller, which also checks it is empty).
    static func make(for user: String) throws -> String {
        let dir = "\(mount ?? "")/silo-rl-delegated-\(UInt32.random(in: 0...UInt32.max))"
        try RootlessHost.sh("mkdir \(dir) && chown \(user) \(dir) \(dir)/cgroup.procs \(dir)/cgroup.subtree_control \(dir)/cgroup.threads")
        return dir
    }

    /// Sub-cgroups left in `dir`.
    static func children(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir + "/" + $0, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    /// `silo ARGS` as `user`, exec'd by a shell that root first moved into `cgroup`; `meanwhile`
    /// runs on the host beside it (started before the move, so outside the cgroup).
    static func silo(_ user: String, in cgroup: String, _ args: [String], meanwhile: String = ":") throws -> Silo.Result {
        let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try Silo.host("""
            ( \(meanwhile) ) &
            echo $$ > \(cgroup)/cgroup.procs || exit 99
            exec /usr/bin/env -u XDG_RUNTIME_DIR -u SILO_ROOTFS /usr/bin/setpriv --reuid=\(user) --regid=\(user) --clear-groups -- \(Silo.binary) \(quoted)
            """, timeout: 90)
    }
}

extension RootlessTests {
    /// The container runs in a cgroup of its own under the delegated one, born there (clone3
    /// CLONE_INTO_CGROUP) and rooted there (its cgroup namespace shows `/`, its /sys/fs/cgroup
    /// is that cgroup); from the host, while it runs, its process sits in DELEGATED/silo-*. A
    /// limit the subtree cannot give (memory: a v1 controller on this host) is refused saying
    /// why. Afterwards nothing silo made is left in the subtree, and the subtree is as root
    /// made it.
    @Test(.enabled(if: DelegatedCgroup.mount != nil, "needs a cgroup2 mount under /sys/fs/cgroup"))
    func aDelegatedCgroupV2SubtreeHoldsTheContainer() throws {
        let user = R.single
        let d = try DelegatedCgroup.make(for: user)
        defer { _ = try? Silo.host("rmdir \(d)") }
        let sync = "\(R.dir)/\(user)-data"
        defer { _ = try? Silo.host("rm -f \(sync)/inside \(sync)/ready \(sync)/go") }
        let rel = String(d.dropFirst(DelegatedCgroup.mount!.count))
        let r = try DelegatedCgroup.silo(user, in: d, [
            "run", "--rootfs", R.rootfs(user), "-v", "\(sync):/sync", "--", "/bin/sh", "-c",
            "{ cat /proc/self/cgroup; echo procs; cat /sys/fs/cgroup/cgroup.procs; } > /sync/inside; touch /sync/ready;"
                + " i=0; while [ ! -e /sync/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done",
        ], meanwhile: """
            i=0; while [ ! -e \(sync)/ready ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
            for c in \(d)/silo-*; do [ -d "$c" ] || continue; echo "cgroup ${c##*/}"; for p in $(cat $c/cgroup.procs); do grep '^0::' /proc/$p/cgroup; done; done
            touch \(sync)/go
            """)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let made = lines.filter { $0.hasPrefix("cgroup silo-") }.map { String($0.dropFirst(7)) }
        #expect(made.count == 1, "\(r)")
        let host = lines.filter { $0.hasPrefix("0::") }
        #expect(!host.isEmpty && host.allSatisfy { $0 == "0::\(rel)/\(made.first ?? "?")" }, "\(r)")
        let inside = (try? String(contentsOfFile: "\(sync)/inside", encoding: .utf8)) ?? ""
        let insideLines = inside.split(separator: "\n")
        #expect(insideLines.contains("0::/"), "\(inside)")
        let procs = insideLines.drop { $0 != "procs" }.dropFirst()
        #expect(procs.contains("1"), "its own cgroup at /sys/fs/cgroup holds its PID 1: \(inside)")
        #expect(r.stderr.contains("under the delegated \(d)"), "\(r.stderr)")

        let controllers = (try? String(contentsOfFile: d + "/cgroup.controllers", encoding: .utf8)) ?? ""
        let memory = try DelegatedCgroup.silo(user, in: d, ["run", "--rootfs", R.rootfs(user), "--memory", "64m", "--", "/bin/cat", "/sys/fs/cgroup/memory.max"])
        if controllers.split(whereSeparator: \.isWhitespace).contains("memory") {
            #expect(memory.status == 0 && memory.stdout == "\(64 << 20)\n", "\(memory)")
        } else {
            #expect(memory.status == 125 && memory.stdout.isEmpty, "\(memory)")
            #expect(memory.stderr.contains("--memory: no memory controller in the delegated cgroup \(d)"), "\(memory.stderr)")
        }

        #expect(DelegatedCgroup.children(d).isEmpty, "left in \(d): \(DelegatedCgroup.children(d))")
        let subtree = (try? String(contentsOfFile: d + "/cgroup.subtree_control", encoding: .utf8)) ?? "?"
        #expect(subtree.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(subtree)")
        let procs2 = (try? String(contentsOfFile: d + "/cgroup.procs", encoding: .utf8)) ?? "?"
        #expect(procs2.isEmpty, "processes left in \(d): \(procs2)")
        #expect(try Silo.host("rmdir \(d)").status == 0)
        #expect(try Silo.host("pgrep -u \(user)").stdout.isEmpty)
    }
}
