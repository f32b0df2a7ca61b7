import SiloSys

/// Faults beyond one link: partitions between groups of nodes, and tbf rate limits.
extension Lab {
    /// "client,router" → ["client", "router"].
    static func group(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
    }

    /// Every link with one end in `a` and the other in `b`. Each name must be a host or bridge
    /// of the lab; a pair of groups with no link between them is an error (a typo, most often).
    func links(between a: [String], _ b: [String]) throws(RuntimeError) -> [LabTopology.Link] {
        let known = Set(topology.hosts.map(\.name) + topology.bridges.map(\.name))
        for n in a + b where !known.contains(n) {
            throw RuntimeError(.usage, "lab \(name): no host or bridge \"\(n)\"")
        }
        if let shared = a.first(where: b.contains) {
            throw RuntimeError(.usage, "lab \(name): \"\(shared)\" is on both sides")
        }
        let sa = Set(a), sb = Set(b)
        let found = topology.links.filter { l in
            (sa.contains(l.a.nodeName) && sb.contains(l.b.nodeName)) || (sb.contains(l.a.nodeName) && sa.contains(l.b.nodeName))
        }
        if found.isEmpty {
            throw RuntimeError(.usage, "lab \(name): no link between \"\(a.joined(separator: ","))\" and \"\(b.joined(separator: ","))\"")
        }
        return found
    }

    /// The links that cross between any two of `groups`: what `partition` cuts. A node named in
    /// no group keeps its links (name both sides of a router to cut through it).
    public func partitionLinks(_ groups: [[String]]) throws(RuntimeError) -> [LabTopology.Link] {
        guard groups.count >= 2 else { throw RuntimeError(.usage, "lab \(name): a partition needs two groups or more") }
        var out: [LabTopology.Link] = []
        for i in groups.indices {
            for j in groups.indices where j > i {
                let sa = Set(groups[i]), sb = Set(groups[j])
                if let shared = sa.intersection(sb).first { throw RuntimeError(.usage, "lab \(name): \"\(shared)\" is in two groups") }
                out += topology.links.filter { l in
                    (sa.contains(l.a.nodeName) && sb.contains(l.b.nodeName)) || (sb.contains(l.a.nodeName) && sa.contains(l.b.nodeName))
                }
            }
        }
        let known = Set(topology.hosts.map(\.name) + topology.bridges.map(\.name))
        if let n = groups.joined().first(where: { !known.contains($0) }) { throw RuntimeError(.usage, "lab \(name): no host or bridge \"\(n)\"") }
        if out.isEmpty { throw RuntimeError(.usage, "lab \(name): no link crosses between those groups") }
        return out
    }

    /// Cuts every link between the groups, all ends down before any is brought back: a split
    /// brain in one call (`silo lab partition LAB a,b c,d`).
    public func partition(_ groups: [[String]]) throws(RuntimeError) {
        for l in try partitionLinks(groups) {
            try kernel.setUp(device(l.a), false)
            try kernel.setUp(device(l.b), false)
        }
        kernel.finish()
    }

    /// Heals what `partition` cut (the same groups).
    public func healPartition(_ groups: [[String]]) throws(RuntimeError) {
        try heal(links: try partitionLinks(groups))
    }

    /// A tbf rate limit on both ends of the links between `a` and `b` (groups allowed), so the
    /// limit holds each way. It replaces a netem fault there (both are the root qdisc);
    /// `netem(a, b, nil)` clears either.
    public func rate(_ a: String, _ b: String, _ settings: TbfSettings) throws(RuntimeError) {
        for l in try links(between: a, b) {
            try kernel.setRate(device(l.a), settings)
            try kernel.setRate(device(l.b), settings)
        }
        kernel.finish()
    }
}
