#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// What every section of `silo demo` shares: the options, and how a section's container runs.
public struct DemoContext: Sendable {
    var rootfs: String
    var timeOffset: Int64
    var shared: Set<NamespaceKind>
    public var lang: DemoLanguage = .en
    /// Leave each section's container running (`--keep`): its script ends in a long sleep.
    public var keep = false
    /// Starts a container in this (forked) process and ends it with silo's exit status: the
    /// command line's own `silo run`, so a section's container starts exactly as `silo run` does.
    var launch: @Sendable (RunConfig) -> Never
    /// Names silo makes on the host or in containers carry this, so they cannot clash with
    /// anything else and are easy to find and remove.
    let tag = "silo-demo-\(getpid())"

    public init(rootfs: String, timeOffset: Int64, shared: Set<NamespaceKind>, launch: @escaping @Sendable (RunConfig) -> Never) {
        self.rootfs = rootfs
        self.timeOffset = timeOffset
        self.shared = shared
        self.launch = launch
    }

    func t(_ en: String, _ zh: String) -> String { lang.t(en, zh) }

    /// The container's command: the rootfs's busybox, by absolute path. busybox's shell runs its
    /// applets itself, so the script works even without the rootfs (`--share mnt`, where
    /// /bin/busybox is the host's, which the default rootfs was copied from).
    func config(kind: NamespaceKind, script: DemoScript) -> RunConfig {
        var c = RunConfig(argv: ["/bin/busybox", "sh", "-c", script.text + (keep ? DemoScript.keepTail : "")])
        c.rootfs = rootfs
        c.hostname = "silo-demo"
        // The demo changes things inside its own namespaces (the hostname, a mount) to show
        // they stay there: it needs the capabilities of container root, and no filter.
        c.capAdd = ["ALL"]
        c.seccomp = .unconfined
        if shared.contains(kind) { c.share = [kind] }
        return c
    }

    /// Starts the section's container, lets `whileRunning` measure the host's side while the
    /// script waits (it gets the container's PID as the host numbers it, and what the script
    /// printed so far), and returns everything the script printed. On any failure the section
    /// is marked FAILED with the reason and nil is returned. With `keep`, the container is left
    /// running once its script is done, and the section names it.
    func run(_ section: inout DemoSection, _ script: DemoScript,
             configure: (inout RunConfig) -> Void = { _ in },
             whileRunning: (pid_t, DemoBlocks) -> Void = { _, _ in }) -> DemoRun? {
        section.script = script.text
        var config = self.config(kind: section.about.kind, script: script)
        configure(&config)
        section.syscalls = DemoSyscalls.made(for: config, lang: lang)
        var container: DemoContainer
        do {
            container = try DemoContainer.start(config, keep: keep, launch: launch)
        } catch {
            section.fail(t("could not start the container: ", "容器没能启动：") + error.message)
            return nil
        }
        defer { container.release() }
        section.launcherPID = container.launcher
        guard container.waitUntilReady(), let pid = container.pid else {
            let status = container.finish(seconds: 5)
            section.fail(failure(container, status: status, what: t("did not report its view", "没有报告它看到的情况")))
            return nil
        }
        section.containerPID = pid
        let fromHost = ProcFS.namespace(section.about.kind.rawValue, of: "\(pid)")
        whileRunning(pid, container.blocks)
        if keep {
            guard container.detach() else {
                let status = container.finish(seconds: 5)
                section.fail(failure(container, status: status, what: t("ended before it could be kept", "没等到保留就结束了")))
                return nil
            }
            section.kept = true
            return DemoRun(blocks: container.blocks, pid: pid, namespaceFromHost: fromHost)
        }
        let status = container.finish()
        if status != 0 {
            section.fail(failure(container, status: status, what: t("failed", "失败了")))
            return nil
        }
        return DemoRun(blocks: container.blocks, pid: pid, namespaceFromHost: fromHost)
    }

    /// Everything the container wrote on stderr, or the last lines of its stdout: never cut.
    func failure(_ c: DemoContainer, status: Int32, what: String) -> String {
        let err = c.errorText.split(separator: "\n").joined(separator: " / ")
        let out = c.text.split(separator: "\n").filter { !$0.hasPrefix("@@") }.suffix(3).joined(separator: " / ")
        var s = t("the container \(what) (exit status \(status))", "容器\(what)（退出状态 \(status)）")
        if !err.isEmpty { s += t(": ", "：") + err } else if !out.isEmpty { s += t(": ", "：") + out }
        return s
    }
}
