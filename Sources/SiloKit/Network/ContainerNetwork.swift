#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The container's network, for `--network`: prepared in the parent before clone, configured
/// after the child exists (its netns is /proc/PID/ns/net), released when it has exited.
///
/// - `none`: a new netns with lo only (the child brings lo up).
/// - `netns:NAME`: the parent enters the named netns before clone and clone leaves
///   CLONE_NEWNET out, so the child is born inside it. The child's user namespace does not own
///   that netns, so it could neither setns into it nor mount a sysfs for it: the parent brings
///   lo up there and makes the sysfs (fsopen captures the caller's netns), read-only.
/// - `bridge[:NAME]`: a new netns plus a veth whose host end is a port of the bridge and whose
///   other end is the container's eth0, with an address from the bridge's subnet and only the
///   on-link route that comes with it.
struct ContainerNetwork {
    /// Whether clone() gets CLONE_NEWNET (false when joining a named netns).
    var newNamespace = true
    /// A sysfs mount made by the parent for the container's netns, moved in by the child.
    var sysfsFD: Int32?

    /// netns:NAME — the parent's own netns, to go back to once the child is cloned.
    var homeNetns: Int32 = -1

    /// bridge — the host's socket, the bridge, the address held and the veth made.
    var netlink: Netlink?
    var bridge: Bridge.Attachment?
    var address: IPNetwork?
    var addressLock: Int32 = -1
    var hostDevice = ""
    var vethCreated = false
    var hostIndex: Int32?
    var defaultRoute = false

    static let containerDevice = "eth0"

    static func prepare(_ config: RunConfig) throws(RuntimeError) -> ContainerNetwork {
        switch config.network {
        case .none:
            return ContainerNetwork()
        case .netns(let name):
            return try join(name)
        case .bridge(let name):
            return try plug(into: name, environment: ProcessEnvironment.value)
        }
    }

    /// Enters the named netns (the caller's id-slot lock, an abstract socket, is already
    /// bound in the host's netns: abstract sockets are per netns).
    static func join(_ name: String) throws(RuntimeError) -> ContainerNetwork {
        if let why = NamedNetns.invalidReason(name) { throw RuntimeError(.usage, "network netns:\(name): invalid name (\(why))") }
        let fd: Int32
        do { fd = try NamespaceFile.open(NamedNetns.path(name)) } catch {
            if error.errno == ENOENT {
                throw RuntimeError(.usage, "network netns:\(name): no such named network namespace (make it with `silo netns add \(name)`)")
            }
            throw RuntimeError(.runtime, "network netns:\(name): \(error)", cause: error)
        }
        defer { close(fd) }
        var net = ContainerNetwork()
        net.newNamespace = false
        do throws(SyscallError) {
            net.homeNetns = try NamespaceFile.open(NamespaceFile.currentPath)
            try NamespaceFile.enter(fd, name: name)
            let nl = try Netlink()
            defer { nl.close() }
            try nl.setLink(index: 1, up: true, name: "lo in \(name)")
            net.sysfsFD = try NamespaceFile.detachedSysfs()
        } catch {
            net.release()
            throw RuntimeError(.runtime, "network netns:\(name): \(error)", cause: error)
        }
        return net
    }

    /// Finds or makes the bridge and takes an address on it; the veth comes once the child exists.
    static func plug(into name: String, environment: (String) -> String?) throws(RuntimeError) -> ContainerNetwork {
        var net = ContainerNetwork()
        do throws(RuntimeError) {
            do { net.netlink = try Netlink() } catch { throw RuntimeError(.runtime, "network bridge:\(name): \(error)", cause: error) }
            guard let nl = net.netlink else { throw RuntimeError(.runtime, "network bridge:\(name): no netlink socket") }
            let attachment = try Bridge.ensure(nl, name: name, requestedSubnet: environment(Bridge.subnetVariable))
            net.bridge = attachment
            let (address, lock) = try Bridge.allocate(on: attachment)
            net.address = address
            net.addressLock = lock
            net.hostDevice = "veth" + String(ContainerID.random().prefix(8))
            net.defaultRoute = environment(Bridge.defaultRouteVariable) == "1"
        } catch {
            net.release()
            throw error
        }
        return net
    }

    /// Called after the id maps are written and before the child goes on.
    mutating func configure(childPID: pid_t) throws(SyscallError) {
        if homeNetns >= 0 {
            try NamespaceFile.enter(homeNetns, name: "the original network namespace")
            close(homeNetns)
            homeNetns = -1
        }
        guard let nl = netlink, let bridge, let address else { return }
        // Both ends in one request: the host end enslaved and up, eth0 made straight inside
        // the child's netns (and brought up from there).
        try nl.addVeth(name: hostDevice, peer: Self.containerDevice, namespace: nil, peerNamespace: .pid(childPID),
                       master: bridge.index, up: true)
        vethCreated = true
        if let lock = bridge.lock {
            close(lock)
            self.bridge?.lock = nil
        }
        hostIndex = try nl.linkIndex(name: hostDevice)
        let nsPath = "/proc/\(childPID)/ns/net"
        let fd = try NamespaceFile.open(nsPath)
        defer { close(fd) }
        let inside = try Netlink(namespace: fd, name: nsPath)
        defer { inside.close() }
        try Self.configureInside(inside, address: address, gateway: bridge.gateway.address, defaultRoute: defaultRoute)
    }

    /// eth0 inside the container's netns: its address, up, and a default route via the
    /// bridge only when asked.
    static func configureInside(_ inside: Netlink, address: IPNetwork, gateway: IPAddress, defaultRoute: Bool) throws(SyscallError) {
        let index = try inside.linkIndex(name: containerDevice)
        // The address brings its on-link route (the subnet, scope link); nothing else is routed.
        try inside.addAddress(address, index: index, name: containerDevice)
        try inside.setLink(index: index, up: true, name: containerDevice)
        if defaultRoute, let any = IPNetwork("0.0.0.0/0") {
            try inside.addRoute(any, gateway: gateway, index: index, name: containerDevice)
        }
    }

    /// Called once the container has exited (or failed to start): remove what silo made.
    /// Deleting the host end takes eth0 with it; the kernel would do the same once the
    /// container's netns is freed, but later.
    mutating func release() {
        if homeNetns >= 0 {
            try? NamespaceFile.enter(homeNetns, name: "the original network namespace")
            close(homeNetns)
            homeNetns = -1
        }
        if let fd = sysfsFD {
            close(fd)
            sysfsFD = nil
        }
        if let nl = netlink {
            if vethCreated {
                if let hostIndex {
                    try? nl.deleteLink(index: hostIndex, name: hostDevice)
                } else {
                    try? nl.deleteLink(name: hostDevice)
                }
                vethCreated = false
            }
            nl.close()
            netlink = nil
        }
        if let lock = bridge?.lock {
            close(lock)
            bridge?.lock = nil
        }
        if addressLock >= 0 {
            close(addressLock)
            addressLock = -1
        }
    }
}
