import SiloKit
import SiloSys

/// User: the id maps, root inside, the owner the host sees, and the capability sets.
enum DemoUser {
    static let about = DemoSection.About(
        kind: .user, title: "User namespace: user IDs and capabilities", cloneFlag: "CLONE_NEWUSER", since: "3.8 (2013)",
        text: "The user namespace isolates user and group IDs and capabilities: a process can be root, with every capability, inside while it is an unprivileged user outside; uid_map and gid_map translate the IDs. Every other namespace is owned by a user namespace, and capabilities count only over the namespaces their user namespace owns.")

    /// "uid=0(root) gid=0(root)" from a status "Uid:" line ("0 0 0 0": real, effective, saved, fs).
    static func firstField(_ s: String?) -> String? { s?.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) }

    /// "000001ffffffffff = 41 caps"
    static func capabilities(_ hex: String?) -> String? {
        guard let hex, let v = UInt64(hex, radix: 16) else { return hex }
        return "\(hex) = \(v.nonzeroBitCount) caps"
    }

    static func mapLines(_ text: String?) -> [String]? {
        text.map { $0.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") } }
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        var s = DemoSection(about, shared: ctx.shared.contains(.user))
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/user")
        script.block("id", "id")
        script.block("uid_map", "cat /proc/self/uid_map")
        script.block("gid_map", "cat /proc/self/gid_map")
        script.block("status", "grep -E '^(Uid|Gid|CapEff|CapBnd):' /proc/self/status")
        script.waitForHost()

        var owner: [String: String] = [:]
        guard let r = ctx.run(&s, script, whileRunning: { pid, _ in owner = ProcFS.status("\(pid)") ?? [:] }) else { return s }
        let b = r.blocks
        var inside: [String: String] = [:]
        for line in b["status"] ?? [] {
            if let c = line.firstIndex(of: ":") { inside[String(line[..<c])] = line[line.index(after: c)...].strippingBlanks() }
        }
        let me = ProcFS.status("self") ?? [:]
        let hostUID = firstField(owner["Uid"]), hostGID = firstField(owner["Gid"])
        let insideUID = firstField(inside["Uid"])

        s.identityRows(r)
        s.row("id", "id", host: "uid=\(firstField(me["Uid"]) ?? "?") gid=\(firstField(me["Gid"]) ?? "?") (silo)", container: b.first("id"))
        s.row("owner", "the container's shell", host: hostUID.map { "uid=\($0) gid=\(hostGID ?? "?")" }, container: insideUID.map { "uid=\($0) gid=\(firstField(inside["Gid"]) ?? "?")" })
        s.row("uid_map", "uid_map (inside host count)", host: mapLines(try? FileIO.read("/proc/self/uid_map")), container: b["uid_map"].map { $0.map { $0.split(separator: " ").joined(separator: " ") } })
        s.row("gid_map", "gid_map", host: mapLines(try? FileIO.read("/proc/self/gid_map")), container: b["gid_map"].map { $0.map { $0.split(separator: " ").joined(separator: " ") } })
        s.row("cap_eff", "CapEff", host: capabilities(me["CapEff"]), container: capabilities(inside["CapEff"]))
        s.row("cap_bnd", "CapBnd", host: capabilities(me["CapBnd"]), container: capabilities(inside["CapBnd"]))
        s.notes.append("The demo gives its containers every capability (--cap-add ALL) and no seccomp filter, so that they can try to change things; silo run's default is Docker's set of 14.")
        if let hostUID, hostUID != "0" {
            s.notes.append("Root inside is uid \(hostUID) outside: files it creates on the host's disks belong to that unprivileged uid, and its capabilities count only in the namespaces its user namespace owns, not over the host's.")
        }

        let evidence: DemoSection.Evidence
        switch (insideUID, hostUID) {
        case let (i?, h?) where i == "0" && h != "0":
            evidence = .isolated("root inside (uid 0) is uid \(h) on the host")
        case let (i?, h?) where i == h:
            evidence = .shared("uid \(i) inside is uid \(h) on the host: no translation" + (h == "0" ? ", root inside is the host's root" : ""))
        case let (i, h):
            evidence = .failed("unexpected ids: uid \(i ?? "?") inside, \(h ?? "?") on the host")
        }
        s.decide(hostNamespace: ProcFS.namespace("user"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
