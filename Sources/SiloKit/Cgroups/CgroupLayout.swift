import SiloSys

/// One mounted cgroup hierarchy and where the caller sits in it.
public struct CgroupHierarchy: Equatable, Sendable {
    public var version: Int
    /// v1: the controllers of this mount ("cpu", "cpuacct", or "name=systemd"); v2: those listed
    /// in the root's cgroup.controllers (filled by `CgroupLayout.detect`, empty after `parse`).
    public var controllers: [String]
    public var mountPoint: String
    /// The mount's root inside the hierarchy (mountinfo field 4): not "/" inside a cgroup namespace
    /// or for a bind mount of a sub-tree.
    public var mountRoot: String
    /// The caller's cgroup in this hierarchy, as /proc/self/cgroup says.
    public var ownPath: String

    /// The directory of the caller's own cgroup: the container's cgroup goes beneath it, so that
    /// whatever limits the caller is under bound the container too.
    public var ownDirectory: String {
        var rel = ownPath
        if mountRoot != "/" && (rel == mountRoot || rel.hasPrefix(mountRoot + "/")) { rel.removeFirst(mountRoot.count) }
        if rel.isEmpty || rel == "/" { return mountPoint }
        return mountPoint + (rel.hasPrefix("/") ? rel : "/" + rel)
    }

    /// A key for this hierarchy in maps: "memory", "cpu,cpuacct", "name=systemd", or "unified".
    public var key: String { version == 2 ? "unified" : controllers.joined(separator: ",") }
}

/// The cgroup world of this host: pure v2, v1, or hybrid (v1 controllers next to a cgroup2 mount,
/// systemd's `unified` layout, this machine's).
public struct CgroupLayout: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable { case v1, v2, hybrid }

    public var kind: Kind
    public var root: String
    public var hierarchies: [CgroupHierarchy]

    /// The hierarchy that holds `controller`: a v1 mount naming it, else the v2 mount when its
    /// cgroup.controllers lists it (on a hybrid host only the controllers v1 does not have).
    public func hierarchy(for controller: String) -> CgroupHierarchy? {
        if let h = hierarchies.first(where: { $0.version == 1 && $0.controllers.contains(controller) }) { return h }
        return hierarchies.first { $0.version == 2 && $0.controllers.contains(controller) }
    }

    public var unified: CgroupHierarchy? { hierarchies.first { $0.version == 2 } }

    /// Reads /proc/self/cgroup, /proc/self/mountinfo and statfs(root).
    public static func detect(fs: some CgroupFS, root: String = "/sys/fs/cgroup", proc: String = "/proc/self") throws(CgroupError) -> CgroupLayout {
        let cgroupText: String, mountinfo: String, magic: Int64
        do {
            cgroupText = try fs.read(proc + "/cgroup")
            mountinfo = try fs.read(proc + "/mountinfo")
            magic = try fs.filesystemType(root)
        } catch { throw CgroupError(error, "cgroups:") }
        var layout = try parse(cgroup: cgroupText, mountinfo: mountinfo, root: root)
        if magic == CgroupMagic.cgroup2 && layout.kind != .v2 {
            throw CgroupError("cgroups \(root): a cgroup2 file system, but mountinfo shows no cgroup2 mount there")
        }
        for i in layout.hierarchies.indices where layout.hierarchies[i].version == 2 {
            layout.hierarchies[i].controllers = fs.words(layout.hierarchies[i].mountPoint + "/cgroup.controllers")
        }
        return layout
    }

    /// Pure: the text of /proc/self/cgroup and /proc/self/mountinfo → the hierarchies mounted at
    /// or under `root` that the caller belongs to.
    public static func parse(cgroup: String, mountinfo: String, root: String = "/sys/fs/cgroup") throws(CgroupError) -> CgroupLayout {
        // /proc/self/cgroup: "ID:CONTROLLERS:PATH"; the path may itself contain ':'.
        var v1Paths: [(controllers: Set<String>, path: String)] = []
        var v2Path: String?
        for line in lines(cgroup) where !line.isEmpty {
            let f = fields(line, 0x3a, maxSplits: 2, omittingEmpty: false)
            guard f.count == 3, Int(f[0]) != nil else { throw CgroupError("/proc/self/cgroup: malformed line `\(line)`") }
            if f[0] == "0" && f[1].isEmpty { v2Path = String(f[2]); continue }
            v1Paths.append((Set(fields(f[1], 0x2c).map(String.init)), String(f[2])))
        }

        var hierarchies: [CgroupHierarchy] = []
        var seen: Set<String> = []
        for line in lines(mountinfo) {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS"
            if !line.isEmpty && !isCgroupMount(line) && line.utf8.contains(0x2d) { continue }
            let f = fields(line, 0x20)
            guard let dash = f.firstIndex(of: "-"), dash >= 6, f.count >= dash + 3 else {
                if line.isEmpty { continue }
                throw CgroupError("/proc/self/mountinfo: malformed line `\(line)`")
            }
            let fstype = f[dash + 1]
            guard fstype == "cgroup" || fstype == "cgroup2" else { continue }
            let mountRoot = ProcFS.unescape(String(f[3])), point = ProcFS.unescape(String(f[4]))
            guard point == root || point.hasPrefix(root == "/" ? "/" : root + "/") else { continue }
            if fstype == "cgroup2" {
                guard let path = v2Path, !hierarchies.contains(where: { $0.version == 2 }) else { continue }
                hierarchies.append(CgroupHierarchy(version: 2, controllers: [], mountPoint: point, mountRoot: mountRoot, ownPath: path))
            } else {
                let opts = Set(fields(f[dash + 3], 0x2c).map(String.init))
                // The /proc/self/cgroup line whose controllers all appear in the super options.
                guard let own = v1Paths.first(where: { !$0.controllers.isEmpty && $0.controllers.isSubset(of: opts) }) else { continue }
                // The same hierarchy mounted twice (a bind): the first mount counts.
                // reduce, not joined(separator:): that one ran unspecialized, its metadata built by name.
                let key = own.controllers.sorted().reduce(into: "") { $0 += $0.isEmpty ? $1 : "," + $1 }
                if !seen.insert(key).inserted { continue }
                hierarchies.append(CgroupHierarchy(version: 1, controllers: key.split(separator: ",").map(String.init), mountPoint: point, mountRoot: mountRoot, ownPath: own.path))
            }
        }
        let v1 = hierarchies.contains { $0.version == 1 }, v2 = hierarchies.contains { $0.version == 2 }
        guard v1 || v2 else { throw CgroupError("cgroups: no cgroup file system mounted at \(root)") }
        let kind: Kind = v1 && v2 ? .hybrid : (v2 ? .v2 : .v1)
        return CgroupLayout(kind: kind, root: root, hierarchies: hierarchies)
    }

    // Splitting on bytes: String's own split walks grapheme clusters, which made parsing a
    // 20-line mountinfo cost ~140 µs, a noticeable part of a container start.
    static func lines(_ text: String) -> [Substring] {
        text.utf8.split(separator: 0x0a, omittingEmptySubsequences: false).map { Substring($0) }
    }

    static func fields(_ line: Substring, _ sep: UInt8, maxSplits: Int = .max, omittingEmpty: Bool = true) -> [Substring] {
        line.utf8.split(separator: sep, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmpty).map { Substring($0) }
    }

    /// Whether " - cgroup" (cgroup or cgroup2) occurs in the line: most mounts are skipped
    /// without splitting them into fields.
    static func isCgroupMount(_ line: Substring) -> Bool {
        let b = line.utf8, needle: [UInt8] = Array(" - cgroup".utf8)
        var i = b.startIndex
        while i != b.endIndex {
            if b[i] == 0x20 && b[i...].starts(with: needle) { return true }
            i = b.index(after: i)
        }
        return false
    }
}

extension CgroupFS {
    /// A v2 file that lists words (cgroup.controllers, cgroup.subtree_control, cgroup.procs),
    /// separated by spaces or newlines; empty when it cannot be read.
    func words(_ path: String) -> [String] {
        ((try? read(path)) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
