#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Mount: the root and the mount table on each side; a tmpfs mounted inside, looked for outside.
enum DemoMount {
    static let about = DemoSection.About(
        kind: .mnt, title: "Mount namespace: the file system tree", cloneFlag: "CLONE_NEWNS", since: "2.4.19 (2002)",
        text: "The mount namespace gives a process its own mount table: its own root, and mounts that come and go without the rest of the system seeing them. It was the first namespace, which is why its flag is plain CLONE_NEWNS (\"new namespace\"). silo assembles the container's root in it (an overlay over the rootfs, /proc, /sys, /dev) and pivots into it.")

    static func describe(_ m: ProcFS.Mount) -> String {
        "\(m.mountPoint) \(m.fsType)" + (m.source == m.fsType ? "" : " \(m.source)")
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        var s = DemoSection(about, shared: ctx.shared.contains(.mnt))
        let tag = ctx.tag
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/mnt")
        script.block("mount", "mount -t tmpfs \(tag) /mnt && echo ok")
        script.block("mountinfo", "cat /proc/self/mountinfo")
        script.waitForHost()

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
        let inside = ProcFS.parseMountinfo((b["mountinfo"] ?? []).joined(separator: "\n"))
        let mounted = b.first("mount") == "ok"
        let hostRoot = host.last { $0.mountPoint == "/" }
        let insideRoot = inside.last { $0.mountPoint == "/" }
        s.identityRows(r)
        s.row("root", "root (/)", host: hostRoot.map { "\($0.fsType) \($0.source)" }, container: insideRoot.map { "\($0.fsType) \($0.source)" })
        s.row("mount_count", "mounts", host: "\(host.count)", container: "\(inside.count)")
        s.row("mounts", "mount table", host: DemoFormat.head(host.map(describe), 12), container: DemoFormat.head(inside.map(describe), 12))
        s.row("mount_inside", "mount -t tmpfs … /mnt", host: nil, container: mounted ? "ok" : (b["mount"] ?? []).joined(separator: " "))
        s.row("tmpfs_visible", "that tmpfs in the table", host: hostHasIt ? "present" : "absent", container: inside.contains { $0.source == tag } ? "present" : "absent")
        s.notes.append("The tmpfs mounted inside is named \(tag), so that it can be looked for by name in both tables.")
        if mounted {
            let seen = containerTableFromHost.contains { $0.source == tag }
            s.notes.append("The host can still look into the container's mount table through /proc/\(r.pid)/mountinfo: \(containerTableFromHost.count) mounts, the tmpfs \(seen ? "among them" : "not among them"). The table belongs to the namespace, not to the process that reads it.")
        }

        let evidence: DemoSection.Evidence
        if hostHasIt {
            evidence = .shared("the tmpfs mounted inside appeared in the host's mount table (removed)")
        } else if mounted && inside.contains(where: { $0.source == tag }) {
            evidence = .isolated("the tmpfs mounted inside on /mnt is in the container's table only")
        } else if !mounted, let hostRoot, let insideRoot, hostRoot == insideRoot, inside.count == host.count {
            evidence = .shared("the container sees the host's root and all \(host.count) of its mounts, and may mount nothing")
        } else {
            evidence = .failed("the mount inside did not show: \((b["mount"] ?? []).joined(separator: " "))")
        }
        s.decide(hostNamespace: ProcFS.namespace("mnt"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
