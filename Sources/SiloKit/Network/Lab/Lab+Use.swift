import SiloSys

/// What is done with a lab that is up: commands in its hosts, its processes, link faults.
extension Lab {
    func hostNamespace(_ host: String) throws(RuntimeError) -> String {
        guard topology.host(host) != nil else {
            throw RuntimeError(.usage, "lab \(name): no host \"\(host)\" (hosts: \(topology.hosts.map(\.name).joined(separator: ", ")))")
        }
        return names.namespace(host: host)
    }

    /// `silo lab exec` up to the exec: `netns exec`'s entry into the host's namespace.
    public func enterForExec(host: String) throws(RuntimeError) -> [Warning] {
        let ns = try hostNamespace(host)
        do { return try NamedNetns.enterForExec(ns) } catch { throw RuntimeError(.runtime, error.message) }
    }

    /// Runs `argv` inside `host`'s namespace and waits for it: the calling thread enters the
    /// namespace for the spawn only (the child inherits it) and goes back at once.
    public func run(host: String, _ argv: [String]) throws(RuntimeError) -> SpawnResult {
        let ns = try hostNamespace(host)
        let k = LinuxLabKernel(silo: "")
        defer { k.finish() }
        return try k.inside(ns) { () throws(SyscallError) in try Spawn.run(argv) }
    }

    public struct HostStatus: Equatable, Sendable {
        public var host: String
        public var namespace: String
        public var kind: String
        public var pids: [Int32]
    }

    /// Each host and bridge namespace with the processes inside it.
    public func ps() -> [HostStatus] {
        var out: [HostStatus] = []
        for h in topology.hosts {
            let ns = names.namespace(host: h.name)
            let kind = h.container != nil ? "container" : (h.router ? "router" : "netns")
            out.append(HostStatus(host: h.name, namespace: ns, kind: kind, pids: (try? NamedNetns.pids(ns)) ?? []))
        }
        for b in topology.bridges {
            let ns = names.namespace(bridge: b)
            out.append(HostStatus(host: b.name, namespace: ns, kind: "bridge", pids: (try? NamedNetns.pids(ns)) ?? []))
        }
        return out
    }

    /// The links between `a` and `b` (hosts or bridges), in either direction. Each may be a
    /// comma-separated group ("client,router"): then every link between a node of one group
    /// and a node of the other (see Lab+Faults.swift).
    func links(between a: String, _ b: String) throws(RuntimeError) -> [LabTopology.Link] {
        try links(between: Self.group(a), Self.group(b))
    }

    /// Takes both ends of the links between `a` and `b` down: no frame crosses.
    public func cut(_ a: String, _ b: String) throws(RuntimeError) {
        for l in try links(between: a, b) {
            try kernel.setUp(device(l.a), false)
            try kernel.setUp(device(l.b), false)
        }
        kernel.finish()
    }

    /// Brings the ends up again, and what the kernel dropped when they went down: their IPv6
    /// addresses (kept only with keep_addr_on_down) and the routes through them.
    public func heal(_ a: String, _ b: String) throws(RuntimeError) {
        try heal(links: try links(between: a, b))
    }

    func heal(links found: [LabTopology.Link]) throws(RuntimeError) {
        (kernel as? LinuxLabKernel)?.heal = true
        for l in found {
            try kernel.setUp(device(l.a), true)
            try kernel.setUp(device(l.b), true)
            for end in [l.a, l.b] {
                for addr in end.addresses { try kernel.addAddress(addr, on: device(end)) }
            }
        }
        kernel.waitForCarrier(found.flatMap { [device($0.a), device($0.b)] })
        for l in found {
            for end in [l.a, l.b] {
                guard case .host(let h) = end.node, let host = topology.host(h) else { continue }
                try addRoutes(of: host, only: [end.device])
            }
        }
        kernel.finish()
    }

    /// netem on both ends of the links between `a` and `b` (so a delay is paid each way);
    /// nil clears it.
    public func netem(_ a: String, _ b: String, _ settings: NetemSettings?) throws(RuntimeError) {
        for l in try links(between: a, b) {
            try kernel.setNetem(device(l.a), settings)
            try kernel.setNetem(device(l.b), settings)
        }
        kernel.finish()
    }
}
