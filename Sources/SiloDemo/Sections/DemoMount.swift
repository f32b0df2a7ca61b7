#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Mount: the root and the mount table on each side; a tmpfs mounted inside, looked for outside.
enum DemoMount {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .mnt, title: l.t("Mount namespace: the file system tree", "挂载命名空间：文件系统树"), cloneFlag: "CLONE_NEWNS", since: "2.4.19 (2002)",
            text: l.t("The mount namespace gives a process its own mount table: its own root, and mounts that come and go without the rest of the system seeing them. It was the first namespace, which is why its flag is plain CLONE_NEWNS (\"new namespace\"). silo assembles the container's root in it (an overlay over the rootfs, /proc, /sys, /dev) and pivots into it.",
                      "挂载命名空间给进程一张自己的挂载表：自己的根目录，自己挂上、卸下的东西系统其他部分看不到。它是最早的命名空间，所以标志就叫 CLONE_NEWNS（“新命名空间”）。silo 在里面搭好容器的根（rootfs 上叠一层 overlay，再加 /proc、/sys、/dev），然后 pivot_root 进去。"))
    }

    static func describe(_ m: ProcFS.Mount) -> String {
        "\(m.mountPoint) \(m.fsType)" + (m.source == m.fsType ? "" : " \(m.source)")
    }

    /// The propagation of the mount at `/` in a mountinfo text: its optional fields
    /// ("shared:1", "master:3"), or "private" when it has none.
    static func rootPropagation(_ text: String) -> String? {
        var found: String?
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            guard let dash = f.firstIndex(of: "-"), dash >= 6, f[4] == "/" else { continue }
            let optional = f[6..<dash]
            found = optional.isEmpty ? "private" : optional.joined(separator: " ")
        }
        return found
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.mnt), lang: l)
        let tag = ctx.tag
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/mnt")
        script.block("mount", "mount -t tmpfs \(tag) /mnt && echo ok")
        script.block("mountinfo", "cat /proc/self/mountinfo")
        script.waitForHost()
        script.block("unmount", "umount /mnt 2>/dev/null; true")

        var hostHasIt = false
        var containerTableFromHost: [ProcFS.Mount] = []
        guard let r = ctx.run(&s, script, whileRunning: { pid, _ in
            hostHasIt = ProcFS.mounts().contains { $0.source == tag }
            containerTableFromHost = ProcFS.mounts("\(pid)")
        }) else { return s }
        let b = r.blocks
        // A mount that reached the host is removed at once (possible only without a mount
        // namespace of its own and with the host's privileges, which the demo never combines).
        for m in ProcFS.mounts().reversed() where m.source == tag { _ = umount2(m.mountPoint, Int32(MNT_DETACH)) }

        let host = ProcFS.mounts()
        let insideText = (b["mountinfo"] ?? []).joined(separator: "\n")
        let inside = ProcFS.parseMountinfo(insideText)
        let mounted = b.first("mount") == "ok"
        let refusal = (b["mount"] ?? []).joined(separator: " ")
        let hostRoot = host.last { $0.mountPoint == "/" }
        let insideRoot = inside.last { $0.mountPoint == "/" }
        s.identityRows(r)
        s.row("root", l.t("root (/)", "根目录 (/)"), host: hostRoot.map { "\($0.fsType) \($0.source)" }, container: insideRoot.map { "\($0.fsType) \($0.source)" })
        s.row("root_propagation", l.t("propagation of /", "/ 的传播类型"), host: (try? FileIO.read("/proc/self/mountinfo")).flatMap(rootPropagation), container: rootPropagation(insideText))
        s.row("mount_count", l.t("mounts", "挂载数"), host: .number(host.count), container: .number(inside.count))
        s.row("mounts", l.t("mount table", "挂载表"), host: .list(host.map(describe), limit: 12), container: .list(inside.map(describe), limit: 12))
        s.row("mount_inside", "mount -t tmpfs … /mnt", host: nil, container: mounted ? "ok" : refusal)
        s.row("tmpfs_visible", l.t("that tmpfs in the table", "表里有没有这个 tmpfs"), host: hostHasIt ? l.t("present", "有") : l.t("absent", "没有"),
              container: inside.contains { $0.source == tag } ? l.t("present", "有") : l.t("absent", "没有"))
        s.notes.append(l.t("The tmpfs mounted inside is named \(tag), so that it can be looked for by name in both tables.",
                           "里面挂的 tmpfs 名叫 \(tag)，两张表里都能按名字找。"))
        s.notes.append(l.t("Propagation (mount_namespaces(7)): a shared mount passes mounts and unmounts to its peer group, a slave (master:N) only receives them, a private one neither. silo first turns every mount of the container's new namespace into a slave (mount(\"/\", MS_REC|MS_SLAVE)), so that nothing mounted inside flows back to the host; the root it then builds is a fresh mount with no peer at all, private.",
                           "传播类型（mount_namespaces(7)）：shared 挂载会把挂载、卸载传给同组的其他挂载，slave（master:N）只接收，private 两样都不做。silo 先把容器新命名空间里的挂载全部设成 slave（mount(\"/\", MS_REC|MS_SLAVE)），里面挂的东西不会流回主机；随后搭起的根是一个全新的挂载，没有任何同组挂载，也就是 private。"))
        if mounted {
            let seen = containerTableFromHost.contains { $0.source == tag }
            s.notes.append(l.t("The host can still look into the container's mount table through /proc/\(r.pid)/mountinfo: \(containerTableFromHost.count) mounts, the tmpfs \(seen ? "among them" : "not among them"). The table belongs to the namespace, not to the process that reads it.",
                               "主机仍可以通过 /proc/\(r.pid)/mountinfo 查看容器的挂载表：\(containerTableFromHost.count) 个挂载，\(seen ? "其中有" : "其中没有")那个 tmpfs。挂载表属于命名空间，而不是读它的进程。"))
        }

        let evidence: DemoSection.Evidence
        if hostHasIt {
            evidence = .shared(l.t("the tmpfs mounted inside appeared in the host's mount table (removed)", "里面挂的 tmpfs 出现在了主机的挂载表里（已卸载）"))
        } else if mounted && inside.contains(where: { $0.source == tag }) {
            evidence = .isolated(l.t("the tmpfs mounted inside on /mnt is in the container's table only", "挂在 /mnt 的 tmpfs 只在容器的挂载表里"))
            s.why = l.t("mount(2) changes the caller's mount namespace only, and the container's mounts do not propagate to the host's.",
                        "mount(2) 只改调用者所在的挂载命名空间，而容器的挂载不会传播到主机。")
        } else if !mounted, let hostRoot, let insideRoot, hostRoot == insideRoot, inside.count == host.count {
            evidence = .shared(l.t("the container sees the host's root and all \(host.count) of its mounts, and may mount nothing (\(refusal))",
                                   "容器看到的是主机的根和全部 \(host.count) 个挂载，而且什么也挂不上（\(refusal)）"))
            s.why = l.t("mount needs CAP_SYS_ADMIN in the user namespace that owns the mount namespace: the host's is owned by the initial user namespace, where container root has no capability, however many it holds in its own.",
                        "mount 要求在拥有该挂载命名空间的用户命名空间里具备 CAP_SYS_ADMIN；主机的挂载命名空间属于初始用户命名空间，容器里的 root 在自己的命名空间里能力再全，在那里也一项都没有。")
        } else {
            evidence = .failed(l.t("the mount inside did not show: \(refusal)", "里面的挂载没有出现：\(refusal)"))
        }
        s.decide(hostNamespace: ProcFS.namespace("mnt"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
