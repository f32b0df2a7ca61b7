#if canImport(Glibc)
import Glibc
#endif
import SiloSys

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
            let lock: Int32?
            do { lock = try FileLock.tryLock("\(slot)", in: dir, object: "id slot lock \(directory)/\(slot)") } catch { throw RuntimeError(error) }
            if let fd = lock {
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
