#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// A cgroup v2 subtree delegated to an unprivileged caller (docs/rootless.md, "Cgroups"): the
/// caller's own v2 cgroup, when its directory, cgroup.procs and cgroup.subtree_control are
/// writable by the caller, as systemd's `Delegate=yes` (user@UID.service, `systemd-run --user
/// --scope`) or an administrator's chown makes them. A rootless container's cgroup goes beneath
/// it, so that the kernel's permission checks are those of the caller's own files: silo never
/// needs a privilege the caller lacks, and the container cannot leave the subtree.
public struct CgroupDelegation: Equatable, Sendable {
    /// The delegated cgroup the containers' cgroups go under.
    public var base: String
    /// The v2 hierarchy, with `base` as the caller's own cgroup: `Cgroup.create` and the
    /// launcher's v2 path work on it as on a pure v2 host.
    public var hierarchy: CgroupHierarchy
    /// base's cgroup.controllers (what its children may use) and cgroup.subtree_control.
    public var available: Set<String>
    public var enabled: Set<String>
    /// The host's layout kind, for the reason a controller is missing (hybrid: on v1).
    public var hostKind: CgroupLayout.Kind

    /// Where the caller's processes go when base must enable a controller (v2's no-internal-
    /// processes rule: a cgroup that enables domain controllers for its children holds no
    /// process itself). podman moves its caller the same way.
    public static let leafName = "silo-caller"

    /// The layout for `Cgroup.create`: the delegated hierarchy alone.
    public var layout: CgroupLayout { CgroupLayout(kind: .v2, root: hierarchy.mountPoint, hierarchies: [hierarchy]) }

    /// The caller's delegated v2 cgroup, or the reason there is none. `writable` is access(2)
    /// for the caller's effective ids. A caller in silo's own leaf (moved there by an earlier
    /// run) uses the leaf's parent again, so that the tree does not grow a level per run.
    public static func find(layout: CgroupLayout, uid: UInt32, fs: any CgroupFS,
                            writable: (String) -> Bool = CgroupDelegation.accessWritable) throws(CgroupError) -> CgroupDelegation {
        guard var h = layout.unified else {
            throw CgroupError("no cgroup v2 hierarchy on this host (cgroup v1 cannot be delegated to uid \(uid))")
        }
        func delegated(_ dir: String) -> Bool {
            writable(dir) && writable(dir + "/cgroup.procs") && writable(dir + "/cgroup.subtree_control")
        }
        var dir = h.ownDirectory
        guard delegated(dir) else {
            throw CgroupError("no cgroup v2 subtree delegated to uid \(uid): its cgroup \(dir) is not writable by it (systemd's Delegate=yes makes it so)")
        }
        if let slash = dir.lastIndex(of: "/"), dir[dir.index(after: slash)...] == leafName {
            let parent = String(dir[..<slash])
            if parent.count > h.mountPoint.count && delegated(parent) { dir = parent }
        }
        h.mountRoot = "/"
        h.ownPath = dir == h.mountPoint ? "/" : String(dir.dropFirst(h.mountPoint.count))
        h.controllers = fs.words(dir + "/cgroup.controllers")
        return CgroupDelegation(base: dir, hierarchy: h, available: Set(h.controllers),
                                enabled: Set(fs.words(dir + "/cgroup.subtree_control")), hostKind: layout.kind)
    }

    /// The caller's v2 hierarchy without reading mountinfo (~250 µs on a host with many mounts,
    /// most of the time a rootless start spends on cgroups): the cgroup2 mount is where systemd
    /// puts it, `root` on a v2 host or `root`/unified on a hybrid one, and the caller's cgroup
    /// is the `0::` line of /proc/self/cgroup, as crun and podman find it. nil: look it up.
    public static func quickLayout(fs: any CgroupFS, root: String = "/sys/fs/cgroup", procSelf: String = "/proc/self") -> CgroupLayout? {
        // Bytes, not Characters: String's split walks grapheme clusters (CgroupLayout.lines).
        guard let text = try? fs.read(procSelf + "/cgroup"),
              let line = CgroupLayout.lines(text).first(where: { $0.utf8.starts(with: "0::/".utf8) }) else { return nil }
        let path = String(line.dropFirst(3))
        let kind: CgroupLayout.Kind, mount: String
        if (try? fs.filesystemType(root)) == CgroupMagic.cgroup2 {
            (kind, mount) = (.v2, root)
        } else if (try? fs.filesystemType(root + "/unified")) == CgroupMagic.cgroup2 {
            (kind, mount) = (.hybrid, root + "/unified")
        } else {
            return nil
        }
        // A mount of another cgroup namespace or of a sub-tree would not hold this path.
        guard fs.isDirectory(mount + (path == "/" ? "" : path)) else { return nil }
        return CgroupLayout(kind: kind, root: root, hierarchies: [
            CgroupHierarchy(version: 2, controllers: [], mountPoint: mount, mountRoot: "/", ownPath: path),
        ])
    }

    public static func accessWritable(_ path: String) -> Bool { faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0 }

    /// What `limits` need from base: the controllers to enable, and silo's defaults that base
    /// cannot give (skipped). A limit the user asked for whose controller base does not have is
    /// refused, naming the option, the cgroup and what works instead.
    public func plan(for limits: CgroupLimits) throws(CgroupError) -> (enable: [String], skipped: [String]) {
        let asked = limits.controllers(includingDefaults: false)
        var enable: [String] = [], skipped: [String] = []
        for c in limits.withDefaults().controllers(includingDefaults: true).sorted() where !enabled.contains(c) {
            if available.contains(c) {
                enable.append(c)
            } else if asked.contains(c) {
                let option = Self.options[c] ?? c
                let have = available.isEmpty ? "none" : available.sorted().joined(separator: " ")
                let why = hostKind == .hybrid && c != "hugetlb" && c != "misc"
                    ? "this host's \(c) controller is on cgroup v1, which cannot be delegated"
                    : "the cgroup above does not enable it for this subtree"
                throw CgroupError("\(option): no \(c) controller in the delegated cgroup \(base) (its cgroup.controllers: \(have); \(why)); run without \(option), or as root")
            } else {
                skipped.append(c)
            }
        }
        return (enable, skipped)
    }

    /// The options that need each controller, as the refusal names them.
    static let options: [String: String] = [
        "memory": "--memory", "pids": "--pids-limit", "cpu": "--cpus/--cpu-shares", "cpuset": "--cpuset-cpus/--cpuset-mems",
        "io": "--blkio-weight/--device-read-bps/--device-write-bps",
    ]

    /// Enables `controllers` for base's children. base first hands its processes (the caller,
    /// its shell, ...) to the leaf: the kernel refuses (EBUSY) to enable a domain controller in
    /// a cgroup that holds processes. Returns whether anything was moved.
    @discardableResult
    public mutating func enable(_ controllers: [String], fs: any CgroupFS) throws(CgroupError) -> Bool {
        if controllers.isEmpty { return false }
        let leaf = base + "/" + Self.leafName
        let pids = fs.words(base + "/cgroup.procs")
        let moved = !pids.isEmpty
        if moved {
            do { try fs.mkdir(leaf) } catch { if error.errno != EEXIST { throw CgroupError(error, "cgroup") } }
            do { try Self.moveProcesses(pids, from: base, to: leaf, fs: fs) } catch { throw CgroupError(error, "cgroup") }
        }
        do { try fs.write(base + "/cgroup.subtree_control", controllers.map { "+" + $0 }.joined(separator: " ")) } catch {
            if error.errno == EBUSY {
                throw CgroupError("cgroup \(base)/cgroup.subtree_control: processes keep arriving in \(base), so it cannot enable \(controllers.joined(separator: " ")) (cgroup v2's no-internal-processes rule)", errno: EBUSY)
            }
            throw CgroupError(error, "cgroup")
        }
        enabled.formUnion(controllers)
        return moved
    }

    /// After the last container's cgroup is gone: a leaf silo made for the caller's processes is
    /// undone when no other cgroup is left under base (another silo's container, or the user's
    /// own): the controllers off (they were enabled for silo: base held processes until then),
    /// the processes back, the leaf removed. Otherwise the last silo to finish does it. nil, or
    /// what went wrong.
    public func restore(fs: any CgroupFS) -> String? {
        let leaf = base + "/" + Self.leafName
        guard fs.isDirectory(leaf) else { return nil }
        let children = ((try? fs.list(base)) ?? []).filter { fs.isDirectory(base + "/" + $0) }
        guard children == [Self.leafName] else { return nil }
        do throws(SyscallError) {
            let on = fs.words(base + "/cgroup.subtree_control")
            if !on.isEmpty { try fs.write(base + "/cgroup.subtree_control", on.map { "-" + $0 }.joined(separator: " ")) }
            try Self.moveProcesses(fs.words(leaf + "/cgroup.procs"), from: leaf, to: base, fs: fs)
            try fs.rmdir(leaf)
        } catch {
            return "cgroup \(error.object): \(error.reason) (restoring the caller's cgroup \(base))"
        }
        return nil
    }

    /// Moves `pids` (`from`'s cgroup.procs, just read) and whatever else turns up in `from` into
    /// `to`, a few rounds: a process the moved ones forked before they moved stays behind. One
    /// that exited meanwhile (ESRCH) is not an error.
    static func moveProcesses(_ pids: [String], from: String, to: String, fs: any CgroupFS) throws(SyscallError) {
        var pids = pids
        for _ in 0..<4 where !pids.isEmpty {
            for pid in pids {
                do { try fs.write(to + "/cgroup.procs", pid) } catch { if error.errno != ESRCH { throw error } }
            }
            pids = fs.words(from + "/cgroup.procs")
        }
    }

    /// An exclusive flock on base, held until the fd is closed: concurrent rootless silos under
    /// the same subtree enable, create and undo one at a time (a restore between another's
    /// enable and mkdir would take its controllers away). cgroupfs directories take flocks.
    public func lock() throws(CgroupError) -> Int32 {
        let fd = retryingEINTR { open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd < 0 { throw CgroupError(SyscallError.last("open", base), "cgroup") }
        if retryingEINTR({ flock(fd, LOCK_EX) }) != 0 {
            let e = SyscallError.last("flock", base)
            close(fd)
            throw CgroupError(e, "cgroup")
        }
        return fd
    }
}
