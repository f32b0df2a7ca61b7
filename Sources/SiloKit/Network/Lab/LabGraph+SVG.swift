/// `silo lab graph LAB --format svg`: the picture without Graphviz (a Debian package silo's CI
/// need not carry). A layered layout: each node's column is its distance in links from the
/// first host, so a client—router—server chain reads left to right; hosts are boxes (routers
/// with a double border), bridges rounded; each link a line with its devices and addresses
/// written near each end. Deterministic, so tests compare it.
extension LabGraph {
    struct Node {
        var name: String
        var lines: [String]
        var kind: String  // host, router, bridge
        var x = 0, y = 0
        var height: Int { 26 + 16 * lines.count }
    }

    static let nodeWidth = 200, columnGap = 170, rowGap = 40, margin = 30

    public static func svg(_ t: LabTopology, name: String) -> String {
        var nodes: [Node] = t.hosts.map { h in
            var lines: [String] = []
            if let c = h.container { lines.append(c.command.joined(separator: " ")) }
            for r in h.routes { lines.append((r.destination.map { "\($0)" } ?? "default") + " via \(r.gateway)") }
            return Node(name: h.name, lines: lines, kind: h.router ? "router" : "host")
        }
        nodes += t.bridges.map { Node(name: $0.name, lines: ["bridge"], kind: "bridge") }
        let index = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
        // Columns: breadth-first distance from the first node; parts not reached start their own.
        var column = [Int?](repeating: nil, count: nodes.count)
        var next = 0
        for start in nodes.indices where column[start] == nil {
            column[start] = next
            var queue = [start], i = 0
            while i < queue.count {
                let n = queue[i]
                i += 1
                for l in t.links {
                    guard let a = index[l.a.nodeName], let b = index[l.b.nodeName] else { continue }
                    for (from, to) in [(a, b), (b, a)] where from == n && column[to] == nil {
                        column[to] = (column[n] ?? 0) + 1
                        queue.append(to)
                    }
                }
            }
            next = (column.compactMap { $0 }.max() ?? 0) + 1
        }
        var bottom: [Int: Int] = [:]
        for i in nodes.indices {
            let c = column[i] ?? 0
            nodes[i].x = margin + c * (nodeWidth + columnGap)
            nodes[i].y = bottom[c] ?? margin + 20
            bottom[c] = nodes[i].y + nodes[i].height + rowGap
        }
        let width = (nodes.map { $0.x }.max() ?? 0) + nodeWidth + margin
        let height = (bottom.values.max() ?? 0) + margin
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"monospace\" font-size=\"12\">\n"
        out += "<title>lab \(escape(name))</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(margin)\" y=\"\(margin)\" font-size=\"14\" font-weight=\"bold\">lab \(escape(name))</text>\n"
        for l in t.links {
            guard let a = index[l.a.nodeName].map({ nodes[$0] }), let b = index[l.b.nodeName].map({ nodes[$0] }) else { continue }
            let (ax, ay) = (a.x + nodeWidth / 2, a.y + a.height / 2), (bx, by) = (b.x + nodeWidth / 2, b.y + b.height / 2)
            out += "<line x1=\"\(ax)\" y1=\"\(ay)\" x2=\"\(bx)\" y2=\"\(by)\" stroke=\"#555\" stroke-width=\"2\"/>\n"
            // Each end's label a quarter of the way from its node, past the box's edge.
            for (end, (x0, y0), (x1, y1)) in [(l.a, (ax, ay), (bx, by)), (l.b, (bx, by), (ax, ay))] {
                let x = x0 + (x1 - x0) * 3 / 8, y = y0 + (y1 - y0) * 3 / 8 - 6
                var lines = [end.device] + end.addresses.map { "\($0)" }
                if let mtu = l.mtu, end == l.a { lines.append("mtu \(mtu)") }
                for (i, text) in lines.enumerated() {
                    out += "<text x=\"\(x)\" y=\"\(y + i * 14)\" text-anchor=\"middle\" fill=\"#036\" font-size=\"11\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">\(escape(text))</text>\n"
                }
            }
        }
        for n in nodes {
            let fill = n.kind == "bridge" ? "#eef6ee" : (n.kind == "router" ? "#fff4e0" : "#eef2fa")
            let r = n.kind == "bridge" ? 18 : 4
            out += "<g id=\"\(escape(n.kind))-\(escape(n.name))\">\n"
            out += "<rect x=\"\(n.x)\" y=\"\(n.y)\" width=\"\(nodeWidth)\" height=\"\(n.height)\" rx=\"\(r)\" fill=\"\(fill)\" stroke=\"#333\" stroke-width=\"\(n.kind == "router" ? 3 : 1)\"/>\n"
            out += "<text x=\"\(n.x + nodeWidth / 2)\" y=\"\(n.y + 18)\" text-anchor=\"middle\" font-weight=\"bold\">\(escape(n.name))</text>\n"
            for (i, line) in n.lines.enumerated() {
                out += "<text x=\"\(n.x + nodeWidth / 2)\" y=\"\(n.y + 36 + i * 16)\" text-anchor=\"middle\">\(escape(line))</text>\n"
            }
            out += "</g>\n"
        }
        return out + "</svg>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
