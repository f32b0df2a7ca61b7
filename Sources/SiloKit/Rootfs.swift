#if canImport(Glibc)
import Glibc
#endif
import CSiloShim
import SiloSys

public enum Rootfs {
    /// The canonical path of a rootfs, checked to be a directory; with `--rootfs-rw`, also
    /// checked to be unreachable by other host users, since files container root writes
    /// through the idmapped mount land on disk as host root (a setuid-root binary there would
    /// be a way out for any local user).
    public static func resolve(_ path: String, readWrite: Bool) throws(RuntimeError) -> String {
        let real: String
        do { real = try realpath(path, what: "rootfs") } catch {
            if path == RunConfig.defaultRootfs {
                throw RuntimeError(.runtime, "rootfs \(path): No such file or directory (make it with rootfs-scripts/busybox.sh)")
            }
            throw error
        }
        guard FileIO.isDirectory(real) else { throw RuntimeError(.runtime, "rootfs \(path): Not a directory") }
        if real == "/" { throw RuntimeError(.usage, "rootfs /: the host's root cannot be a container's rootfs") }
        if readWrite && !isPrivateToRoot(real) {
            throw RuntimeError(.usage, "rootfs \(path): --rootfs-rw needs a rootfs that other users cannot reach (a parent directory owned by root with mode 0700)")
        }
        return real
    }

    /// A host directory that container root can reach (every component searchable by
    /// others): the child attaches its finished root over it, in its own mount namespace only,
    /// just to pivot into it. Nothing is resolved through this path (targets are resolved
    /// from the root's fd), so a rootfs link to it leads nowhere.
    public static func stagingDirectory() throws(RuntimeError) -> String {
        for candidate in ["/tmp", "/run", "/mnt", "/var/tmp"] {
            if let st = try? FileIO.lstat(candidate), st.st_mode & S_IFMT == S_IFDIR, st.st_mode & 0o001 != 0 {
                return candidate
            }
        }
        throw RuntimeError(.runtime, "staging: none of /tmp, /run, /mnt, /var/tmp is a directory others can search")
    }

    /// runc's rule: the rootfs's /proc, /dev and /sys are real directories or absent. silo
    /// resolves mount targets inside the rootfs, so a link there could not lead out, but it
    /// would put procfs or the device nodes somewhere else and leave the container without
    /// them where programs look; refuse it with a message instead.
    public static func checkMountPoints(_ rootfs: String) throws(RuntimeError) {
        for name in ["proc", "dev", "sys"] {
            guard let st = try? FileIO.lstat(rootfs + "/" + name) else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: continue
            case S_IFLNK: throw RuntimeError(.runtime, "rootfs \(rootfs): /\(name) is a symlink; it must be a directory (or absent), silo mounts \(name == "dev" ? "the device nodes" : name + "fs") there")
            default: throw RuntimeError(.runtime, "rootfs \(rootfs): /\(name) is not a directory; it must be a directory (or absent)")
            }
        }
    }

    public static func realpath(_ path: String, what: String) throws(RuntimeError) -> String {
        guard let p = Glibc.realpath(path, nil) else {
            throw RuntimeError(.runtime, "\(what) \(path): \(errnoString(Glibc.errno))")
        }
        defer { free(p) }
        return String(cString: p)
    }

    /// True when some directory on the way to `path` (itself included) is owned by root and
    /// closed to group and others, so that no other user can reach what lies below.
    public static func isPrivateToRoot(_ path: String) -> Bool {
        var cur = path
        while true {
            if let st = try? FileIO.stat(cur), st.st_uid == 0, st.st_mode & 0o077 == 0 { return true }
            if cur == "/" || cur.isEmpty { return false }
            if let slash = cur.lastIndex(of: "/") {
                cur = slash == cur.startIndex ? "/" : String(cur[..<slash])
            } else {
                return false
            }
        }
    }
}

public enum HostIdentity {
    /// Real root: euid 0 in the initial user namespace (crun's is_rootless() test).
    public static var isRealRoot: Bool {
        guard geteuid() == 0, let map = try? FileIO.read("/proc/self/uid_map") else { return false }
        let f = map.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return f.count == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
    }

    public static var hasTimeNamespaces: Bool { FileIO.exists("/proc/self/ns/time") }
}

public enum ContainerID {
    /// 12 random hex digits, as docker's short ids.
    public static func random() -> String {
        var bytes = [UInt8](repeating: 0, count: 6)
        _ = bytes.withUnsafeMutableBytes { silo_getrandom($0.baseAddress!, 6) }
        let hex = Array("0123456789abcdef")
        return String(bytes.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] })
    }
}

/// Holds one 65536-id slot of the host range for as long as the fd stays open: a flock on the
/// slot's file under /run/silo/idslots, released by the kernel when silo exits, however it
/// exits. Not an abstract unix socket: those belong to a network namespace, so that
/// `silo netns exec NAME silo run` beside a plain `silo run` took the same slot.
public enum IDRangeLock {
    public static let directory = "/run/silo/idslots"

    public static func hostRange() -> (uids: HostIDRange, gids: HostIDRange) {
        let u = (try? FileIO.read("/etc/subuid")).flatMap { HostIDRange.fromSubordinateFile($0) }
        let g = (try? FileIO.read("/etc/subgid")).flatMap { HostIDRange.fromSubordinateFile($0) }
        if let u, let g { return (u, g) }
        // Read only when root has no subordinate range of its own: 12 KB on every start.
        let defs = (try? FileIO.read("/etc/login.defs")) ?? ""
        return (u ?? HostIDRange.aboveLoginDefs(defs, key: "SUB_UID_MAX"),
                g ?? HostIDRange.aboveLoginDefs(defs, key: "SUB_GID_MAX"))
    }

    public static func acquire(directory: String = directory) throws(RuntimeError) -> (mapping: (uids: IDMapping, gids: IDMapping), fd: Int32) {
        let (u, g) = hostRange()
        let slots = min(u.slots, g.slots)
        let dir = try openDirectory(directory)
        defer { close(dir) }
        for slot in 0..<slots {
            if let fd = try FileLock.tryLock(slot: slot, in: dir, directory: directory) {
                return ((u.mapping(slot: slot), g.mapping(slot: slot)), fd)
            }
        }
        throw RuntimeError(.runtime, "id ranges: all \(slots) slots of \(u.start)+\(u.count) are in use")
    }

    /// The lock directory, made 0700 on first use; refused unless root owns it and no one
    /// else may write in it (another user's files there could hold slots or be links).
    static func openDirectory(_ path: String) throws(RuntimeError) -> Int32 {
        var fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 && errno == ENOENT {
            var prefix = ""
            for c in path.split(separator: "/") {
                prefix += "/" + c
                if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw RuntimeError(SyscallError.last("mkdir", "id slot lock \(prefix)")) }
            }
            fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        }
        if fd < 0 { throw RuntimeError(SyscallError.last("open", "id slot lock \(path)")) }
        var st = stat()
        if fstat(fd, &st) != 0 || st.st_uid != geteuid() || st.st_mode & 0o022 != 0 {
            close(fd)
            throw RuntimeError(.runtime, "id slot lock \(path): must be a directory owned by root that no one else can write")
        }
        return fd
    }
}

enum FileLock {
    /// An exclusive flock on the slot's file; nil when another process holds it. The lock
    /// belongs to the open file description, so a forked child's copy holds it too.
    static func tryLock(slot: Int, in dir: Int32, directory: String) throws(RuntimeError) -> Int32? {
        let fd = retryingEINTR { openat(dir, "\(slot)", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        if fd < 0 { throw RuntimeError(SyscallError.last("open", "id slot lock \(directory)/\(slot)")) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
        let e = SyscallError.last("flock", "id slot lock \(directory)/\(slot)")
        close(fd)
        if e.errno == EWOULDBLOCK { return nil }
        throw RuntimeError(e)
    }
}

public enum AbstractSocketLock {
    /// Binds an abstract unix socket named `name`; nil when another process holds it.
    public static func tryLock(_ name: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { return nil }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8.prefix(100))
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            p[0] = 0  // abstract namespace
            for (i, b) in bytes.enumerated() { p[i + 1] = b }
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        if r != 0 {
            close(fd)
            return nil
        }
        return fd
    }
}
