#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Network: interfaces, addresses and routes on each side; lo in a bare netns and in a container.
enum DemoNet {
    static let about = DemoSection.About(
        kind: .net, title: "Network namespace: the network stack", cloneFlag: "CLONE_NEWNET", since: "2.6.24 (2008), complete in 2.6.29",
        text: "The network namespace isolates the network stack: interfaces, addresses, routes, firewall rules, sockets and port numbers. A new one holds a loopback device only, and even that is down until someone brings it up; silo brings it up (the SIOCSIFFLAGS ioctl, as ifconfig does) before the command starts.")

    struct View {
        var links: [String] = []
        var linkNames: [String] = []
        var addresses: [String] = []
        var routes: [String] = []
        var loUp: Bool?
    }

    /// The caller's network namespace, read through rtnetlink.
    static func hostView() throws(SyscallError) -> View {
        let nl = try Netlink()
        defer { nl.close() }
        let links = try nl.links()
        let name = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        var v = View()
        v.links = links.map { "\($0.name) \($0.isUp ? "UP" : "DOWN")" }
        v.linkNames = links.map(\.name)
        v.loUp = links.first { $0.name == "lo" }?.isUp
        v.addresses = try nl.addresses().map { "\(name[$0.index] ?? "#\($0.index)") \($0.network)" }
        v.routes = try nl.routes().map { r in
            var s = r.destination.map { "\($0)/\(r.prefixLength)" } ?? "default"
            if let g = r.gateway { s += " via \(g)" }
            if let o = r.outputIndex { s += " dev \(name[o] ?? "#\(o)")" }
            return s
        }
        return v
    }

    /// busybox `ip -o link`, `ip -o addr`, `ip route` output, in the same short form.
    static func containerView(_ b: DemoBlocks) -> View {
        var v = View()
        for line in b["link"] ?? [] {
            // "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 ..."
            let f = line.split(separator: " ")
            guard f.count > 2, f[1].hasSuffix(":") else { continue }
            var name = String(f[1].dropLast())
            if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
            let flags = f[2].trimming("<>").split(separator: ",")
            let up = flags.contains("UP")
            v.links.append("\(name) \(up ? "UP" : "DOWN")")
            v.linkNames.append(name)
            if name == "lo" { v.loUp = up }
        }
        for line in b["addr"] ?? [] {
            // "1: lo    inet 127.0.0.1/8 scope host lo\ ..."
            let f = line.split(separator: " ")
            if f.count > 3, f[2] == "inet" || f[2] == "inet6" { v.addresses.append("\(f[1]) \(f[3])") }
        }
        v.routes = (b["route"] ?? []).map { $0.strippingBlanks() }.filter { !$0.isEmpty }
        return v
    }

    /// lo in a network namespace nobody has configured: a child of the demo unshares one and
    /// looks (the demo itself stays where it is).
    static func bareNamespaceLinks() -> [String]? {
        let bytes = DemoProbe.run {
            guard (try? LinuxSyscalls().unshare(.newNet)) != nil, let nl = try? Netlink(), let links = try? nl.links() else { return [] }
            return Array(links.map { "\($0.name) \($0.isUp ? "UP" : "DOWN")" }.joined(separator: "\n").utf8)
        }
        guard let bytes, !bytes.isEmpty else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        var s = DemoSection(about, shared: ctx.shared.contains(.net))
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/net")
        script.block("link", "ip -o link")
        script.block("addr", "ip -o addr")
        script.block("route", "ip route; ip -6 route")
        script.waitForHost()

        var host: View?
        var hostError = ""
        guard let r = ctx.run(&s, script, whileRunning: { _, _ in
            do { host = try hostView() } catch { hostError = "\(error)" }
        }) else { return s }
        guard let host else {
            s.fail("cannot read the host's network: \(hostError)")
            return s
        }
        let bare = bareNamespaceLinks()
        let c = containerView(r.blocks)
        s.identityRows(r)
        s.row("links", "interfaces", host: host.links, container: c.links)
        s.row("addresses", "addresses", host: host.addresses, container: c.addresses.isEmpty ? ["(none)"] : c.addresses)
        s.row("routes", "routes", host: host.routes.isEmpty ? ["(none)"] : host.routes, container: c.routes.isEmpty ? ["(none)"] : c.routes)
        s.row("bare_netns", "lo in a bare new netns", host: bare.map { "unshare(CLONE_NEWNET): " + $0.joined(separator: ", ") }, container: nil)
        s.notes.append("A network namespace nobody has set up has lo only, and DOWN: silo's child just made one with unshare(CLONE_NEWNET) and found \(bare?.joined(separator: ", ") ?? "(could not look)"). In the container lo is \(c.loUp == true ? (s.shared ? "the host's, UP as the host left it" : "UP: silo brought it up") : "DOWN").")

        let evidence: DemoSection.Evidence
        let hostOnly = Set(host.linkNames).subtracting(["lo"])
        let seen = hostOnly.intersection(c.linkNames)
        if c.linkNames.isEmpty {
            evidence = .failed("the container listed no interface at all")
        } else if !seen.isEmpty {
            evidence = .shared("the container sees the host's interfaces (\(seen.sorted().joined(separator: ", ")))")
        } else if c.loUp != true {
            evidence = .failed("lo is DOWN in the container: silo should have brought it up")
        } else if hostOnly.isEmpty {
            evidence = .inconclusive("the host has lo only, so the interface lists cannot differ")
        } else {
            evidence = .isolated("the container has lo only (UP); the host's \(hostOnly.sorted().joined(separator: ", ")) are not there")
        }
        s.decide(hostNamespace: ProcFS.namespace("net"), containerNamespace: r.blocks.first("ns"), evidence)
        return s
    }
}
