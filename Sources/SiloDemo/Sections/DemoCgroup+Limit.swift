#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// A limit at work: the section's container gets a small pids.max (as `--pids-limit` sets it),
/// tries to start more sleepers than it allows, and both sides read the same counter: the
/// cgroup namespace hides the path, not the limit.
extension DemoCgroup {
    static let pidsLimit: Int64 = 16
    static let attempts = 30

    /// The forks run in a subshell, which busybox's shell leaves when one fails ("can't fork");
    /// what follows uses builtins only (read, echo, kill), since no fork is left to spare until
    /// the sleepers are gone.
    static func limitBlocks(_ script: inout DemoScript, pidFile: String) {
        script.block("pids_max", "{ read -r v < /sys/fs/cgroup/pids.max || read -r v < /sys/fs/cgroup/pids/pids.max; } 2>/dev/null; echo $v")
        script.block("forks", "( i=0; while [ $i -lt \(attempts) ]; do sleep 60 & echo $! >> \(pidFile); i=$((i+1)); done ); n=0; while read -r x; do n=$((n+1)); done < \(pidFile); echo \"started $n\"")
    }

    static func limitCleanup(_ script: inout DemoScript, pidFile: String) {
        script.block("end_forks", "while read -r x; do kill $x; done < \(pidFile); rm -f \(pidFile)")
    }

    /// The container's cgroup directory for the pids controller, from /proc/PID/cgroup as the
    /// host reads it (v1: the pids hierarchy; v2: the unified one).
    static func pidsDirectory(_ cgroupLines: [String]?) -> String? {
        for line in cgroupLines ?? [] {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            if f[1] == "pids" { return "/sys/fs/cgroup/pids" + f[2] }
        }
        for line in cgroupLines ?? [] where line.hasPrefix("0::") {
            return "/sys/fs/cgroup" + line.dropFirst(3)
        }
        return nil
    }

    static func readValue(_ path: String) -> String? {
        (try? FileIO.read(path))?.split(separator: "\n").first.map(String.init)
    }

    static func limitRows(_ s: inout DemoSection, _ b: DemoBlocks, hostDirectory: String?, hostCurrent: String?, hostMax: String?) {
        let l = s.lang
        let lines = b["forks"] ?? []
        let started = lines.last.flatMap { $0.hasPrefix("started ") ? Int($0.dropFirst(8)) : nil }
        let refusal = lines.first { $0.contains("fork") }
        s.row("pids_max", "pids.max", host: hostMax.map { v in DemoValue(lines: [v], json: Int64(v).map { .integer($0) } ?? .string(v)) },
              container: b.first("pids_max").map { v in DemoValue(lines: [v], json: Int64(v).map { .integer($0) } ?? .string(v)) })
        s.row("pids_current", l.t("pids.current while they run", "pids.current（sleep 运行中）"),
              host: hostCurrent.map { v in DemoValue(lines: [v], json: Int64(v).map { .integer($0) } ?? .string(v)) }, container: nil)
        s.row("forks", l.t("start \(attempts) sleepers", "启动 \(attempts) 个 sleep"), host: nil,
              container: started.map { n in
                  DemoValue(lines: [l.t("\(n) started", "启动了 \(n) 个")] + (refusal.map { [$0] } ?? []), json: .integer(n))
              } ?? .text(lines.joined(separator: " ")))
        if let started, started < attempts, let hostDirectory {
            s.notes.append(l.t("A limit at work: silo gave this container pids.max = \(pidsLimit) (what --pids-limit \(pidsLimit) sets) in \(hostDirectory). Of \(attempts) sleepers \(started) started; the next fork failed with EAGAIN. Inside, the same file reads at the root of the container's cgroup tree: the cgroup namespace hides the path, not the limit.",
                               "限制在起作用：silo 给这个容器设了 pids.max = \(pidsLimit)（和 --pids-limit \(pidsLimit) 一样），位置是 \(hostDirectory)。要起 \(attempts) 个 sleep，只起来 \(started) 个，再 fork 就得到 EAGAIN。在容器里，同一个文件就在它的 cgroup 树的根上：cgroup 命名空间藏起来的是路径，不是限制。"))
        }
    }
}
