#if canImport(Glibc)
import Glibc
#endif
import SiloDemo
import SiloKit
import SiloSpec
import SiloSys

/// `silo demo`: each namespace shown live, the host's view beside a fresh container's, with a
/// verdict. It is also a self-test of the host: the exit status is 0 only when every section
/// shown is ISOLATED.
public enum DemoCommand {
    public static let parser = ArgumentParser(command: "silo demo", options: [
        .init(["--json"], help: "The same evidence as JSON"),
        .init(["--share"], value: "KIND", help: "Run KIND's container in the host's namespace of KIND (repeatable)"),
        .init(["--rootfs"], value: "DIR", help: "Root file system (default \(RunConfig.defaultRootfs))"),
        .init(["--time-offset"], value: "SECS", help: "CLOCK_MONOTONIC/BOOTTIME offset of the time section (default 864000, 10 days; negative: behind)"),
        .init(["--step"], help: "After each section show the script it ran and silo's namespace system calls, and wait for Enter"),
        .init(["--keep"], help: "Leave the section's container running (one KIND) and print how to enter and remove it"),
    ], stopAtPositional: false)

    public static let usage = "silo demo [KIND...] [--json] [--share KIND] [--step] [KIND --keep]"
    public static let summary = """
    Show each namespace live: for every KIND (mnt, uts, ipc, pid, net, user, cgroup, and time where
    the kernel has it) start a fresh container and print the host's view beside the container's,
    measured now, with a verdict and why. Exits 1 unless every section shown is ISOLATED. The text
    is in Chinese under a zh locale (LC_ALL, LC_MESSAGES or LANG = zh_*).
    """

    static let sections = Demo.sections

    static func run(_ args: [String]) throws(CommandFailure) -> Int32 {
        do { return try main(args) } catch { throw CommandFailure(error) }
    }

    static func main(_ args: [String]) throws(RuntimeError) -> Int32 {
        let r = try parser.parse(args)
        if r.has("--help") {
            Output.out(parser.help(usage: usage, summary: summary))
            return 0
        }
        let (chosen, shared) = try kinds(r)
        let offset = try timeOffset(r)
        let json = r.flag("--json")
        let keep = r.flag("--keep")
        let showDetails = r.flag("--step")
        var step = showDetails
        if step && json { throw RuntimeError(.usage, "demo: --step is for reading at a terminal, not with --json") }
        if keep && chosen.count != 1 {
            throw RuntimeError(.usage, "demo: --keep keeps one section's container: name one KIND (e.g. silo demo pid --keep)")
        }
        guard HostIdentity.isRealRoot else {
            throw RuntimeError(.runtime, "demo: needs root, as silo run does for now")
        }
        var rootfs = r.last("--rootfs") ?? ProcessEnvironment.value("SILO_ROOTFS") ?? RunConfig.defaultRootfs
        rootfs = try Rootfs.resolve(rootfs, readWrite: false)
        guard ProcessStatus.current().threads == 1 else {
            throw RuntimeError(.runtime, "demo: must be single-threaded to start containers")
        }
        // A container that ends early must not kill the demo through its pipes.
        signal(SIGPIPE, SIG_IGN)

        let style = TextStyle.forStdout()
        var ctx = DemoContext(rootfs: rootfs, timeOffset: offset, shared: shared,
                              launch: { RunCommand.launch($0, exit: Exit.now) })
        let l = DemoLanguage.fromEnvironment()
        ctx.lang = l
        ctx.keep = keep
        if step && !Terminal.isTerminal(0) {
            Output.error(l.t("silo: demo --step: stdin is not a terminal, so the demo does not pause between sections",
                             "silo: demo --step：标准输入不是终端，各节之间不暂停"))
            step = false
        }
        if !json && chosen.count > 1 {
            let shares = shared.sorted().map(\.rawValue).joined(separator: ", ")
            Output.out(style.bold("silo demo") + l.t(": the namespaces of Linux \(Kernel.release()), on \(Kernel.hostname()), as they are now.",
                                                     "：Linux \(Kernel.release()) 的命名空间，在 \(Kernel.hostname()) 上，此时此刻的样子。"))
            Output.out(TextStyle.wrap(l.t("Each section starts a fresh container (busybox from \(rootfs)) and shows, side by side, what silo reads on the host and what the container reports from inside.",
                                          "每一节都新起一个容器（busybox，来自 \(rootfs)），把 silo 在主机上读到的和容器在里面报告的并排列出来。")
                + (shared.isEmpty ? "" : l.t(" With --share \(shares), that section's container stays in the host's namespace of that kind.",
                                             "用了 --share \(shares)，那一节的容器就留在主机的同类命名空间里。")), style.width, indent: ""))
        }
        let (done, interrupted) = runSections(chosen, ctx, style: style, json: json, step: showDetails, pause: step)
        if let sig = interrupted {
            Output.error(l.t("silo: demo: interrupted", "silo: demo：被中断"))
            return 128 + sig
        }
        let ok = done.allSatisfy { $0.verdict == .isolated }
        if json {
            let doc = JSON.fields([
                ("kernel", .string(Kernel.release())),
                ("hostname", .string(Kernel.hostname())),
                ("rootfs", .string(rootfs)),
                ("shared", .array(shared.sorted().map { .string($0.rawValue) })),
                ("ok", .bool(ok)),
                ("sections", .array(done.map(\.json))),
            ])
            Output.out(doc.encoded(indent: "  "))
        } else if done.count > 1 {
            Output.write(1, DemoReport.summary(done, style))
        }
        return ok ? 0 : 1
    }

    /// The sections to show and the kinds to share, checked against what this kernel has.
    static func kinds(_ r: ArgumentParser.Result) throws(RuntimeError) -> (chosen: [NamespaceKind], shared: Set<NamespaceKind>) {
        let known = sections.map(\.kind.rawValue)
        let present = known.filter { $0 != "time" || HostIdentity.hasTimeNamespaces }
        for k in r.positionals + r.all("--share") where !known.contains(k) {
            throw RuntimeError(.usage, "demo: unknown namespace `\(k)` (expected \(known.joined(separator: ", ")))")
        }
        for k in r.positionals + r.all("--share") where !present.contains(k) {
            throw RuntimeError(.usage, "demo: this kernel has no \(k) namespaces")
        }
        let chosen = r.positionals.isEmpty ? present : present.filter { r.positionals.contains($0) }
        let shared = Set(r.all("--share"))
        for k in shared where !chosen.contains(k) {
            throw RuntimeError(.usage, "demo: --share \(k): the \(k) section is not among those shown")
        }
        return (chosen.compactMap(NamespaceKind.init(rawValue:)), Set(shared.compactMap(NamespaceKind.init(rawValue:))))
    }

    static func timeOffset(_ r: ArgumentParser.Result) throws(RuntimeError) -> Int64 {
        guard let t = r.last("--time-offset") else { return 864_000 }
        guard let v = Int64(t), v != 0, abs(v) <= 100 * 365 * 86400 else {
            throw RuntimeError(.usage, "demo: time offset `\(t)`: expected whole seconds, not 0")
        }
        return v
    }

    /// Runs the chosen sections in order, printing each as it ends unless `json`. Ctrl-C waits
    /// for the current section to end: a section always removes what it made on the host (a
    /// shared memory segment, a message queue) and reaps its container. `interrupted` is the
    /// signal that stopped the run.
    static func runSections(_ chosen: [NamespaceKind], _ ctx: DemoContext, style: TextStyle, json: Bool,
                            step: Bool = false, pause: Bool = false) -> (done: [DemoSection], interrupted: Int32?) {
        let interrupts = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for sig in interrupts { sigaddset(&blocked, sig) }
        sigprocmask(SIG_BLOCK, &blocked, nil)
        var done: [DemoSection] = []
        func interrupted() -> Int32? {
            var pending = sigset_t()
            sigpending(&pending)
            return interrupts.first { sigismember(&pending, $0) == 1 }
        }
        let shown = sections.filter { chosen.contains($0.kind) }
        for (i, section) in shown.enumerated() {
            let s = section.run(ctx)
            done.append(s)
            if !json { Output.write(1, DemoReport.text(s, style, step: step)) }
            if let sig = interrupted() { return (done, sig) }
            if pause && i + 1 < shown.count {
                Output.write(1, "\n" + style.bold(ctx.lang.t("-- Enter: next, ", "-- 回车：下一节，") + shown[i + 1].about(ctx.lang).title) + " ")
                switch waitForEnter(interrupts) {
                case .enter: break
                case .endOfInput: return (done, nil)
                case .signal(let sig): return (done, sig)
                }
            }
        }
        return (done, nil)
    }

    enum Pause { case enter, endOfInput, signal(Int32) }

    /// Waits for a line on stdin, while the interrupting signals stay blocked (so that a Ctrl-C
    /// here ends the demo cleanly between sections rather than inside one).
    static func waitForEnter(_ interrupts: [Int32]) -> Pause {
        var pfd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        while true {
            var pending = sigset_t()
            sigpending(&pending)
            if let sig = interrupts.first(where: { sigismember(&pending, $0) == 1 }) { return .signal(sig) }
            let n = poll(&pfd, 1, 200)
            if n < 0 && errno != EINTR { return .endOfInput }
            if n <= 0 { continue }
            var c: UInt8 = 0
            while true {
                let got = read(0, &c, 1)
                if got <= 0 { return .endOfInput }
                if c == 0x0A { return .enter }
            }
        }
    }
}
