#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Cgroup: /proc/self/cgroup inside, and the same process's cgroups as the host reads them.
enum DemoCgroup {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .cgroup, title: l.t("Cgroup namespace: the view of control groups", "cgroup 命名空间：控制组的视图"), cloneFlag: "CLONE_NEWCGROUP", since: "4.6 (2016)",
            text: l.t("The cgroup namespace virtualizes the view of control groups: a process sees the cgroup it was in when the namespace was made as the root, so /proc/self/cgroup reads / and the host's hierarchy above stays hidden. It hides paths only; the limits that apply are the same.",
                      "cgroup 命名空间虚拟化的是控制组的视图：进程把建命名空间时所在的 cgroup 当作根，于是 /proc/self/cgroup 显示 /，主机上层的层级结构就藏起来了。它只藏路径，生效的限制一点不变。"))
    }

    static func lines(_ text: String?) -> [String]? { text.map { $0.split(separator: "\n").map(String.init) } }

    /// "4:memory:/a/b" -> ("4:memory", "/a/b")
    static func paths(_ lines: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for l in lines {
            guard let c = l.lastIndex(of: ":") else { continue }
            out[String(l[..<c])] = String(l[l.index(after: c)...])
        }
        return out
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.cgroup), lang: l)
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/cgroup")
        script.block("cgroup", "cat /proc/self/cgroup")
        let pidFile = "/tmp/\(ctx.tag).pids"
        limitBlocks(&script, pidFile: pidFile)
        script.waitForHost()
        limitCleanup(&script, pidFile: pidFile)
        // With --share mnt the file is in the host's /tmp: never leave it there.
        defer { if ctx.shared.contains(.mnt) { unlink(pidFile) } }

        var fromHost: [String]?
        var hostCounter: (directory: String?, current: String?, max: String?)
        guard let r = ctx.run(&s, script, configure: { $0.limits.pidsLimit = pidsLimit }, whileRunning: { pid, _ in
            fromHost = lines(try? FileIO.read("/proc/\(pid)/cgroup"))
            let dir = pidsDirectory(fromHost)
            hostCounter = (dir, dir.flatMap { readValue($0 + "/pids.current") }, dir.flatMap { readValue($0 + "/pids.max") })
        }) else { return s }
        let inside = r.blocks["cgroup"] ?? []
        s.identityRows(r)
        s.row("cgroup", l.t("the shell's cgroups", "shell 所在的 cgroup"), host: fromHost, container: inside)
        s.notes.append(l.t("Both columns are the same process's cgroups, read at the same moment: on the left through the host's cgroup namespace (/proc/\(r.pid)/cgroup), on the right through its own (/proc/self/cgroup).",
                           "两栏是同一个进程在同一时刻的 cgroup：左边经由主机的 cgroup 命名空间读（/proc/\(r.pid)/cgroup），右边经由它自己的读（/proc/self/cgroup）。"))
        limitRows(&s, r.blocks, hostDirectory: hostCounter.directory, hostCurrent: hostCounter.current, hostMax: hostCounter.max)

        let evidence: DemoSection.Evidence
        let insidePaths = paths(inside), hostPaths = paths(fromHost ?? [])
        let deep = hostPaths.filter { $0.value != "/" }
        if inside.isEmpty || hostPaths.isEmpty {
            evidence = .failed(inside.isEmpty ? l.t("no cgroups read inside", "里面没读到 cgroup") : l.t("no cgroups read from the host", "从主机没读到 cgroup"))
        } else if !deep.isEmpty && deep.allSatisfy({ insidePaths[$0.key] == "/" }) {
            let (k, v) = deep.sorted { $0.key < $1.key }[0]
            evidence = .isolated(l.t("the host sees \(k):\(v), the container sees / there: its own cgroup is its root", "主机看到的是 \(k):\(v)，容器看到的是 /：它自己的 cgroup 就是它的根"))
            s.why = l.t("A cgroup namespace shows paths relative to the cgroup its creator was in; silo moves the container into its own cgroup first, then makes the namespace.",
                        "cgroup 命名空间里显示的路径，是相对于创建者当时所在的 cgroup 的；silo 先把容器放进它自己的 cgroup，再建命名空间。")
        } else if !deep.isEmpty && deep.allSatisfy({ insidePaths[$0.key] == $0.value }) {
            let (k, v) = deep.sorted { $0.key < $1.key }[0]
            evidence = .shared(l.t("the container sees the host's path \(k):\(v)", "容器看到的是主机上的路径 \(k):\(v)"))
            s.why = l.t("In the host's cgroup namespace every path reads from the host's root, so the container learns where it sits in the host's hierarchy.",
                        "在主机的 cgroup 命名空间里，所有路径都从主机的根算起，容器于是知道自己在主机层级中的位置。")
        } else if deep.isEmpty {
            evidence = .inconclusive(l.t("the container's cgroups are the host's root cgroups, which read / from anywhere", "容器所在的就是主机的根 cgroup，从哪儿读都是 /"))
        } else {
            evidence = .failed(l.t("the paths inside match neither the host's nor the container's own root", "里面的路径既不是主机的，也不是以容器自己为根的"))
        }
        s.decide(hostNamespace: ProcFS.namespace("cgroup"), containerNamespace: r.blocks.first("ns"), evidence)
        return s
    }
}
