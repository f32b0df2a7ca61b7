import SiloSys

/// A test network as the topology file describes it: hosts (bare named network namespaces or
/// containers), bridges (switches), veth links between them with addresses, routes, and
/// routers. Checked when parsed (`LabTopology.parse`), so `Lab.up` never starts on a file that
/// names an unknown host or an address no link can reach.
public struct LabTopology: Equatable, Sendable {
    public struct Container: Equatable, Sendable {
        public var rootfs: String
        public var command: [String]
    }

    public struct Route: Equatable, Sendable {
        /// nil: the default route of the gateway's family.
        public var destination: IPNetwork?
        public var gateway: IPAddress
    }

    public struct Host: Equatable, Sendable {
        public var name: String
        /// nil: a bare named network namespace.
        public var container: Container?
        /// IPv4 and IPv6 forwarding on, inside the host's own namespace.
        public var router: Bool
        public var routes: [Route]
    }

    public struct Bridge: Equatable, Sendable {
        public var name: String
        /// true: in a namespace of its own; false: in the lab's namespace, with the other
        /// shared bridges.
        public var ownNamespace: Bool
    }

    /// One end of a link: a host's device with its addresses, or a port of a bridge.
    public struct End: Equatable, Sendable {
        public enum Node: Equatable, Sendable {
            case host(String)
            case bridge(String)
        }
        public var node: Node
        public var device: String
        public var addresses: [IPNetwork]

        public var nodeName: String {
            switch node {
            case .host(let n), .bridge(let n): n
            }
        }
    }

    public struct Link: Equatable, Sendable {
        public var a: End
        public var b: End
        public var mtu: Int?
    }

    public var hosts: [Host]
    public var bridges: [Bridge]
    public var links: [Link]

    public func host(_ name: String) -> Host? { hosts.first { $0.name == name } }

    /// The links that touch `node` (a host or a bridge), with the end on its side first.
    public func ends(of node: String) -> [(mine: End, other: End, link: Int)] {
        var out: [(End, End, Int)] = []
        for (i, l) in links.enumerated() {
            if l.a.nodeName == node { out.append((l.a, l.b, i)) }
            if l.b.nodeName == node { out.append((l.b, l.a, i)) }
        }
        return out
    }
}

/// What a lab's objects are called on the machine: every namespace starts with the lab's name,
/// so two labs never collide and `down` touches nothing that is not its own. Devices need no
/// prefix: every one of them lives inside one of the lab's namespaces, never in the host's.
public struct LabNames: Equatable, Sendable {
    public var lab: String

    public init(lab: String) { self.lab = lab }

    public func namespace(host: String) -> String { "\(lab)-\(host)" }

    public func namespace(bridge: LabTopology.Bridge) -> String {
        bridge.ownNamespace ? "\(lab)-\(bridge.name)" : "\(lab)-switch"
    }

    public func namespace(of end: LabTopology.End, in topology: LabTopology) -> String {
        switch end.node {
        case .host(let h): namespace(host: h)
        case .bridge(let b): topology.bridges.first { $0.name == b }.map(namespace(bridge:)) ?? "\(lab)-switch"
        }
    }

    /// Every namespace the lab needs, hosts first, in file order, each once.
    public func namespaces(_ t: LabTopology) -> [String] {
        var out = t.hosts.map { namespace(host: $0.name) }
        for b in t.bridges where !out.contains(namespace(bridge: b)) { out.append(namespace(bridge: b)) }
        return out
    }

    /// Why `name` cannot name a lab, or nil: it starts every namespace name and the state file's.
    public static func invalidLabName(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.utf8.count > 32 { return "longer than 32 bytes" }
        if name.hasPrefix(".") || name.hasPrefix("-") { return "starts with . or -" }
        if !name.utf8.allSatisfy(LabNames.isNameByte) { return "only letters, digits, `-`, `_` and `.`" }
        return nil
    }

    /// Hosts and bridges: short plain words, so that LAB-NAME stays a readable netns name.
    public static func invalidNodeName(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.utf8.count > 64 { return "longer than 64 bytes" }
        if name.hasPrefix(".") || name.hasPrefix("-") { return "starts with . or -" }
        if !name.utf8.allSatisfy(LabNames.isNameByte) { return "only letters, digits, `-`, `_` and `.`" }
        return nil
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f || c == 0x2e
    }
}
