#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// User: the id maps, root inside, the owner the host sees of a file made inside, and the
/// capability sets.
enum DemoUser {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .user, title: l.t("User namespace: user IDs and capabilities", "用户命名空间：用户 ID 和能力"), cloneFlag: "CLONE_NEWUSER",
            since: l.t("2.6.23 (2007) as a flag, complete in 3.8 (2013)", "2.6.23 (2007) 引入标志，3.8 (2013) 才完整可用"),
            text: l.t("The user namespace isolates user and group IDs and capabilities: a process can be root, with every capability, inside while it is an unprivileged user outside; uid_map and gid_map translate the IDs. Every other namespace is owned by a user namespace, and capabilities count only over the namespaces their user namespace owns.",
                      "用户命名空间隔离用户 ID、组 ID 和能力（capabilities）：进程在里面可以是拥有全部能力的 root，在外面却只是普通用户；uid_map 和 gid_map 负责两边 ID 的换算。其他每个命名空间都归某个用户命名空间所有，能力只对自己的用户命名空间所拥有的那些命名空间有效。"))
    }

    static func firstField(_ s: String?) -> String? { s?.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) }

    /// "000001ffffffffff = 41 caps", and the count for JSON.
    static func capabilities(_ hex: String?, _ l: DemoLanguage) -> DemoValue? {
        guard let hex else { return nil }
        guard let v = UInt64(hex, radix: 16) else { return .text(hex) }
        return DemoValue(lines: [l.t("\(hex) = \(v.nonzeroBitCount) caps", "\(hex) = \(v.nonzeroBitCount) 项")],
                         json: .fields([("mask", .string(hex)), ("count", .integer(v.nonzeroBitCount))]))
    }

    /// uid_map lines ("0 600113152 65536") as text, and as [{inside, outside, count}].
    static func map(_ lines: [String]?) -> DemoValue? {
        guard let lines else { return nil }
        let rows = lines.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int64($0) } }.filter { $0.count == 3 }
        let json = JSON.array(rows.map { .fields([("inside", .integer($0[0])), ("outside", .integer($0[1])), ("count", .integer($0[2]))]) })
        return DemoValue(lines: rows.map { $0.map(String.init).joined(separator: " ") }, json: json)
    }

    static func split(_ text: String?) -> [String]? { text.map { $0.split(separator: "\n").map(String.init) } }

    static func ids(_ uid: String?, _ gid: String?) -> DemoValue? {
        guard let uid else { return nil }
        return DemoValue(lines: ["uid=\(uid) gid=\(gid ?? "?")"],
                         json: .fields([("uid", Int64(uid).map { .integer($0) } ?? .null), ("gid", gid.flatMap { Int64($0) }.map { .integer($0) } ?? .null)]))
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.user), lang: l)
        let file = "/tmp/\(ctx.tag)"
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/user")
        script.block("id", "id")
        script.block("uid_map", "cat /proc/self/uid_map")
        script.block("gid_map", "cat /proc/self/gid_map")
        script.block("status", "grep -E '^(Uid|Gid|CapEff|CapBnd):' /proc/self/status")
        // A file made inside, whose owner the host reads through /proc/PID/root while it exists.
        script.block("file", "touch \(file) && stat -c '%u %g' \(file)")
        script.waitForHost()
        script.block("rm", "rm -f \(file)")

        // With --share mnt the file is in the host's /tmp: never leave it there.
        defer { if ctx.shared.contains(.mnt) { unlink(file) } }
        var owner: [String: String] = [:]
        var fileOwner: (uid: UInt32, gid: UInt32)?
        guard let r = ctx.run(&s, script, whileRunning: { pid, _ in
            owner = ProcFS.status("\(pid)") ?? [:]
            var st = stat()
            if stat("/proc/\(pid)/root\(file)", &st) == 0 { fileOwner = (st.st_uid, st.st_gid) }
        }) else { return s }
        let b = r.blocks
        var inside: [String: String] = [:]
        for line in b["status"] ?? [] {
            if let c = line.firstIndex(of: ":") { inside[String(line[..<c])] = line[line.index(after: c)...].strippingBlanks() }
        }
        let me = ProcFS.status("self") ?? [:]
        let hostUID = firstField(owner["Uid"]), hostGID = firstField(owner["Gid"])
        let insideUID = firstField(inside["Uid"])
        let fileInside = b.first("file")?.split(separator: " ").map(String.init)

        s.identityRows(r)
        s.row("id", "id", host: DemoValue(lines: ["uid=\(firstField(me["Uid"]) ?? "?") gid=\(firstField(me["Gid"]) ?? "?") (silo)"],
                                          json: ids(firstField(me["Uid"]), firstField(me["Gid"]))?.json ?? .null),
              container: b.first("id").map { .text($0) })
        s.row("owner", l.t("the container's shell", "容器里的 shell"), host: ids(hostUID, hostGID), container: ids(insideUID, firstField(inside["Gid"])))
        s.row("file_owner", l.t("owner of \(file), made inside", "里面建的 \(file) 的属主"),
              host: fileOwner.map { ids("\($0.uid)", "\($0.gid)")! },
              container: fileInside.flatMap { $0.count == 2 ? ids($0[0], $0[1]) : .text($0.joined(separator: " ")) })
        s.row("uid_map", l.t("uid_map (inside host count)", "uid_map（里面 外面 数量）"), host: map(split(try? FileIO.read("/proc/self/uid_map"))), container: map(b["uid_map"]))
        s.row("gid_map", "gid_map", host: map(split(try? FileIO.read("/proc/self/gid_map"))), container: map(b["gid_map"]))
        s.row("cap_eff", "CapEff", host: capabilities(me["CapEff"], l), container: capabilities(inside["CapEff"], l))
        s.row("cap_bnd", "CapBnd", host: capabilities(me["CapBnd"], l), container: capabilities(inside["CapBnd"], l))
        s.notes.append(l.t("The demo gives its containers every capability (--cap-add ALL) and no seccomp filter, so that they can try to change things; silo run's default is Docker's set of 14. A new user namespace gives its first process the full set in that namespace whatever its creator held, so the container can show more capabilities than the host's root where that root runs without some (a sandbox, a CI runner): they count only over what the container's user namespace owns.",
                           "demo 给容器全部能力（--cap-add ALL），也不加 seccomp 过滤，好让它去尝试改东西；silo run 默认只给 Docker 那 14 项。新建的用户命名空间会让第一个进程在该命名空间里拥有全部能力，不管创建者自己有多少；所以在主机 root 本身被拿掉了几项能力的机器上（沙箱、CI 机器），容器显示的能力反而比主机多。多出来的那些只对容器的用户命名空间所拥有的东西有效。"))
        if let hostUID, hostUID != "0" {
            s.notes.append(l.t("Root inside is uid \(hostUID) outside: the file it made belongs to that unprivileged uid on the host, as stat(2) through /proc/\(r.pid)/root shows, and its capabilities count only in the namespaces its user namespace owns, not over the host's.",
                               "里面的 root 在外面是 uid \(hostUID)：它建的文件在主机上归这个普通 uid 所有（通过 /proc/\(r.pid)/root 用 stat(2) 一看便知）；它的能力也只在自己的用户命名空间所拥有的命名空间里有效，管不到主机的。"))
        }

        let evidence: DemoSection.Evidence
        switch (insideUID, hostUID) {
        case let (i?, h?) where i == "0" && h != "0":
            evidence = .isolated(l.t("root inside (uid 0) is uid \(h) on the host", "里面的 root（uid 0）在主机上是 uid \(h)"))
            s.why = l.t("uid_map translates every ID at the boundary: the kernel checks files and signals against the outside uid, and container root's capabilities stop at the namespaces its user namespace owns.",
                        "uid_map 在边界上换算每个 ID：内核对文件和信号按外面的 uid 检查权限，容器 root 的能力也止步于它的用户命名空间所拥有的命名空间。")
        case let (i?, h?) where i == h:
            evidence = .shared(l.t("uid \(i) inside is uid \(h) on the host: no translation", "里面的 uid \(i) 就是主机上的 uid \(h)：没有换算")
                + (h == "0" ? l.t(", root inside is the host's root", "，里面的 root 就是主机的 root") : ""))
            s.why = l.t("Without a user namespace of its own the container's IDs are the host's, and so are its capabilities' reach: only the bounding set and the seccomp filter hold root back, and the demo's containers keep every capability and run without a filter.",
                        "没有自己的用户命名空间，容器的 ID 就是主机的 ID，能力的作用范围也是主机的：能拦住 root 的只剩能力边界集和 seccomp 过滤，而 demo 的容器能力全开，也没有过滤。")
        case let (i, h):
            evidence = .failed(l.t("unexpected ids: uid \(i ?? "?") inside, \(h ?? "?") on the host", "ID 出乎意料：里面 uid \(i ?? "?")，主机上 \(h ?? "?")"))
        }
        s.decide(hostNamespace: ProcFS.namespace("user"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
