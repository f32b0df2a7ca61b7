#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `LabKernel` on the machine: named namespaces (`NamedNetns`), one rtnetlink socket per
/// namespace (kept open for the whole `up`), /proc/sys written from inside the namespace.
public final class LinuxLabKernel: LabKernel {
    let silo: String
    /// Addresses and routes that exist already are fine: `heal` puts back what a cut removed.
    var heal = false
    var sockets: [String: Netlink] = [:]
    var fds: [String: Int32] = [:]

    public init(silo: String) { self.silo = silo }

    deinit { finish() }

    func fail(_ what: String, _ e: SyscallError) -> RuntimeError { RuntimeError(.runtime, "\(what): \(e)", cause: e) }

    func fd(_ ns: String) throws(RuntimeError) -> Int32 {
        if let fd = fds[ns] { return fd }
        do {
            let fd = try NamedNetns.open(ns)
            fds[ns] = fd
            return fd
        } catch { throw RuntimeError(.runtime, error.message) }
    }

    func netlink(_ ns: String) throws(RuntimeError) -> Netlink {
        if let s = sockets[ns] { return s }
        let f = try fd(ns)
        do {
            let s = try Netlink(namespace: f, name: ns)
            sockets[ns] = s
            return s
        } catch { throw fail("netns \(ns)", error) }
    }

    func index(_ d: LabDevice) throws(RuntimeError) -> (Netlink, Int32) {
        let nl = try netlink(d.namespace)
        do { return (nl, try nl.linkIndex(name: d.name)) } catch { throw fail("\(d)", error) }
    }

    public func addNamespace(_ ns: String) throws(RuntimeError) {
        do { try NamedNetns.add(ns, loUp: true) } catch { throw RuntimeError(.runtime, error.message) }
    }

    public func deleteNamespace(_ ns: String) throws(RuntimeError) {
        sockets.removeValue(forKey: ns)?.close()
        if let fd = fds.removeValue(forKey: ns) { close(fd) }
        guard FileIO.exists(NamedNetns.path(ns)) else { return }
        do { try NamedNetns.delete(ns) } catch {
            if NamedNetns.names().contains(ns) { throw RuntimeError(.runtime, error.message) }
        }
    }

    public func addBridge(_ name: String, in ns: String) throws(RuntimeError) {
        let nl = try netlink(ns)
        do { try nl.addBridge(name: name, up: true) } catch { throw fail("bridge \(ns):\(name)", error) }
    }

    public func addVeth(_ a: LabDevice, _ b: LabDevice, mtu: Int?) throws(RuntimeError) {
        let what = "veth \(a) <-> \(b)"
        // Made from a socket in a's namespace; the fd puts the peer straight into b's, so
        // neither name ever exists in the host's namespace.
        let nl = try netlink(a.namespace)
        let peerFD = try fd(b.namespace)
        do { try nl.addVeth(name: a.name, peer: b.name, namespace: nil, peerNamespace: .fd(peerFD)) } catch { throw fail(what, error) }
        guard let mtu else { return }
        for d in [a, b] {
            let (s, i) = try index(d)
            do { try s.setMTU(index: i, mtu: mtu, name: "\(d)") } catch { throw fail(what, error) }
        }
    }

    public func setMaster(_ device: LabDevice, bridge: String) throws(RuntimeError) {
        let (nl, i) = try index(device)
        let (_, br) = try index(LabDevice(device.namespace, bridge))
        do { try nl.setMaster(index: i, master: br, name: "\(device)") } catch { throw fail("\(device) master \(bridge)", error) }
    }

    public func addAddress(_ address: IPNetwork, on device: LabDevice) throws(RuntimeError) {
        let (nl, i) = try index(device)
        do { try nl.addAddress(address, index: i, name: "\(device)") } catch {
            if error.errno == EEXIST && heal { return }
            throw fail("address \(address) on \(device)", error) }
    }

    public func setUp(_ device: LabDevice, _ up: Bool) throws(RuntimeError) {
        let (nl, i) = try index(device)
        do { try nl.setLink(index: i, up: up, name: "\(device)") } catch { throw fail("\(device) \(up ? "up" : "down")", error) }
    }

    public func waitForCarrier(_ devices: [LabDevice]) {
        var waiting = Set(devices)
        for _ in 0..<300 where !waiting.isEmpty {
            for d in waiting {
                guard let nl = try? netlink(d.namespace), let l = try? nl.link(name: d.name) else { continue }
                if l.flags & 0x10000 /* IFF_LOWER_UP */ != 0 { waiting.remove(d) }
            }
            if !waiting.isEmpty { usleep(10_000) }
        }
    }

    public func addRoute(_ destination: IPNetwork, via gateway: IPAddress, on device: LabDevice) throws(RuntimeError) {
        let (nl, i) = try index(device)
        do { try nl.addRoute(destination, gateway: gateway, index: i, name: "\(device)") } catch {
            if error.errno == EEXIST && heal { return }
            throw fail("route \(destination) via \(gateway) in \(device.namespace)", error)
        }
    }

    public func setNetem(_ device: LabDevice, _ settings: NetemSettings?) throws(RuntimeError) {
        let (nl, i) = try index(device)
        do {
            if let settings { try nl.replaceNetem(index: i, settings, name: "\(device)") } else { try nl.deleteRootQdisc(index: i, name: "\(device)") }
        } catch {
            if error.errno == ENOENT && settings != nil {
                throw RuntimeError(.runtime, "qdisc on \(device): this kernel has no netem (CONFIG_NET_SCH_NETEM)", cause: error)
            }
            throw fail("qdisc on \(device)", error)
        }
    }

    public func setRate(_ device: LabDevice, _ settings: TbfSettings) throws(RuntimeError) {
        let (nl, i) = try index(device)
        do { try nl.replaceTbf(index: i, settings, name: "\(device)") } catch {
            if error.errno == ENOENT { throw RuntimeError(.runtime, "qdisc on \(device): this kernel has no tbf (CONFIG_NET_SCH_TBF)", cause: error) }
            throw fail("qdisc on \(device)", error)
        }
    }

    public func enableForwarding(in ns: String) throws(RuntimeError) {
        try inside(ns) { () throws(SyscallError) in
            // /proc/sys/net shows the namespace of the thread that opens it.
            try FileIO.write("/proc/sys/net/ipv4/ip_forward", "1\n")
            try FileIO.write("/proc/sys/net/ipv6/conf/all/forwarding", "1\n")
        }
    }

    /// Runs `body` on this thread inside `ns`, and returns to the thread's own namespace.
    func inside<T>(_ ns: String, _ body: () throws(SyscallError) -> T) throws(RuntimeError) -> T {
        let target = try fd(ns)
        let home: Int32
        do { home = try NamespaceFile.open(NamespaceFile.currentPath) } catch { throw fail("netns \(ns)", error) }
        defer { close(home) }
        do throws(SyscallError) {
            try NamespaceFile.enter(target, name: ns)
            defer { try? NamespaceFile.enter(home, name: "the original network namespace") }
            return try body()
        } catch { throw fail("netns \(ns)", error) }
    }

    public func startContainer(_ c: LabTopology.Container, in ns: String) throws(RuntimeError) -> (pid: Int32, startTime: UInt64) {
        let argv = [silo, "run", "--network", "netns:\(ns)", "--rootfs", c.rootfs, "--"] + c.command
        let pid: Int32
        do { pid = try Spawn.detached(argv) } catch { throw fail("container in \(ns)", error) }
        let start = (try? ProcStat.read(pid))?.startTime ?? 0
        return (pid, start)
    }

    public func kill(pid: Int32, startTime: UInt64) {
        guard let st = try? ProcStat.read(pid), st.startTime == startTime || startTime == 0 else { return }
        // The container's init first: `silo run` then sees it exit and removes what it made (its
        // cgroup) before it exits. Killing silo itself would leave that to the next silo run.
        let children = (try? FileIO.read("/proc/\(pid)/task/\(pid)/children")) ?? ""
        for child in children.split(separator: " ").compactMap({ Int32($0) }) { Glibc.kill(child, SIGKILL) }
        for _ in 0..<(children.isEmpty ? 0 : 200) {
            guard let s = try? ProcStat.read(pid), s.startTime == st.startTime, s.state != "Z" else { break }
            usleep(10_000)
        }
        Glibc.kill(pid, SIGKILL)  // gone or a zombie by now, unless it hung
        var status: Int32 = 0
        if waitpid(pid, &status, 0) == pid { return }  // our own child (a Lab in this process)
        // Someone else's child: wait until it is gone or a zombie (its namespaces are then free).
        for _ in 0..<200 {
            guard let s = try? ProcStat.read(pid), s.startTime == st.startTime, s.state != "Z" else { return }
            usleep(10_000)
        }
    }

    public func finish() {
        for s in sockets.values { s.close() }
        for fd in fds.values { close(fd) }
        sockets = [:]
        fds = [:]
    }
}
