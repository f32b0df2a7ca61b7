#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// UTS: the hostname, set by silo, changed inside, unchanged outside.
enum DemoUTS {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .uts, title: l.t("UTS namespace: the hostname", "UTS 命名空间：主机名"), cloneFlag: "CLONE_NEWUTS", since: "2.6.19 (2006)",
            text: l.t("The UTS namespace isolates the two names that uname(2) reports besides the kernel's own: the hostname and the NIS domain name. A container can call itself anything, and rename itself, without renaming the machine.",
                      "UTS 命名空间隔离 uname(2) 报告的两个名字（内核自己的信息除外）：主机名和 NIS 域名。容器可以随便给自己起名、改名，机器的名字不受影响。"))
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.uts), lang: l)
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
        let refusal = (b["rename"] ?? []).joined(separator: " ")
        s.identityRows(r)
        s.row("hostname", l.t("hostname", "主机名"), host: before, container: b.first("hostname"))
        s.row("domainname", l.t("NIS domain name", "NIS 域名"), host: domain, container: b.first("domainname"))
        s.row("rename", "hostname \(newName)", host: nil, container: renamed ? "ok" : refusal)
        s.row("hostname_after", l.t("hostname afterwards", "之后的主机名"), host: after, container: b.first("after"))

        let evidence: DemoSection.Evidence
        if after != before {
            evidence = .shared(l.t("renaming inside renamed the host (\(before) -> \(after); restored)", "在里面改名把主机也改了（\(before) -> \(after)，已改回）"))
        } else if renamed && b.first("after") == newName {
            evidence = .isolated(l.t("the container renamed itself \(newName); the host is still \(before)", "容器把自己改名为 \(newName)，主机仍叫 \(before)"))
            s.why = l.t("sethostname(2) changes the caller's UTS namespace only, and the container's is its own.",
                        "sethostname(2) 只改调用者所在的 UTS 命名空间，而容器的那个是它自己的。")
        } else if !renamed && b.first("hostname") == before {
            evidence = .shared(l.t("the container sees the host's hostname \(before), and may not change it (\(refusal))", "容器看到的是主机名 \(before)，而且改不了（\(refusal)）"))
            s.why = l.t("sethostname needs CAP_SYS_ADMIN in the user namespace that owns the UTS namespace: the host's is owned by the initial user namespace, where container root has no capability.",
                        "sethostname 要求在拥有该 UTS 命名空间的用户命名空间里具备 CAP_SYS_ADMIN；主机的 UTS 命名空间属于初始用户命名空间，容器里的 root 在那里没有任何能力。")
        } else {
            evidence = .failed(l.t("the rename inside did not take: \(refusal)", "在里面改名没有生效：\(refusal)"))
        }
        s.decide(hostNamespace: ProcFS.namespace("uts"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
