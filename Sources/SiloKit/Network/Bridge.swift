#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// silo's bridges: a Linux bridge labelled with IFLA_IFALIAS `silo`, holding the host's
/// address in the subnet its containers get addresses from.
public enum Bridge {
    public static let defaultName = "silo0"
    /// The bridge's own (host) address and the subnet: containers get .2, .3, ...
    public static let defaultSubnet = "10.88.0.1/16"
    public static let alias = "silo"
    /// The device group silo's bridges are created in. The alias needs a second request, and a
    /// silo killed between the two would leave a bridge no one could tell was silo's; the group
    /// is set by the creating request itself, so a half-made bridge is still known as ours.
    public static let deviceGroup: UInt32 = 5110
    /// Environment variables: the subnet of a bridge silo creates, and the opt-in default route.
    public static let subnetVariable = "SILO_BRIDGE_SUBNET"
    public static let defaultRouteVariable = "SILO_BRIDGE_DEFAULT_ROUTE"

    /// The bridge's address from `SILO_BRIDGE_SUBNET` (`10.89.0.0/24` means the bridge takes
    /// 10.89.0.1/24; a host address given explicitly is kept).
    public static func parseSubnet(_ text: String) throws(RuntimeError) -> IPNetwork {
        guard let net = IPNetwork(text), net.address.isIPv4, net.prefix >= 8, net.prefix <= 30 else {
            throw RuntimeError(.usage, "\(subnetVariable) `\(text)`: expected an IPv4 subnet from /8 to /30, like 10.89.0.0/16")
        }
        if net.address == net.base, let first = IPNetwork(address: net.base.adding(1), prefix: net.prefix) { return first }
        return net
    }

    /// A bridge silo made: labelled with its alias, or in its device group (made, not labelled yet).
    static func isSilos(_ link: LinkInfo) -> Bool {
        link.alias == alias || link.group == deviceGroup
    }

    /// An existing bridge (or one made now) and the address the host has on it.
    public struct Attachment: Sendable {
        public var name: String
        public var index: Int32
        /// The host's address on the bridge; its prefix is the containers' subnet.
        public var gateway: IPNetwork
        /// The bridge's lock, while a container is being plugged in.
        public var lock: Int32?
    }

    /// Finds the bridge or creates it (labelled, addressed, up). Under a lock, so that
    /// containers started together do not race to make it.
    public static func ensure(_ nl: Netlink, name: String, requestedSubnet: String?) throws(RuntimeError) -> Attachment {
        if let why = VirtualNetwork.invalidDeviceName(name) { throw RuntimeError(.usage, "bridge `\(name)`: invalid name (\(why))") }
        let requested = try requestedSubnet.map { (s: String) throws(RuntimeError) in try parseSubnet(s) }
        // Held until the container's veth is a port, so that a prune cannot remove the bridge
        // in between.
        let lock = AbstractSocketLock.wait("silo/bridge/\(name)")
        do throws(RuntimeError) {
            var a = try attach(nl, name: name, requested: requested)
            a.lock = lock
            return a
        } catch {
            if let lock { close(lock) }
            throw error
        }
    }

    static func attach(_ nl: Netlink, name: String, requested: IPNetwork?) throws(RuntimeError) -> Attachment {
        func sys<T>(_ body: () throws(SyscallError) -> T) throws(RuntimeError) -> T {
            do { return try body() } catch { throw RuntimeError(.runtime, "bridge \(name): \(error)", cause: error) }
        }
        var created = false
        let found: LinkInfo?
        do { found = try nl.link(name: name) } catch {
            guard error.errno == ENODEV else { throw RuntimeError(.runtime, "bridge \(name): \(error)", cause: error) }
            found = nil
        }
        let link: LinkInfo
        if let found {
            link = found
        } else {
            try sys { () throws(SyscallError) in try nl.addBridge(name: name, up: true, group: deviceGroup) }
            created = true
            do throws(SyscallError) { link = try nl.link(name: name) } catch {
                try? nl.deleteLink(name: name)
                throw RuntimeError(.runtime, "bridge \(name): \(error)", cause: error)
            }
        }
        guard link.kind == "bridge" else {
            throw RuntimeError(.usage, "bridge \(name): a link of that name exists and is not a bridge (kind \(link.kind ?? "none"))")
        }
        let ours = isSilos(link)
        // Labelled here rather than only after creating it: a silo killed between the creating
        // request and this one left it in silo's group without the alias.
        if ours && link.alias != alias {
            do throws(SyscallError) { try nl.setAlias(index: link.index, alias: alias, name: name) } catch {
                if created { try? nl.deleteLink(index: link.index, name: name) }
                throw RuntimeError(.runtime, "bridge \(name): \(error)", cause: error)
            }
        }
        var v4 = try sys { () throws(SyscallError) in try nl.addresses(family: UInt8(AF_INET), index: link.index) }.map(\.network)
        if v4.isEmpty && (created || ours) {
            let gw: IPNetwork
            if let requested { gw = requested } else { gw = try parseSubnet(defaultSubnet) }
            do { try nl.addAddress(gw, index: link.index, name: name) } catch {
                if created { try? nl.deleteLink(index: link.index, name: name) }
                throw RuntimeError(.runtime, "bridge \(name): \(error)", cause: error)
            }
            v4 = [gw]
        }
        // A bridge of someone else's without a host address: containers on it reach each
        // other and not the host. The subnet then comes from SILO_BRIDGE_SUBNET, and its
        // first address stays unused.
        if v4.isEmpty, let requested { v4 = [requested] }
        guard let gateway = v4.first else {
            throw RuntimeError(.usage, "bridge \(name): has no IPv4 address to take a subnet from (add one with `ip addr add`, or set \(subnetVariable))")
        }
        if let requested, requested.base != gateway.base || requested.prefix != gateway.prefix {
            throw RuntimeError(.usage, "bridge \(name): its subnet is \(gateway) but \(subnetVariable) asks for \(requested) (use another bridge name, or `silo network prune` once it is unused)")
        }
        if !link.isUp {
            guard ours else { throw RuntimeError(.usage, "bridge \(name): is down (it is not silo's; bring it up with `ip link set \(name) up`)") }
            try sys { () throws(SyscallError) in try nl.setLink(index: link.index, up: true, name: name) }
        }
        return Attachment(name: name, index: link.index, gateway: gateway, lock: nil)
    }

    /// A free container address on the bridge's subnet, held by an abstract socket lock in
    /// the host's network namespace until the returned fd is closed (silo exits, however).
    public static func allocate(on bridge: Attachment) throws(RuntimeError) -> (address: IPNetwork, lock: Int32) {
        let subnet = bridge.gateway
        let count = subnet.size
        let base = subnet.base
        var n: UInt32 = 1
        while n < count - 1 {  // not the network address, not broadcast
            let candidate = base.adding(n)
            n += 1
            if candidate == bridge.gateway.address { continue }
            if let fd = AbstractSocketLock.tryLock("silo/net/\(bridge.name)/\(candidate)"),
               let net = IPNetwork(address: candidate, prefix: subnet.prefix) {
                return (net, fd)
            }
        }
        throw RuntimeError(.runtime, "bridge \(bridge.name): all \(count - 3) container addresses of \(subnet) are in use")
    }

    public struct Summary: Equatable, Sendable {
        public var name: String
        public var addresses: [IPNetwork]
        public var ports: [String]
        public var isUp: Bool
    }

    /// silo's bridges (those with its alias) with their addresses and ports.
    public static func list(_ nl: Netlink) throws(SyscallError) -> [Summary] {
        let links = try nl.links()
        let addrs = try nl.addresses(family: UInt8(AF_INET))
        return links.filter { $0.kind == "bridge" && isSilos($0) }.map { br in
            Summary(name: br.name, addresses: addrs.filter { $0.index == br.index }.map(\.network),
                    ports: links.filter { $0.master == br.index }.map(\.name), isUp: br.isUp)
        }.sorted { $0.name < $1.name }
    }

    /// Deletes silo's bridges that have no ports; returns their names.
    public static func prune(_ nl: Netlink) throws(SyscallError) -> [String] {
        var removed: [String] = []
        for br in try list(nl) where br.ports.isEmpty {
            // Skip a bridge a container is being attached to right now.
            guard let lock = AbstractSocketLock.tryLock("silo/bridge/\(br.name)") else { continue }
            defer { close(lock) }
            do {
                try nl.deleteLink(name: br.name)
                removed.append(br.name)
            } catch {
                if error.errno != ENODEV { throw error }
            }
        }
        return removed
    }
}
