import SiloKit
import SiloSys

/// Cgroup: /proc/self/cgroup inside, and the same process's cgroups as the host reads them.
enum DemoCgroup {
    static let about = DemoSection.About(
        kind: .cgroup, title: "Cgroup namespace: the view of control groups", cloneFlag: "CLONE_NEWCGROUP", since: "4.6 (2016)",
        text: "The cgroup namespace virtualizes the view of control groups: a process sees the cgroup it was in when the namespace was made as the root, so /proc/self/cgroup reads / and the host's hierarchy above stays hidden. It hides paths only; the limits that apply are the same.")

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
        var s = DemoSection(about, shared: ctx.shared.contains(.cgroup))
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/cgroup")
        script.block("cgroup", "cat /proc/self/cgroup")
        script.waitForHost()

        var fromHost: [String]?
        guard let r = ctx.run(&s, script, whileRunning: { pid, _ in fromHost = lines(try? FileIO.read("/proc/\(pid)/cgroup")) }) else { return s }
        let inside = r.blocks["cgroup"] ?? []
        s.identityRows(r)
        s.row("cgroup", "the shell's cgroups", host: fromHost, container: inside)
        s.notes.append("Both columns are the same process's cgroups, read at the same moment: on the left through the host's cgroup namespace (/proc/\(r.pid)/cgroup), on the right through its own (/proc/self/cgroup).")

        let evidence: DemoSection.Evidence
        let insidePaths = paths(inside), hostPaths = paths(fromHost ?? [])
        let deep = hostPaths.filter { $0.value != "/" }
        if inside.isEmpty || hostPaths.isEmpty {
            evidence = .failed("no cgroups read" + (inside.isEmpty ? " inside" : " from the host"))
        } else if !deep.isEmpty && deep.allSatisfy({ insidePaths[$0.key] == "/" }) {
            let (k, v) = deep.sorted { $0.key < $1.key }[0]
            evidence = .isolated("the host sees \(k):\(v), the container sees / there: its own cgroup is its root")
        } else if !deep.isEmpty && deep.allSatisfy({ insidePaths[$0.key] == $0.value }) {
            let (k, v) = deep.sorted { $0.key < $1.key }[0]
            evidence = .shared("the container sees the host's path \(k):\(v)")
        } else if deep.isEmpty {
            evidence = .inconclusive("the container's cgroups are the host's root cgroups, which read / from anywhere")
        } else {
            evidence = .failed("the paths inside match neither the host's nor the container's own root")
        }
        s.decide(hostNamespace: ProcFS.namespace("cgroup"), containerNamespace: r.blocks.first("ns"), evidence)
        return s
    }
}
