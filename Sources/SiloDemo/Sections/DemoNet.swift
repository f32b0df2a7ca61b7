#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Network: interfaces, addresses and routes on each side; lo in a bare netns and in a container.
enum DemoNet {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .net, title: l.t("Network namespace: the network stack", "网络命名空间：网络协议栈"), cloneFlag: "CLONE_NEWNET",
            since: l.t("2.6.24 (2008), complete in 2.6.29", "2.6.24 (2008)，2.6.29 完善"),
            text: l.t("The network namespace isolates the network stack: interfaces, addresses, routes, firewall rules, sockets and port numbers. A new one holds lo, DOWN, and nothing else, except the fallback devices of tunnel modules the host has loaded (sit0, tunl0, gre0…; since Linux 4.17 net.core.fb_tunnels_only_for_init_net=1 keeps them out). silo brings lo up (the SIOCSIFFLAGS ioctl, as ifconfig does) before the command starts.",
                      "网络命名空间隔离整个网络协议栈：网卡、地址、路由、防火墙规则、套接字和端口号。新建的网络命名空间里只有一个 lo，而且是 DOWN 的；唯一的例外是主机已加载的隧道模块的后备设备（sit0、tunl0、gre0……；从 Linux 4.17 起，net.core.fb_tunnels_only_for_init_net=1 可以不让它们出现）。silo 在命令启动前把 lo 拉起来（用 SIOCSIFFLAGS ioctl，和 ifconfig 一样）。"))
    }

    /// bind(2) of 127.0.0.1:80 in the demo's own (the host's) network namespace, released at
    /// once: nil when it worked, the error otherwise.
    static func bindLoopback80() -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { return String(cString: strerror(errno)) }
        defer { Glibc.close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(80).bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return rc == 0 ? nil : String(cString: strerror(errno))
    }

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
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.net), lang: l)
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/net")
        script.block("link", "ip -o link")
        script.block("addr", "ip -o addr")
        script.block("route", "ip route; ip -6 route")
        // A web server on 127.0.0.1:80 inside, while the demo binds the same address and port
        // on the host: two servers on one port, one per network namespace.
        script.block("httpd", "httpd -f -p 127.0.0.1:80 -h / & h=$!; usleep 300000; grep -q ' 0100007F:0050 00000000:0000 0A ' /proc/net/tcp && echo listening || echo 'not listening'")
        script.waitForHost()
        script.block("end_httpd", "kill $h 2>/dev/null; true")

        var host: View?
        var hostError = ""
        var hostBind: String?
        guard let r = ctx.run(&s, script, whileRunning: { _, _ in
            do { host = try hostView() } catch { hostError = "\(error)" }
            hostBind = bindLoopback80()
        }) else { return s }
        guard let host else {
            s.fail(l.t("cannot read the host's network: ", "读不到主机的网络：") + hostError)
            return s
        }
        let bare = bareNamespaceLinks()
        let c = containerView(r.blocks)
        let none = l.t("(none)", "（无）")
        let listening = r.blocks.first("httpd") == "listening"
        s.identityRows(r)
        s.row("links", l.t("interfaces", "网卡"), host: host.links, container: c.links)
        s.row("addresses", l.t("addresses", "地址"), host: DemoValue(lines: host.addresses, json: .strings(host.addresses)),
              container: DemoValue(lines: c.addresses.isEmpty ? [none] : c.addresses, json: .strings(c.addresses)))
        s.row("routes", l.t("routes", "路由"), host: DemoValue(lines: host.routes.isEmpty ? [none] : host.routes, json: .strings(host.routes)),
              container: DemoValue(lines: c.routes.isEmpty ? [none] : c.routes, json: .strings(c.routes)))
        s.row("bare_netns", l.t("a bare new netns", "新建的空网络命名空间"), host: bare.map { DemoValue(lines: ["unshare(CLONE_NEWNET): " + $0.joined(separator: ", ")], json: .strings($0)) }, container: nil)
        s.row("port80", l.t("a server on 127.0.0.1:80", "在 127.0.0.1:80 上的服务"),
              host: .text(hostBind.map { l.t("bind by the demo: ", "demo 绑定：") + $0 } ?? l.t("bind by the demo: ok", "demo 绑定：成功")),
              container: .text(listening ? l.t("busybox httpd listening", "busybox httpd 在监听") : (r.blocks["httpd"] ?? []).joined(separator: " ")))
        let loNote = c.loUp == true ? (s.shared ? l.t("the host's, UP as the host left it", "是主机的，主机设成什么样就是什么样（UP）") : l.t("UP: silo brought it up", "是 UP 的，silo 拉起来的")) : l.t("DOWN", "是 DOWN 的")
        s.notes.append(l.t("A network namespace nobody has set up: silo's child just made one with unshare(CLONE_NEWNET) and found \(bare?.joined(separator: ", ") ?? "(could not look)"). In the container lo is \(loNote).",
                           "没人配置过的网络命名空间：silo 的子进程刚用 unshare(CLONE_NEWNET) 建了一个，里面是 \(bare?.joined(separator: "、") ?? "（看不了）")。容器里的 lo \(loNote)。"))
        if listening && hostBind == nil {
            s.notes.append(l.t("Two servers on 127.0.0.1:80 at once: busybox httpd in the container, and the demo's socket on the host. Ports belong to a network namespace.",
                               "同一时刻两个服务都在 127.0.0.1:80 上：容器里的 busybox httpd，和主机上 demo 的套接字。端口号属于网络命名空间。"))
        }

        let evidence: DemoSection.Evidence
        let hostOnly = Set(host.linkNames).subtracting(["lo"])
        let seen = hostOnly.intersection(c.linkNames)
        if c.linkNames.isEmpty {
            evidence = .failed(l.t("the container listed no interface at all", "容器一个网卡也没列出来"))
        } else if !seen.isEmpty {
            evidence = .shared(l.t("the container sees the host's interfaces (\(seen.sorted().joined(separator: ", ")))", "容器看得到主机的网卡（\(seen.sorted().joined(separator: "、"))）"))
            s.why = l.t("Interfaces, routes and ports belong to one network namespace; sharing it, the container uses the host's stack as any host process does (but binds no port below 1024: that needs CAP_NET_BIND_SERVICE in the initial user namespace).",
                        "网卡、路由和端口都属于某一个网络命名空间；共用主机的，容器就和主机上的进程一样用主机的协议栈（只是绑不了 1024 以下的端口：那需要初始用户命名空间里的 CAP_NET_BIND_SERVICE）。")
        } else if c.loUp != true {
            evidence = .failed(l.t("lo is DOWN in the container: silo should have brought it up", "容器里的 lo 是 DOWN：silo 本应把它拉起来"))
        } else if hostOnly.isEmpty {
            evidence = .inconclusive(l.t("the host has lo only, so the interface lists cannot differ", "主机只有 lo，两边的网卡列表没法不同"))
        } else {
            evidence = .isolated(l.t("the container has lo only (UP); the host's \(hostOnly.sorted().joined(separator: ", ")) are not there", "容器只有 lo（UP），主机的 \(hostOnly.sorted().joined(separator: "、")) 都不在里面"))
            s.why = l.t("Every interface, route and socket belongs to exactly one network namespace; a new one starts with lo only.",
                        "每个网卡、每条路由、每个套接字都只属于一个网络命名空间；新建的只有 lo。")
        }
        s.decide(hostNamespace: ProcFS.namespace("net"), containerNamespace: r.blocks.first("ns"), evidence)
        return s
    }
}
