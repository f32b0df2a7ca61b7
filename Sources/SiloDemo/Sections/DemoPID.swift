#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// PID: the process lists, PID 1 inside, the same process's PID on the host (NSpid), PID 1's
/// signal rule, and a nested PID namespace.
enum DemoPID {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .pid, title: l.t("PID namespace: process numbers", "PID 命名空间：进程号"), cloneFlag: "CLONE_NEWPID", since: "2.6.24 (2008)",
            text: l.t("The PID namespace gives processes a numbering of their own: the first process inside is PID 1 and sees every process of its namespace (its descendants, and any process that joined later with setns(2)), while the host sees the same processes under ordinary PIDs. A process has one PID in each namespace from its own up to the host's, which /proc/PID/status lists as NSpid. PID namespaces nest; from inside its namespace PID 1 gets only the signals it has a handler for, and when it ends the kernel kills everything left in its namespace.",
                      "PID 命名空间给进程一套自己的编号：里面的第一个进程是 PID 1，能看到本命名空间的所有进程（它的后代，以及之后用 setns(2) 加入的进程）；主机则用普通的 PID 看到同样这些进程。一个进程在从它自己的命名空间到主机的每一层都有一个 PID，/proc/PID/status 的 NSpid 一行全列出来。PID 命名空间可以嵌套；来自本命名空间的信号，PID 1 只接收装了处理函数的那些；它一退出，内核就杀掉这个命名空间里剩下的所有进程。"))
    }

    /// "NSpid:\t7\t1" -> [7, 1]
    static func numbers(_ line: String?) -> [Int64] {
        (line ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int64($0) }
    }

    static func script(own: Bool) -> DemoScript {
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/pid")
        script.block("self", "echo $$")
        script.block("nspid", "grep NSpid /proc/$$/status")
        script.block("ps", "ps -o pid,comm")
        // PID 1 ignores a signal it has no handler for when it comes from its own namespace,
        // SIGKILL included: the shell is PID 1 here (no --init) and survives its own kill.
        // Both only in a PID namespace of its own: with --share pid, PID 1 and the sleeps
        // would be the host's.
        if own { script.block("kill1", "kill -KILL 1 && echo survived") }
        // A nested PID namespace (container root may make one: it holds CAP_SYS_ADMIN in the
        // user namespace that owns the container's): its sleep has a number on every level.
        if own { script.block("nested", "unshare -p -f sleep 600 & usleep 300000; for p in $(pidof sleep); do grep NSpid /proc/$p/status; done") }
        script.waitForHost()
        // Meanwhile the demo has joined the namespace with setns and forked a sleep there.
        if own { script.block("ps_after", "ps -o pid,ppid,comm") }
        if own { script.block("end_nested", "kill -KILL $(pidof sleep) 2>/dev/null; true") }
        return script
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.pid), lang: l)
        let own = !s.shared
        let script = self.script(own: own)

        var nspid: [String] = []
        var launcher: pid_t = 0
        var hostList: [(pid_t, String)] = []
        var kernelThreads: Set<pid_t> = []
        var nestedFromHost: [String] = []
        var joiner: DemoJoiner?
        var joinerNSpid: [String] = []
        defer { joiner?.end() }
        guard let r = ctx.run(&s, script, whileRunning: { pid, _ in
            if own {
                joiner = DemoJoiner.start(into: pid)
                joinerNSpid = joiner.map { ProcFS.nsPIDs("\($0.inner)") } ?? []
            }
            nspid = ProcFS.nsPIDs("\(pid)")
            launcher = ProcFS.status("\(pid)")?["PPid"].flatMap { pid_t($0) } ?? 0
            hostList = ProcFS.pids().map { ($0, ProcFS.comm($0) ?? "?") }
            kernelThreads = Set(hostList.map(\.0).filter { ProcFS.isKernelThread($0) })
            // The shell's child is unshare, whose child is the nested namespace's PID 1.
            for u in ProcFS.children(of: pid) { for n in ProcFS.children(of: u) { nestedFromHost = ProcFS.nsPIDs("\(n)") } }
        }) else { return s }
        let b = r.blocks
        let ps = (b["ps"] ?? []).dropFirst().map { $0.strippingBlanks() }.filter { !$0.isEmpty }
        let container = hostList.first { $0.0 == r.pid }
        let nspidInside = numbers(b.first("nspid").map { String($0.dropFirst(6)) })
        let nestedInside = numbers(b.first("nested").map { String($0.dropFirst(6)) })
        s.identityRows(r)
        s.row("shell_pid", l.t("the container's shell ($$)", "容器里的 shell ($$)"),
              host: .number(r.pid, shown: "PID \(r.pid)" + (container.map { " (\($0.1))" } ?? "")),
              container: b.first("self").flatMap { Int64($0) }.map { .number($0, shown: "PID \($0)") })
        s.row("nspid", l.t("NSpid in /proc/PID/status", "/proc/PID/status 的 NSpid"),
              host: nspid.isEmpty ? nil : .numbers(nspid.compactMap { Int64($0) }, shown: [nspid.joined(separator: " ")]),
              container: nspidInside.isEmpty ? nil : .numbers(nspidInside, shown: [nspidInside.map(String.init).joined(separator: " ")]))
        s.row("pid1", "PID 1", host: hostList.first { $0.0 == 1 }.map { "\($0.1)" }, container: ps.first { $0.hasPrefix("1 ") }.map { $0.dropFirst(2).strippingBlanks() })
        if own {
            s.row("pid1_kill", l.t("kill -KILL 1 from inside", "在里面 kill -KILL 1"), host: nil,
                  container: b.first("kill1") == "survived" ? l.t("ignored: PID 1 still runs", "被忽略：PID 1 还在") : (b["kill1"] ?? []).joined(separator: " "))
            s.row("nested_nspid", l.t("NSpid, nested namespace", "嵌套命名空间里的 NSpid"),
                  host: nestedFromHost.isEmpty ? nil : .numbers(nestedFromHost.compactMap { Int64($0) }, shown: [nestedFromHost.joined(separator: " ")]),
                  container: nestedInside.isEmpty ? .text((b["nested"] ?? []).joined(separator: " ")) : .numbers(nestedInside, shown: [nestedInside.map(String.init).joined(separator: " ")]))
        }
        if own { joinerRow(&s, joiner, nspid: joinerNSpid, b, kept: ctx.keep) }
        s.row("process_count", l.t("number of processes", "进程数"), host: .number(hostList.count), container: .number(ps.count))
        s.row("processes", l.t("processes (PID COMMAND)", "进程（PID 命令）"), host: listing(hostList, kernelThreads: kernelThreads, launcher: launcher, container: r.pid, l),
              container: .list(ps, limit: 10))
        if own { s.notes.append(l.t("The nested sleep was started with `unshare -p -f` inside the container: three PID namespaces, so three numbers, the host's first. PID 1's rule: a signal from its own namespace (or any below) is delivered only if PID 1 has a handler for it; from an ancestor namespace, SIGKILL and SIGSTOP always are. That is why a container's PID 1 must handle SIGTERM itself (or run under an init such as `silo run --init`).",
                           "嵌套的 sleep 是在容器里用 `unshare -p -f` 起的：三层 PID 命名空间，所以有三个号，主机的排在最前。PID 1 的规矩：来自本命名空间（或更下层）的信号，只有 PID 1 装了处理函数才会送达；来自上层命名空间的 SIGKILL 和 SIGSTOP 则一定送达。所以容器里的 PID 1 得自己处理 SIGTERM（或者用 `silo run --init` 这样的 init 来跑）。")) }

        let evidence: DemoSection.Evidence
        if nspid.count >= 2 && nspid.last == "1" && nspid.first == "\(r.pid)" {
            evidence = .isolated(l.t("PID 1 inside is PID \(r.pid) on the host (NSpid \(nspid.joined(separator: " ")))", "里面的 PID 1 在主机上是 PID \(r.pid)（NSpid \(nspid.joined(separator: " "))）"))
            s.why = l.t("A process is numbered in its own PID namespace and in every ancestor; it sees only the processes of its namespace and of those below it.",
                        "进程在自己的 PID 命名空间和每一层上级命名空间里各有一个号；它只看得到本命名空间及其下层的进程。")
        } else if nspid == ["\(r.pid)"] {
            evidence = .shared(l.t("the container's shell has one PID only, \(r.pid), the same inside and out (NSpid \(r.pid))", "容器的 shell 只有一个 PID：\(r.pid)，里外一样（NSpid \(r.pid)）"))
            s.why = l.t("Without a PID namespace of its own the container numbers processes as the host does, and sees every one of them.",
                        "没有自己的 PID 命名空间，容器就用主机的编号，也看得到主机上的每一个进程。")
        } else {
            evidence = .failed(nspid.isEmpty ? l.t("cannot read NSpid of PID \(r.pid)", "读不到 PID \(r.pid) 的 NSpid")
                : l.t("unexpected NSpid \(nspid.joined(separator: " ")) for PID \(r.pid)", "PID \(r.pid) 的 NSpid 出乎意料：\(nspid.joined(separator: " "))"))
        }
        s.decide(hostNamespace: ProcFS.namespace("pid"), containerNamespace: b.first("ns"), evidence)
        return s
    }

    /// The host's processes: the first few, then the story of this section (the demo, its
    /// launcher, the container), then a count of kernel threads. The JSON has them all.
    static func listing(_ hostList: [(pid_t, String)], kernelThreads: Set<pid_t>, launcher: pid_t, container: pid_t, _ l: DemoLanguage) -> DemoValue {
        let notes: [pid_t: String] = [getpid(): l.t("  (this demo)", "  （本 demo）"), launcher: l.t("  (its launcher)", "  （它的启动器）"), container: l.t("  <- PID 1 inside", "  <- 里面的 PID 1")]
        let userSpace = hostList.filter { !kernelThreads.contains($0.0) }
        let first = Array(userSpace.prefix(3))
        let story = userSpace.filter { notes[$0.0] != nil && !first.map(\.0).contains($0.0) }
        var lines = first.map { "\($0.0) \($0.1)\(notes[$0.0] ?? "")" }
        let skipped = userSpace.count - first.count - story.count
        if skipped > 0 { lines.append(l.t("… \(skipped) more", "… 另有 \(skipped) 个")) }
        lines += story.map { "\($0.0) \($0.1)\(notes[$0.0] ?? "")" }
        lines.append(l.t("(and \(kernelThreads.count) kernel threads)", "（另有 \(kernelThreads.count) 个内核线程）"))
        let json = JSON.array(hostList.map { p in
            .fields([("pid", .integer(p.0)), ("command", .string(p.1)), ("kernel_thread", .bool(kernelThreads.contains(p.0)))])
        })
        return DemoValue(lines: lines, json: json)
    }

    /// The setns joiner: its numbers seen from the host, and its line in PID 1's `ps` (the one
    /// with PPID 0 besides PID 1 itself).
    static func joinerRow(_ s: inout DemoSection, _ joiner: DemoJoiner?, nspid: [String], _ b: DemoBlocks, kept: Bool) {
        let l = s.lang
        let line = (b["ps_after"] ?? []).dropFirst().map { $0.split(separator: " ").map(String.init) }
            .first { $0.count >= 3 && $0[1] == "0" && $0[0] != "1" }
        s.row("setns_joiner", l.t("joined with setns, then fork", "用 setns 加入后 fork 的进程"),
              host: joiner.map { j in
                  DemoValue(lines: [l.t("PID \(j.inner) (NSpid \(nspid.joined(separator: " ")))", "PID \(j.inner)（NSpid \(nspid.joined(separator: " "))）")],
                            json: .array(nspid.compactMap { Int64($0) }.map { .integer($0) }))
              },
              container: line.map { f in
                  DemoValue(lines: ["PID \(f[0]) PPID 0 \(f[2])"], json: Int64(f[0]).map { .integer($0) } ?? .null)
              } ?? .text(l.t("not in ps", "ps 里没有")))
        // The container's PID 1 has exited by now (unless kept): the kernel killed every
        // process left in its namespace, the joiner too, though its parent is outside.
        if let j = joiner, !kept {
            let state = ProcFS.status("\(j.inner)")?["State"] ?? "gone"
            let dead = state.hasPrefix("Z") || state == "gone"
            s.row("setns_joiner_after", l.t("it, once PID 1 has exited", "PID 1 退出之后它"),
                  host: DemoValue(lines: [dead ? l.t("killed by the kernel", "被内核杀掉了") : l.t("still running: ", "还在运行：") + state], json: .bool(dead)),
                  container: nil)
        }
        if line != nil {
            s.notes.append(l.t("Three ways in: clone made the container's namespaces with its first process, `unshare -p -f` made the nested one, and the demo joined this one with setns(2) and forked, as nsenter does. PID 1's ps lists that fork like any member, with PPID 0: its parent is outside the namespace.",
                               "进入命名空间有三条路：clone 在创建容器第一个进程的同时建出命名空间，`unshare -p -f` 建了嵌套的那个，demo 则像 nsenter 一样用 setns(2) 加入这个命名空间再 fork。PID 1 的 ps 把这个 fork 出来的进程当普通成员列出来，PPID 是 0：它的父进程在命名空间外面。"))
        }
    }
}
