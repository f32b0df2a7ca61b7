#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// silo run by a user who is not real root (docs/rootless.md). The kernel lets anyone make a
/// user namespace and, as its root, every other kind of namespace, an overlay, a procfs and a
/// sysfs of their own; what it never lets them do is act on the host as anyone but themselves.
/// So container root is the caller, the rootfs is read with the caller's own rights (no
/// idmapped mount, no open_tree in the host's mount namespace), and whatever needs root on the
/// host (a bridge, /run/netns, a cgroup outside a delegated v2 subtree) is refused up front.
public struct Rootless: Equatable, Sendable {
    /// The caller's ids, in the user namespace silo runs in.
    public var uid: UInt32
    public var gid: UInt32
    /// The caller's ranges in /etc/subuid and /etc/subgid: with both, container ids 1-65535
    /// come from them through the setuid newuidmap and newgidmap; without, container root is
    /// the caller alone.
    public var subUIDs: HostIDRange?
    public var subGIDs: HostIDRange?

    public init(uid: UInt32, gid: UInt32, subUIDs: HostIDRange? = nil, subGIDs: HostIDRange? = nil) {
        self.uid = uid
        self.gid = gid
        self.subUIDs = subUIDs
        self.subGIDs = subGIDs
    }

    /// How many container ids a subordinate range gives (0-65535, as podman maps them).
    public static let mappedIDs: UInt32 = 65536

    /// nil for real root. The subordinate files are read only here, on the rootless path.
    public static func detect() -> Rootless? {
        if HostIdentity.isRealRoot { return nil }
        var me = Rootless(uid: geteuid(), gid: getegid())
        guard let subuid = try? FileIO.read("/etc/subuid"), let subgid = try? FileIO.read("/etc/subgid"),
              !subuid.isEmpty, !subgid.isEmpty else { return me }
        // The files name users mostly by name: /etc/passwd is read only when they hold something.
        let name = userName(uid: me.uid, passwd: (try? FileIO.read("/etc/passwd", limit: 4 << 20)) ?? "") ?? "\(me.uid)"
        me.subUIDs = HostIDRange.fromSubordinateFile(subuid, user: name, uid: me.uid)
        me.subGIDs = HostIDRange.fromSubordinateFile(subgid, user: name, uid: me.uid)
        return me
    }

    /// The name /etc/subuid may use for `uid`, from /etc/passwd's bytes (no NSS in a static binary).
    public static func userName(uid: UInt32, passwd: String) -> String? {
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if f.count >= 3, UInt32(f[2]) == uid { return String(f[0]) }
        }
        return nil
    }

    /// Both ranges, each large enough for container ids 1-65535.
    public var hasRange: Bool {
        guard let u = subUIDs, let g = subGIDs else { return false }
        return u.count >= Rootless.mappedIDs - 1 && g.count >= Rootless.mappedIDs - 1
    }

    /// Container root is the caller; with a range, container ids 1-65535 are the range's first ids.
    public var idmap: IDMap {
        let rootU = IDMapping(container: 0, host: uid, size: 1)
        let rootG = IDMapping(container: 0, host: gid, size: 1)
        guard hasRange, let u = subUIDs, let g = subGIDs else {
            var m = IDMap(uids: [rootU], gids: [rootG])
            m.writer = .denyingSetgroups
            return m
        }
        var m = IDMap(uids: [rootU, IDMapping(container: 1, host: u.start, size: Rootless.mappedIDs - 1)],
                      gids: [rootG, IDMapping(container: 1, host: g.start, size: Rootless.mappedIDs - 1)])
        m.writer = .helpers
        return m
    }

    /// Who writes a bundle's maps: the caller's own ids alone are written directly (setgroups
    /// denied first, as runc and crun do); anything more goes through newuidmap and newgidmap,
    /// which check /etc/subuid and /etc/subgid.
    public func writer(for m: IDMap) -> IDMap.Writer {
        let own = m.uids == [IDMapping(container: m.uids.first?.container ?? 0, host: uid, size: 1)]
            && m.gids == [IDMapping(container: m.gids.first?.container ?? 0, host: gid, size: 1)]
        return own ? .denyingSetgroups : .helpers
    }

    /// The one line a rootless run prints: what differs from a run as root, and why. `cgroup`
    /// is RunCgroup's clause (nil: the container has a cgroup as under root).
    public func notice(cgroup: String?) -> Warning? {
        let ids = hasRange ? nil : "uid \(uid) has no range in /etc/subuid and /etc/subgid, so container root is uid \(uid) alone and setgroups is denied"
        let parts = [ids, cgroup].compactMap { $0 }
        return parts.isEmpty ? nil : Warning("rootless: " + parts.joined(separator: "; "))
    }

    /// What needs root on the host, refused with why and what works instead.
    public func check(_ config: RunConfig) throws(RuntimeError) {
        switch config.network {
        case .none: break
        case .bridge:
            throw RuntimeError(.usage, "network bridge: needs root (a veth pair on a host bridge); rootless, use --network none (the default: a network namespace with only lo)")
        case .netns(let name):
            throw RuntimeError(.usage, "network netns:\(name): /run/netns/\(name) belongs to root's user namespace, which a rootless container cannot join; use --network none")
        }
        if !config.uidMaps.isEmpty || !config.gidMaps.isEmpty {
            throw RuntimeError(.usage, "--uid-map/--gid-map: need root; rootless, container root is uid \(uid) and ids 1-65535 come from /etc/subuid and /etc/subgid")
        }
        // Limits: RunCgroup.make(rootless:), which knows whether a delegated subtree can give them.
        if !config.share.isEmpty {
            throw RuntimeError(.usage, "--share: needs root (the host's /proc, /sys or mqueue opened as host root)")
        }
    }

    /// The rootfs (or a volume) readable and searchable by the caller: checked before clone so
    /// that the error names the path instead of the child's open_tree.
    public static func checkReadable(_ path: String, what: String) throws(RuntimeError) {
        if faccessat(AT_FDCWD, path, R_OK | X_OK, AT_EACCESS) != 0 {
            let e = SyscallError.last("access", "\(what) \(path)")
            throw RuntimeError(.runtime, "\(what) \(path): \(e.reason) (silo runs rootless as uid \(geteuid()): it must be able to read it)", cause: e)
        }
    }
}
