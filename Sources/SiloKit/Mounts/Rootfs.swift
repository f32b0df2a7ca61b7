#if canImport(Glibc)
import Glibc
#endif
import SiloSys

public enum Rootfs {
    /// The canonical path of a rootfs, checked to be a directory; with `--rootfs-rw`, also
    /// checked to be unreachable by other host users, since files container root writes
    /// through the idmapped mount land on disk as host root (a setuid-root binary there would
    /// be a way out for any local user).
    public static func resolve(_ path: String, readWrite: Bool) throws(RuntimeError) -> String {
        let real = try realpath(path, what: "rootfs")
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
        do { return try FileIO.realpath(path) } catch {
            throw RuntimeError(.runtime, "\(what) \(path): \(error.reason)", cause: error)
        }
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
