#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// `linux.resources.network` and `.hugepageLimits` of an OCI config, for `create` and `update`:
/// net_cls.classid and net_prio.ifpriomap (v1 only: cgroup v2 has neither), and the hugetlb
/// limits (v1 `hugetlb.SIZE.limit_in_bytes`, v2 `hugetlb.SIZE.max`), written exactly as the
/// config says. A hybrid host keeps hugetlb in its cgroup2 mount, which limits nothing there
/// (systemd enables no controller in its root), so a hybrid or v1 host needs v1 hierarchies
/// of these; where none is mounted the field is refused naming the hierarchy, before anything
/// is written. Errors carry the JSON path below `linux.resources`.
struct CgroupNetHugetlb: Equatable {
    var classID: UInt32?
    var priorities: [OCISpec.InterfacePriority] = []
    var hugepages: [OCISpec.HugepageLimit] = []

    init() {}

    init(oci r: OCISpec.Resources) throws(CgroupError) {
        classID = r.network?.classID
        priorities = r.network?.priorities ?? []
        for (i, h) in r.hugepageLimits.enumerated() {
            // The size becomes part of a file name: "2MB", never a path.
            guard !h.pageSize.isEmpty, h.pageSize.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw CgroupError("linux.resources.hugepageLimits[\(i)].pageSize: \"\(h.pageSize)\" is not a size such as 2MB")
            }
        }
        for (i, p) in priorities.enumerated() where p.name.isEmpty || p.name.utf8.count > 15 || p.name.contains(where: { $0 == " " || $0 == "/" || $0 == "\n" }) {
            throw CgroupError("linux.resources.network.priorities[\(i)].name: \"\(p.name)\" is not an interface name")
        }
        hugepages = r.hugepageLimits
    }

    /// The v2 controllers these need enabled above the container's cgroup.
    var controllers: [String] { hugepages.isEmpty ? [] : ["hugetlb"] }

    /// The container's directory for `controller`, or the refusal naming what is missing.
    static func directory(_ cg: Cgroup, _ controller: String, for field: String) throws(CgroupError) -> String {
        if cg.layout.kind == .v2 {
            if controller == "hugetlb", let dir = cg.places.first?.directory { return dir }
            throw CgroupError("linux.resources.\(field): cgroup v2 has no \(controller) controller; it needs a v1 \(controller) hierarchy, which this host does not mount")
        }
        if let p = cg.place(controller) { return p.directory }
        if cg.layout.hierarchy(for: controller)?.version == 1 {
            throw CgroupError("linux.resources.\(field): the container has no cgroup in the \(controller) hierarchy (it was not mounted when the container was created)")
        }
        let v2Only = controller == "hugetlb" && cg.layout.unified?.controllers.contains("hugetlb") == true
            ? " (hugetlb is only in the cgroup v2 mount \(cg.layout.unified!.mountPoint), where this host enables it for no cgroup)" : ""
        throw CgroupError("linux.resources.\(field): no \(controller) cgroup v1 hierarchy is mounted under \(cg.layout.root)\(v2Only)")
    }

    /// Whether the cgroup has a place for each field: asked before any directory is made or
    /// any limit written (`create`, `update`).
    func check(_ cg: Cgroup) throws(CgroupError) {
        _ = try directories(cg)
    }

    func directories(_ cg: Cgroup) throws(CgroupError) -> (cls: String?, prio: String?, huge: String?) {
        let cls = classID == nil ? nil : try Self.directory(cg, "net_cls", for: "network.classID")
        let prio = priorities.isEmpty ? nil : try Self.directory(cg, "net_prio", for: "network.priorities")
        let huge = hugepages.isEmpty ? nil : try Self.directory(cg, "hugetlb", for: "hugepageLimits")
        return (cls, prio, huge)
    }

    func apply(to cg: Cgroup) throws(CgroupError) {
        // Every hierarchy looked up first: a refused field leaves the cgroup as it was.
        let (cls, prio, huge) = try directories(cg)
        if let id = classID, let dir = cls { try cg.write(dir + "/net_cls.classid", "\(id)", controller: "net_cls") }
        if let dir = prio {
            for (i, p) in priorities.enumerated() {
                do { try cg.fs.write(dir + "/net_prio.ifpriomap", "\(p.name) \(p.priority)") } catch {
                    // The kernel looks the name up in the initial network namespace.
                    let why = error.errno == ENODEV ? "no interface \"\(p.name)\" in the host's network namespace" : "\(dir)/net_prio.ifpriomap: \(error.reason)"
                    throw CgroupError("linux.resources.network.priorities[\(i)].name: \(why)", errno: error.errno)
                }
            }
        }
        if let dir = huge {
            let suffix = cg.layout.kind == .v2 ? "max" : "limit_in_bytes"
            for (i, h) in hugepages.enumerated() {
                let file = "hugetlb.\(h.pageSize).\(suffix)"
                if !cg.fs.exists(dir + "/" + file) {
                    let sizes = ((try? cg.fs.list(dir)) ?? []).compactMap { n -> String? in
                        let f = n.split(separator: ".")
                        return f.count == 3 && f[0] == "hugetlb" && f[2] == suffix ? String(f[1]) : nil
                    }.sorted()
                    // No size at all: the controller is off there (v2), which the write says.
                    if !sizes.isEmpty {
                        throw CgroupError("linux.resources.hugepageLimits[\(i)].pageSize: \"\(h.pageSize)\": no such huge page size on this host (no \(file); sizes: \(sizes.joined(separator: ", ")))", errno: ENOENT)
                    }
                }
                try cg.write(dir + "/" + file, "\(h.limit)", controller: "hugetlb")
            }
        }
    }
}
