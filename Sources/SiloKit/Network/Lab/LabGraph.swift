/// `silo lab graph`: the topology as Graphviz DOT text; hosts are boxes (routers double),
/// bridges ellipses, each link an edge labelled with its devices and addresses.
public enum LabGraph {
    public static func dot(_ t: LabTopology, name: String) -> String {
        var out = "graph \(quote(name)) {\n  node [fontname=\"monospace\"];\n"
        for h in t.hosts {
            let shape = h.router ? "box, peripheries=2" : "box"
            var label = h.name
            if let c = h.container { label += "\\n" + c.command.joined(separator: " ") }
            for r in h.routes { label += "\\n" + (r.destination.map { "\($0)" } ?? "default") + " via \(r.gateway)" }
            out += "  \(quote(h.name)) [shape=\(shape), label=\(quote(label))];\n"
        }
        for b in t.bridges { out += "  \(quote(b.name)) [shape=ellipse];\n" }
        for l in t.links {
            var label = "\(endLabel(l.a)) -- \(endLabel(l.b))"
            if let mtu = l.mtu { label += "\\nmtu \(mtu)" }
            out += "  \(quote(l.a.nodeName)) -- \(quote(l.b.nodeName)) [label=\(quote(label))];\n"
        }
        return out + "}\n"
    }

    static func endLabel(_ e: LabTopology.End) -> String {
        ([e.device] + e.addresses.map { "\($0)" }).joined(separator: " ")
    }

    static func quote(_ s: String) -> String {
        "\"" + s.replacingAll("\"", with: "\\\"") + "\""
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
