#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// A test network that is up: its name, its topology, and what it made on the machine (the
/// state file). `up` brings a topology up in a fixed order (namespaces, bridges, veths,
/// addresses, links up, routes, forwarding, containers) and rolls everything back if a step
/// fails; `down` removes what the state file records, and can be called any number of times.
///
/// From a test: `let lab = try Lab.up(topology, name: "lab\(random)")`, then `lab.run(host:_:)`
/// for commands, `lab.cut`/`heal` for faults, `lab.down()` at the end (or in `deinit` of the
/// suite). Namespace names are LAB-HOST, LAB-BRIDGE and LAB-switch; nothing else is touched.
public final class Lab {
    public let name: String
    public let topology: LabTopology
    public let names: LabNames
    let store: LabStateStore
    let kernel: any LabKernel

    init(name: String, topology: LabTopology, store: LabStateStore, kernel: any LabKernel) {
        self.name = name
        self.topology = topology
        self.names = LabNames(lab: name)
        self.store = store
        self.kernel = kernel
    }

    public static func checkName(_ name: String) throws(RuntimeError) {
        if let why = LabNames.invalidLabName(name) { throw RuntimeError(.usage, "lab `\(name)`: invalid name (\(why))") }
    }

    /// Brings `topology` up as lab `name`. `file` and `source` are recorded for `graph` and `ps`;
    /// `silo` is the executable that runs container hosts (`silo run`).
    public static func up(_ topology: LabTopology, name: String, file: String = "", source: String = "",
                          store: LabStateStore = LabStateStore(), kernel: (any LabKernel)? = nil,
                          silo: String = "/proc/self/exe") throws(RuntimeError) -> Lab {
        try checkName(name)
        let lock = try store.lock(name)
        defer { close(lock) }
        if store.exists(name) { throw RuntimeError(.usage, "lab \(name): already up (silo lab down \(name) first)") }
        let lab = Lab(name: name, topology: topology, store: store, kernel: kernel ?? LinuxLabKernel(silo: silo))
        var state = LabState(name: name, file: file, source: source)
        do throws(RuntimeError) {
            try store.save(state)
            try lab.build(&state)
            state.complete = true
            try store.save(state)
        } catch {
            Lab.teardown(state, kernel: lab.kernel, store: store)
            throw error
        }
        return lab
    }

    /// The steps of `up`; each namespace is in the state file before it exists.
    func build(_ state: inout LabState) throws(RuntimeError) {
        let t = topology
        for ns in names.namespaces(t) {
            state.namespaces.append(ns)
            try store.save(state)
            try kernel.addNamespace(ns)
        }
        for b in t.bridges { try kernel.addBridge(b.name, in: names.namespace(bridge: b)) }
        for l in t.links {
            let a = device(l.a), b = device(l.b)
            try kernel.addVeth(a, b, mtu: l.mtu)
            for (end, dev) in [(l.a, a), (l.b, b)] {
                if case .bridge(let br) = end.node { try kernel.setMaster(dev, bridge: br) }
                for addr in end.addresses { try kernel.addAddress(addr, on: dev) }
            }
            try kernel.setUp(a, true)
            try kernel.setUp(b, true)
        }
        kernel.waitForCarrier(t.links.flatMap { [device($0.a), device($0.b)] })
        for h in t.hosts { try addRoutes(of: h, only: nil) }
        for h in t.hosts where h.router { try kernel.enableForwarding(in: names.namespace(host: h.name)) }
        for h in t.hosts {
            guard let c = h.container else { continue }
            let p = try kernel.startContainer(c, in: names.namespace(host: h.name))
            state.processes.append(.init(host: h.name, pid: p.pid, startTime: p.startTime))
            try store.save(state)
        }
    }

    func device(_ end: LabTopology.End) -> LabDevice {
        LabDevice(names.namespace(of: end, in: topology), end.device)
    }

    /// The host's routes (those going out on `only`'s devices, if given).
    func addRoutes(of h: LabTopology.Host, only: Set<String>?) throws(RuntimeError) {
        let ns = names.namespace(host: h.name)
        for r in h.routes {
            guard let dev = topology.device(of: h.name, reaching: r.gateway) else { continue }
            if let only, !only.contains(dev) { continue }
            let dest = r.destination ?? IPNetwork(address: r.gateway.isIPv4 ? IPAddress("0.0.0.0")! : IPAddress("::")!, prefix: 0)!
            try kernel.addRoute(dest, via: r.gateway, on: LabDevice(ns, dev))
        }
    }

    /// Removes lab `name`: its processes (by PID), then its namespaces (with every device in
    /// them), then the state file. False when there was no such lab: `down` twice is fine.
    @discardableResult
    public static func down(name: String, store: LabStateStore = LabStateStore(), kernel: (any LabKernel)? = nil) throws(RuntimeError) -> Bool {
        try checkName(name)
        let lock = try store.lock(name)
        defer { close(lock) }
        guard store.exists(name) else {
            // Killed in its first save: a temporary file and nothing made yet.
            store.remove(name)
            return false
        }
        let state = try store.load(name)
        teardown(state, kernel: kernel ?? LinuxLabKernel(silo: "/proc/self/exe"), store: store)
        return true
    }

    public func down() throws(RuntimeError) {
        try Lab.down(name: name, store: store, kernel: kernel)
    }

    static func teardown(_ state: LabState, kernel: any LabKernel, store: LabStateStore) {
        for p in state.processes.reversed() { kernel.kill(pid: p.pid, startTime: p.startTime) }
        var failed = false
        for ns in state.namespaces.reversed() {
            do { try kernel.deleteNamespace(ns) } catch { failed = true }
        }
        kernel.finish()
        // A namespace that could not be removed stays recorded, so that a second `down` retries it.
        if !failed { store.remove(state.name) }
    }

    /// A lab that is up, from its state file.
    public static func open(name: String, store: LabStateStore = LabStateStore(), silo: String = "/proc/self/exe") throws(RuntimeError) -> Lab {
        try checkName(name)
        let state = try store.load(name)
        let t = try LabTopology.parse(state.source, file: state.file.isEmpty ? "\(name) (recorded)" : state.file)
        return Lab(name: name, topology: t, store: store, kernel: LinuxLabKernel(silo: silo))
    }
}
