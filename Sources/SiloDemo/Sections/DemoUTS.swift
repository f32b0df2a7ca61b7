#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// UTS: the hostname, set by silo, changed inside, unchanged outside.
enum DemoUTS {
    static let about = DemoSection.About(
        kind: .uts, title: "UTS namespace: the hostname", cloneFlag: "CLONE_NEWUTS", since: "2.6.19 (2006)",
        text: "The UTS namespace isolates the two names that uname(2) reports besides the kernel's own: the hostname and the NIS domain name. A container can call itself anything, and rename itself, without renaming the machine.")

    static func run(_ ctx: DemoContext) -> DemoSection {
        var s = DemoSection(about, shared: ctx.shared.contains(.uts))
        let newName = "renamed-inside"
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/uts")
        script.block("hostname", "hostname")
        script.block("domainname", "cat /proc/sys/kernel/domainname")
        script.block("rename", "hostname \(newName) && echo ok")
        script.block("after", "hostname")
        script.waitForHost()
        let before = Kernel.hostname()
        let domain = (try? FileIO.read("/proc/sys/kernel/domainname"))?.split(separator: "\n").first.map(String.init) ?? "(none)"
        var after = before
        guard let r = ctx.run(&s, script, whileRunning: { _, _ in after = Kernel.hostname() }) else { return s }
        let b = r.blocks
        // Never leave the host renamed (possible only if the kernel let a shared UTS namespace be changed).
        if Kernel.hostname() != before { _ = before.withCString { sethostname($0, strlen($0)) } }

        let renamed = b.first("rename") == "ok"
        s.identityRows(r)
        s.row("hostname", "hostname", host: before, container: b.first("hostname"))
        s.row("domainname", "NIS domain name", host: domain, container: b.first("domainname"))
        s.row("rename", "hostname \(newName)", host: nil, container: renamed ? "ok" : (b["rename"] ?? []).joined(separator: " "))
        s.row("hostname_after", "hostname afterwards", host: after, container: b.first("after"))

        let evidence: DemoSection.Evidence
        if after != before {
            evidence = .shared("renaming inside renamed the host (\(before) -> \(after); restored)")
        } else if renamed && b.first("after") == newName {
            evidence = .isolated("the container renamed itself \(newName); the host is still \(before)")
        } else if !renamed && b.first("hostname") == before {
            evidence = .shared("the container sees the host's hostname \(before), and may not change it")
        } else {
            evidence = .failed("the rename inside did not take: \((b["rename"] ?? []).joined(separator: " "))")
        }
        s.decide(hostNamespace: ProcFS.namespace("uts"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
