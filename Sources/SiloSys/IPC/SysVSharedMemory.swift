#if canImport(Glibc)
import Glibc
#endif

/// System V shared memory segments of the caller's IPC namespace.
public enum SysVSharedMemory {
    /// A new segment for `key` (IPC_CREAT|IPC_EXCL, mode 0600); its id.
    public static func create(key: Int32, size: Int = 4096) throws(SyscallError) -> Int32 {
        let id = shmget(key_t(key), size, IPC_CREAT | IPC_EXCL | 0o600)
        if id < 0 { throw SyscallError.last("shmget", "key \(key)") }
        return id
    }

    public static func remove(id: Int32) {
        _ = shmctl(id, IPC_RMID, nil)
    }

    /// The keys /proc/sysvipc/shm lists: those of the reader's IPC namespace.
    public static func keys(procRoot: String = "/proc") -> [Int64] {
        guard let text = try? FileIO.read(procRoot + "/sysvipc/shm") else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: " ").first.flatMap { Int64($0) }
        }
    }
}
