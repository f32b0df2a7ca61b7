import Testing
@testable import SiloKit
import SiloSys

/// The topology file: what it means, and the errors (file, JSON path, cause) for what it must refuse.
@Suite struct LabTopologyTests {
    static let example = """
    {
      "hosts": [
        {"name": "client", "routes": [{"to": "default", "via": "10.0.1.1"}, {"to": "fd00:2::/64", "via": "fd00:1::1"}]},
        {"name": "router", "router": true},
        {"name": "srv1", "routes": [{"to": "default", "via": "10.0.2.1"}]},
        {"name": "web", "container": {"rootfs": "/var/lib/silo/rootfs/busybox", "command": ["httpd", "-f"]}}
      ],
      "bridges": [{"name": "sw0"}, {"name": "sw1", "namespace": "own"}],
      "links": [
        {"a": {"host": "client", "addresses": ["10.0.1.2/24", "fd00:1::2/64"]},
         "b": {"host": "router", "device": "up0", "addresses": ["10.0.1.1/24", "fd00:1::1/64"]}, "mtu": 1400},
        {"a": {"host": "router", "addresses": ["10.0.2.1/24"]}, "b": {"bridge": "sw0"}},
        {"a": {"host": "srv1", "addresses": ["10.0.2.10/24"]}, "b": {"bridge": "sw0"}},
        {"a": "web", "b": {"bridge": "sw1"}}
      ]
    }
    """

    @Test func parsesTheExample() throws {
        let t = try LabTopology.parse(Self.example, file: "lab.json")
        #expect(t.hosts.map(\.name) == ["client", "router", "srv1", "web"])
        #expect(t.hosts[1].router && !t.hosts[0].router)
        #expect(t.hosts[3].container == .init(rootfs: "/var/lib/silo/rootfs/busybox", command: ["httpd", "-f"]))
        #expect(t.hosts[0].routes == [.init(destination: nil, gateway: IPAddress("10.0.1.1")!),
                                      .init(destination: IPNetwork("fd00:2::/64"), gateway: IPAddress("fd00:1::1")!)])
        #expect(t.bridges == [.init(name: "sw0", ownNamespace: false), .init(name: "sw1", ownNamespace: true)])
        #expect(t.links[0].mtu == 1400 && t.links[1].mtu == nil)
        // Devices: given names kept, hosts count eth0, eth1, ... and bridge ports are vethN (the link's index).
        #expect(t.links[0].a.device == "eth0" && t.links[0].b.device == "up0")
        #expect(t.links[1].a.device == "eth0" && t.links[1].b.device == "veth1")
        #expect(t.links[3].a == .init(node: .host("web"), device: "eth0", addresses: []))
        #expect(t.device(of: "client", reaching: IPAddress("fd00:1::1")!) == "eth0")
        #expect(t.device(of: "router", reaching: IPAddress("10.0.2.10")!) == "eth0")
    }

    @Test func namespacesArePrefixedWithTheLab() throws {
        let t = try LabTopology.parse(Self.example, file: "lab.json")
        let n = LabNames(lab: "lab7")
        #expect(n.namespaces(t) == ["lab7-client", "lab7-router", "lab7-srv1", "lab7-web", "lab7-switch", "lab7-sw1"])
    }

    /// Each bad document and the exact message: file, path, cause.
    @Test(arguments: [
        (#"{"hosts": [{"name": "a"}], "links": [{"a": "a", "b": "srv3"}]}"#, #"lab.json: .links[0].b: unknown host "srv3""#),
        (#"{"hosts": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a", "b": "b"}, {"a": "a", "b": {"bridge": "x"}}]}"#,
         #"lab.json: .links[1].b: unknown bridge "x""#),
        (#"{"hosts": []}"#, "lab.json: .hosts: a lab needs at least one host"),
        (#"{"hosts": [{"name": "a"}], "hostz": []}"#, #"lab.json: .: unknown key "hostz" (expected "hosts", "bridges", "links")"#),
        (#"{"hosts": [{"name": "a/b"}]}"#, #"lab.json: .hosts[0].name: invalid name "a/b" (only letters, digits, `-`, `_` and `.`)"#),
        (#"{"hosts": [{"name": "a"}, {"name": "a"}]}"#, #"lab.json: .hosts[1].name: "a" is already the name of a host or bridge"#),
        (#"{"hosts": [{"name": "switch"}]}"#, #"lab.json: .hosts[0].name: "switch" is reserved (the shared bridges' namespace)"#),
        (#"{"hosts": [{"name": "a"}, {"name": "b"}], "links": [{"a": {"host": "a", "device": "a-very-long-name0"}, "b": "b"}]}"#,
         #"lab.json: .links[0].a.device: invalid device name "a-very-long-name0" (longer than 15 bytes)"#),
        (#"{"hosts": [{"name": "a"}, {"name": "b"}], "links": [{"a": {"host": "a", "addresses": ["10.0.0.1"]}, "b": "b"}]}"#,
         #"lab.json: .links[0].a.addresses[0]: "10.0.0.1" is not an address with a prefix length (10.0.1.2/24, fd00::2/64)"#),
        (#"{"hosts": [{"name": "a"}, {"name": "b"}], "links": [{"a": "a", "b": "b", "mtu": 20}]}"#,
         "lab.json: .links[0].mtu: expected a number from 68 to 65535"),
        (#"{"hosts": [{"name": "a"}], "links": [{"a": "a", "b": "a"}]}"#, #"lab.json: .links[0]: both ends are on "a""#),
        (#"{"hosts": [{"name": "a", "routes": [{"to": "default", "via": "10.9.9.9"}]}]}"#,
         "lab.json: .hosts[0].routes[0].via: 10.9.9.9 is on no subnet of a's links"),
        (#"{"hosts": [{"name": "a", "routes": [{"to": "10.1.0.0/16", "via": "fd00::1"}]}]}"#,
         "lab.json: .hosts[0].routes[0]: 10.1.0.0/16 and fd00::1 are of different families"),
        (#"{"hosts": [{"name": "a", "container": {"rootfs": "rel", "command": ["sh"]}}]}"#,
         #"lab.json: .hosts[0].container.rootfs: "rel" is not an absolute path"#),
        (#"{"hosts": [{"name": "a"}, {"name": "b"}], "links": [{"a": {"host": "a", "device": "x"}, "b": "b"}, {"a": {"host": "a", "device": "x"}, "b": "b"}]}"#,
         #"lab.json: .links[1].a.device: "x" is already a device there"#),
        (#"{"hosts": [{"name": "a"}], "bridges": [{"name": "b", "namespace": "host"}]}"#,
         #"lab.json: .bridges[0].namespace: "host": expected "own" or "lab""#),
        (#"{"hosts": [{"name": "a"}], "bridges": [{"name": "b"}], "links": [{"a": "a", "b": {"bridge": "b", "addresses": ["10.0.0.1/24"]}}]}"#,
         "lab.json: .links[0].b.addresses: a bridge port has no addresses (give them to the host's end)"),
        (#"{"hosts": [{"name": "a"}], "#, "lab.json: line 1, column 28: "),
    ])
    func refuses(_ doc: String, _ message: String) {
        do {
            _ = try LabTopology.parse(doc, file: "lab.json")
            Issue.record("accepted: \(doc)")
        } catch {
            #expect(error.message.hasPrefix(message), "\(error.message)")
            #expect(error.code == .usage)
        }
    }

    @Test func labNames() {
        #expect(LabNames.invalidLabName("lab-1_x.y") == nil)
        for bad in ["", "-x", ".x", "a/b", "a b", String(repeating: "l", count: 33)] { #expect(LabNames.invalidLabName(bad) != nil, "\(bad)") }
    }

    @Test func graphIsDOT() throws {
        let t = try LabTopology.parse(Self.example, file: "lab.json")
        let dot = LabGraph.dot(t, name: "lab7")
        #expect(dot.hasPrefix("graph \"lab7\" {"))
        #expect(dot.contains(#""router" [shape=box, peripheries=2, label="router"];"#))
        #expect(dot.contains(#""client" -- "router" [label="eth0 10.0.1.2/24 fd00:1::2/64 -- up0 10.0.1.1/24 fd00:1::1/64\nmtu 1400"];"#))
        #expect(dot.contains(#""sw0" [shape=ellipse];"#))
    }

    /// The SVG: one group per node, laid out in columns by distance from the first host, one
    /// line per link with each end's device and addresses; text escaped.
    @Test func graphIsSVG() throws {
        let t = try LabTopology.parse(Self.example, file: "lab.json")
        let svg = LabGraph.svg(t, name: "lab<7>")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("<title>lab lab&lt;7&gt;</title>"))
        for h in t.hosts { #expect(svg.contains("<g id=\"\(h.router ? "router" : "host")-\(h.name)\">"), "\(h.name)") }
        for b in t.bridges { #expect(svg.contains("<g id=\"bridge-\(b.name)\">")) }
        #expect(svg.components(separatedBy: "<line ").count - 1 == t.links.count)
        #expect(svg.contains(">10.0.1.2/24</text>") && svg.contains(">mtu 1400</text>"))
        // Columns: the first host at the left margin, the router one column to its right.
        #expect(svg.contains("<rect x=\"30\" y=\"50\""))
        #expect(svg.contains("<g id=\"router-router\">\n<rect x=\"\(30 + LabGraph.nodeWidth + LabGraph.columnGap)\""))
        #expect(!svg.contains("\"<") && svg.components(separatedBy: "<g ").count == svg.components(separatedBy: "</g>").count)
    }
}
