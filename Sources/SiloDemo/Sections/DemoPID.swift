#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// PID: the process lists, PID 1 inside, and the same process's PID on the host (NSpid).
enum DemoPID {
    static let about = DemoSection.About(
        kind: .pid, title: "PID namespace: process numbers", cloneFlag: "CLONE_NEWPID", since: "2.6.24 (2008)",
        text: "The PID namespace gives processes a numbering of their own: the first process inside is PID 1 and sees only its own descendants, while the host sees the same processes under ordinary PIDs. A process has one PID in each namespace from its own up to the host's, which /proc/PID/status lists as NSpid.")

    static func run(_ ctx: DemoContext) -> DemoSection {
        var s = DemoSection(about, shared: ctx.shared.contains(.pid))
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/pid")
        script.block("self", "echo $$")
        script.block("nspid", "grep NSpid /proc/$$/status")
        script.block("ps", "ps -o pid,comm")
        script.waitForHost()

        var nspid: [String] = []
        var launcher: pid_t = 0
        var hostList: [(pid_t, String)] = []
        var kernelThreads: Set<pid_t> = []
        guard let r = ctx.run(&s, script, whileRunning: { pid, _ in
            nspid = ProcFS.nsPIDs("\(pid)")
            launcher = ProcFS.status("\(pid)")?["PPid"].flatMap { pid_t($0) } ?? 0
            hostList = ProcFS.pids().map { ($0, ProcFS.comm($0) ?? "?") }
            kernelThreads = Set(hostList.map(\.0).filter { ProcFS.isKernelThread($0) })
        }) else { return s }
        let b = r.blocks
        let ps = (b["ps"] ?? []).dropFirst().map { $0.strippingBlanks() }.filter { !$0.isEmpty }
        let container = hostList.first { $0.0 == r.pid }
        s.identityRows(r)
        s.row("shell_pid", "the container's shell ($$)", host: "PID \(r.pid)" + (container.map { " (\($0.1))" } ?? ""), container: b.first("self").map { "PID \($0)" })
        s.row("nspid", "NSpid in /proc/PID/status", host: nspid.isEmpty ? nil : nspid.joined(separator: " "), container: b.first("nspid").map { $0.dropFirst(6).strippingBlanks() })
        s.row("pid1", "PID 1", host: hostList.first { $0.0 == 1 }.map { "\($0.1)" }, container: ps.first { $0.hasPrefix("1 ") }.map { $0.dropFirst(2).strippingBlanks() })
        s.row("process_count", "number of processes", host: "\(hostList.count)", container: "\(ps.count)")
        // The first few, then the story of this section: the demo, its launcher, the container.
        let notes: [pid_t: String] = [getpid(): "  (this demo)", launcher: "  (its launcher)", r.pid: "  <- PID 1 inside"]
        let userSpace = hostList.filter { !kernelThreads.contains($0.0) }
        let first = Array(userSpace.prefix(3))
        let story = userSpace.filter { notes[$0.0] != nil && !first.map(\.0).contains($0.0) }
        var listing = first.map { "\($0.0) \($0.1)\(notes[$0.0] ?? "")" }
        let skipped = userSpace.count - first.count - story.count
        if skipped > 0 { listing.append("… \(skipped) more") }
        listing += story.map { "\($0.0) \($0.1)\(notes[$0.0] ?? "")" }
        listing.append("(and \(kernelThreads.count) kernel threads)")
        s.row("processes", "processes (PID COMMAND)", host: listing, container: DemoFormat.head(ps, 10))

        let evidence: DemoSection.Evidence
        if nspid.count >= 2 && nspid.last == "1" && nspid.first == "\(r.pid)" {
            evidence = .isolated("PID 1 inside is PID \(r.pid) on the host (NSpid \(nspid.joined(separator: " ")))")
        } else if nspid == ["\(r.pid)"] {
            evidence = .shared("the container's shell has one PID only, \(r.pid), the same inside and out (NSpid \(r.pid))")
        } else {
            evidence = .failed(nspid.isEmpty ? "cannot read NSpid of PID \(r.pid)" : "unexpected NSpid \(nspid.joined(separator: " ")) for PID \(r.pid)")
        }
        s.decide(hostNamespace: ProcFS.namespace("pid"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
