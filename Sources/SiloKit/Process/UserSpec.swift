import SiloSys

/// `--user UID[:GID]` or `NAME[:GROUP]`, resolved against the rootfs's /etc/passwd and
/// /etc/group as docker does; a numeric uid needs no entry.
public struct UserSpec: Equatable, Sendable {
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]
    public var home: String

    public static func resolve(_ spec: String?, rootfs: String) throws(RuntimeError) -> UserSpec {
        // The default needs no lookup: don't read two files on every run.
        guard let spec, !spec.isEmpty else { return try resolve(nil, passwd: "", group: "") }
        // Resolved inside the rootfs (RootfsFile): a missing file is an empty one, as before;
        // a link out, a FIFO or a huge file is an error.
        let passwd: String
        let group: String
        do {
            passwd = try RootfsFile.read("etc/passwd", in: rootfs) ?? ""
            group = try RootfsFile.read("etc/group", in: rootfs) ?? ""
        } catch {
            throw RuntimeError(error.code, "--user \(spec): \(error.message)", cause: error.cause)
        }
        return try resolve(spec, passwd: passwd, group: group)
    }

    /// Refuses ids the container's maps do not cover: the kernel would refuse them too, except
    /// (uid_t)-1, which setresuid and setresgid take as "leave unchanged", so that
    /// `--user 4294967295` used to keep container root.
    public func checkMapped(in idmap: IDMap, option: String) throws(RuntimeError) {
        if IDMap.host(for: uid, in: idmap.uids) == nil {
            throw RuntimeError(.usage, "--user \(option): uid \(uid) is not mapped in the container (uid map: \(IDMap.summary(idmap.uids)))")
        }
        for g in [gid] + groups where IDMap.host(for: g, in: idmap.gids) == nil {
            let what = g == gid ? "gid" : "supplementary group"
            throw RuntimeError(.usage, "--user \(option): \(what) \(g) is not mapped in the container (gid map: \(IDMap.summary(idmap.gids)))")
        }
    }

    public static func resolve(_ spec: String?, passwd: String, group: String) throws(RuntimeError) -> UserSpec {
        guard let spec, !spec.isEmpty else { return UserSpec(uid: 0, gid: 0, groups: [], home: "/root") }
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let users = passwd.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 7 }
        let entry: [String]?
        let uid: UInt32
        if let n = UInt32(parts[0]) {
            uid = n
            entry = users.first { UInt32($0[2]) == n }
        } else if let e = users.first(where: { $0[0] == parts[0] }), let n = UInt32(e[2]) {
            uid = n
            entry = e
        } else {
            throw RuntimeError(.usage, "user \(parts[0]): no such user in the rootfs's /etc/passwd")
        }
        let groups = group.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 4 }
        var gid: UInt32 = entry.flatMap { UInt32($0[3]) } ?? 0
        if parts.count > 1 {
            if let n = UInt32(parts[1]) {
                gid = n
            } else if let g = groups.first(where: { $0[0] == parts[1] }), let n = UInt32(g[2]) {
                gid = n
            } else {
                throw RuntimeError(.usage, "group \(parts[1]): no such group in the rootfs's /etc/group")
            }
        }
        var supplementary: [UInt32] = []
        if let name = entry?[0] {
            for g in groups where g[3].split(separator: ",").contains(Substring(name)) {
                if let n = UInt32(g[2]), n != gid { supplementary.append(n) }
            }
        }
        let home = entry?[5] ?? (uid == 0 ? "/root" : "/")
        return UserSpec(uid: uid, gid: gid, groups: supplementary, home: home.isEmpty ? "/" : home)
    }
}
