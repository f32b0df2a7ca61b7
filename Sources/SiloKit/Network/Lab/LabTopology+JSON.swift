import SiloSpec
import SiloSys

/// The topology file: JSON (SiloSpec's parser, no Foundation). Every error names the file, the
/// JSON path and the cause: `lab.json: .links[2].a: unknown host "srv3"`. docs/lab.md has the format.
extension LabTopology {
    public static func parse(_ text: String, file: String) throws(RuntimeError) -> LabTopology {
        let json: JSON
        do { json = try JSON.parse(text) } catch { throw RuntimeError(.usage, "\(file): \(error)") }
        var r = LabReader(file: file)
        return try r.topology(json)
    }
}

/// Reads one topology document; `fail` prefixes the file and the path.
struct LabReader {
    typealias Host = LabTopology.Host
    typealias Bridge = LabTopology.Bridge
    typealias Link = LabTopology.Link
    typealias End = LabTopology.End
    typealias Route = LabTopology.Route
    typealias Container = LabTopology.Container
    let file: String

    func fail(_ path: String, _ cause: String) -> RuntimeError {
        RuntimeError(.usage, "\(file): \(path.isEmpty ? "." : path): \(cause)")
    }

    func object(_ v: JSON, _ path: String, keys: [String]) throws(RuntimeError) -> [JSON.Member] {
        guard case .object(let members) = v else { throw fail(path, "expected an object, found \(v.kind)") }
        for m in members where !keys.contains(m.key) {
            throw fail(path, "unknown key \"\(m.key)\" (expected \(keys.map { "\"\($0)\"" }.joined(separator: ", ")))")
        }
        return members
    }

    func array(_ v: JSON?, _ path: String) throws(RuntimeError) -> [JSON] {
        guard let v else { return [] }
        guard case .array(let items) = v else { throw fail(path, "expected an array, found \(v.kind)") }
        return items
    }

    func string(_ v: JSON?, _ path: String) throws(RuntimeError) -> String {
        guard let v else { throw fail(path, "missing") }
        guard case .string(let s) = v else { throw fail(path, "expected a string, found \(v.kind)") }
        return s
    }

    func bool(_ v: JSON?, _ path: String) throws(RuntimeError) -> Bool {
        guard let v else { return false }
        guard case .bool(let b) = v else { throw fail(path, "expected true or false, found \(v.kind)") }
        return b
    }

    func network(_ v: JSON, _ path: String) throws(RuntimeError) -> IPNetwork {
        let s = try string(v, path)
        guard s.contains("/"), let n = IPNetwork(s) else { throw fail(path, "\"\(s)\" is not an address with a prefix length (10.0.1.2/24, fd00::2/64)") }
        return n
    }

    mutating func topology(_ json: JSON) throws(RuntimeError) -> LabTopology {
        _ = try object(json, "", keys: ["hosts", "bridges", "links"])
        var t = LabTopology(hosts: [], bridges: [], links: [])
        for (i, h) in try array(json["hosts"], ".hosts").enumerated() { t.hosts.append(try host(h, ".hosts[\(i)]", t)) }
        if t.hosts.isEmpty { throw fail(".hosts", "a lab needs at least one host") }
        for (i, b) in try array(json["bridges"], ".bridges").enumerated() { t.bridges.append(try bridge(b, ".bridges[\(i)]", t)) }
        var devices: [String: Set<String>] = [:]  // per namespace (hosts and bridge namespaces)
        for (i, l) in try array(json["links"], ".links").enumerated() {
            t.links.append(try link(l, ".links[\(i)]", index: i, t, &devices))
        }
        for (i, h) in t.hosts.enumerated() { try checkRoutes(h, ".hosts[\(i)].routes", t) }
        return t
    }

    func checkName(_ name: String, _ path: String, _ t: LabTopology) throws(RuntimeError) {
        if let why = LabNames.invalidNodeName(name) { throw fail(path, "invalid name \"\(name)\" (\(why))") }
        // The shared bridges' namespace is LAB-switch.
        if name == "switch" { throw fail(path, "\"switch\" is reserved (the shared bridges' namespace)") }
        if t.hosts.contains(where: { $0.name == name }) || t.bridges.contains(where: { $0.name == name }) {
            throw fail(path, "\"\(name)\" is already the name of a host or bridge")
        }
    }

    func host(_ v: JSON, _ path: String, _ t: LabTopology) throws(RuntimeError) -> Host {
        _ = try object(v, path, keys: ["name", "container", "router", "routes"])
        let name = try string(v["name"], path + ".name")
        try checkName(name, path + ".name", t)
        var h = Host(name: name, container: nil as Container?, router: try bool(v["router"], path + ".router"), routes: [])
        if let c = v["container"] {
            _ = try object(c, path + ".container", keys: ["rootfs", "command"])
            let rootfs = try string(c["rootfs"], path + ".container.rootfs")
            if !rootfs.hasPrefix("/") { throw fail(path + ".container.rootfs", "\"\(rootfs)\" is not an absolute path") }
            var command: [String] = []
            for (i, a) in try array(c["command"], path + ".container.command").enumerated() {
                command.append(try string(a, path + ".container.command[\(i)]"))
            }
            if command.isEmpty { throw fail(path + ".container.command", "missing (the container's argv, as an array of strings)") }
            h.container = Container(rootfs: rootfs, command: command)
        }
        for (i, r) in try array(v["routes"], path + ".routes").enumerated() {
            let p = path + ".routes[\(i)]"
            _ = try object(r, p, keys: ["to", "via"])
            let to = try string(r["to"], p + ".to")
            let viaText = try string(r["via"], p + ".via")
            guard let via = IPAddress(viaText) else { throw fail(p + ".via", "\"\(viaText)\" is not an IP address") }
            var destination: IPNetwork? = nil
            if to != "default" {
                guard let d = IPNetwork(to) else { throw fail(p + ".to", "\"\(to)\" is neither \"default\" nor a prefix (10.0.2.0/24)") }
                if d.address.isIPv4 != via.isIPv4 { throw fail(p, "\(to) and \(viaText) are of different families") }
                destination = d
            }
            h.routes.append(Route(destination: destination, gateway: via))
        }
        return h
    }

    func bridge(_ v: JSON, _ path: String, _ t: LabTopology) throws(RuntimeError) -> Bridge {
        _ = try object(v, path, keys: ["name", "namespace"])
        let name = try string(v["name"], path + ".name")
        try checkName(name, path + ".name", t)
        if let why = VirtualNetwork.invalidDeviceName(name) { throw fail(path + ".name", "\"\(name)\" cannot name a device (\(why))") }
        var own = false
        if let ns = v["namespace"] {
            switch try string(ns, path + ".namespace") {
            case "own": own = true
            case "lab": own = false
            case let other: throw fail(path + ".namespace", "\"\(other)\": expected \"own\" or \"lab\"")
            }
        }
        return Bridge(name: name, ownNamespace: own)
    }

    func link(_ v: JSON, _ path: String, index: Int, _ t: LabTopology, _ devices: inout [String: Set<String>]) throws(RuntimeError) -> Link {
        _ = try object(v, path, keys: ["a", "b", "mtu"])
        guard let av = v["a"] else { throw fail(path + ".a", "missing") }
        guard let bv = v["b"] else { throw fail(path + ".b", "missing") }
        let a = try end(av, path + ".a", index: index, t, &devices)
        let b = try end(bv, path + ".b", index: index, t, &devices)
        if a.nodeName == b.nodeName { throw fail(path, "both ends are on \"\(a.nodeName)\"") }
        if case .bridge = a.node, case .bridge = b.node { throw fail(path, "a link joins a host to a host or to a bridge, not two bridges") }
        var mtu: Int? = nil
        if let m = v["mtu"] {
            guard let n = m.int64, n >= 68, n <= 65535 else { throw fail(path + ".mtu", "expected a number from 68 to 65535") }
            mtu = Int(n)
        }
        return Link(a: a, b: b, mtu: mtu)
    }

    func end(_ v: JSON, _ path: String, index: Int, _ t: LabTopology, _ devices: inout [String: Set<String>]) throws(RuntimeError) -> End {
        var node: End.Node
        var device: String?
        var addresses: [IPNetwork] = []
        if case .string(let h) = v {
            node = .host(h)
        } else {
            _ = try object(v, path, keys: ["host", "bridge", "device", "addresses"])
            if let h = v["host"] {
                if v["bridge"] != nil { throw fail(path, "either \"host\" or \"bridge\", not both") }
                node = .host(try string(h, path + ".host"))
            } else if let b = v["bridge"] {
                node = .bridge(try string(b, path + ".bridge"))
            } else {
                throw fail(path, "missing \"host\" or \"bridge\"")
            }
            if let d = v["device"] { device = try string(d, path + ".device") }
            for (i, a) in try array(v["addresses"], path + ".addresses").enumerated() {
                addresses.append(try network(a, path + ".addresses[\(i)]"))
            }
        }
        let nsKey: String
        switch node {
        case .host(let h):
            guard t.host(h) != nil else { throw fail(path, "unknown host \"\(h)\"") }
            nsKey = "host " + h
        case .bridge(let b):
            guard let br = t.bridges.first(where: { $0.name == b }) else { throw fail(path, "unknown bridge \"\(b)\"") }
            if !addresses.isEmpty { throw fail(path + ".addresses", "a bridge port has no addresses (give them to the host's end)") }
            nsKey = br.ownNamespace ? "bridge " + b : "switch"
        }
        var taken = devices[nsKey, default: []]
        if case .bridge = node { for br in t.bridges { taken.insert(br.name) } }
        let name: String
        if let device {
            if let why = VirtualNetwork.invalidDeviceName(device) { throw fail(path + ".device", "invalid device name \"\(device)\" (\(why))") }
            if device == "lo" || taken.contains(device) { throw fail(path + ".device", "\"\(device)\" is already a device there") }
            name = device
        } else if case .bridge = node {
            name = "veth\(index)"  // link indexes are unique in the lab
        } else {
            var n = 0
            while taken.contains("eth\(n)") { n += 1 }
            name = "eth\(n)"
        }
        devices[nsKey, default: []].insert(name)
        return End(node: node, device: name, addresses: addresses)
    }

    /// A gateway must be on a subnet one of the host's own ends has: that end is the route's device.
    func checkRoutes(_ h: Host, _ path: String, _ t: LabTopology) throws(RuntimeError) {
        for (i, r) in h.routes.enumerated() where t.device(of: h.name, reaching: r.gateway) == nil {
            throw fail("\(path)[\(i)].via", "\(r.gateway) is on no subnet of \(h.name)'s links")
        }
    }
}

extension LabTopology {
    /// The device of `host` whose subnet holds `gateway`: where a route via it goes out.
    public func device(of host: String, reaching gateway: IPAddress) -> String? {
        for e in ends(of: host) where e.mine.addresses.contains(where: { $0.contains(gateway) && $0.address != gateway }) {
            return e.mine.device
        }
        return nil
    }
}
