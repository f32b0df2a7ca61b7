#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// A detached container's output (stdout and stderr, one stream in the order written, as a
/// terminal would have shown it): ROOT/ID/container.log, written only by the container's
/// monitor. When a write would take it past `limit`, it is renamed to container.log.1 (the
/// previous .1 goes) and a new one started, so the two never hold more than twice the limit.
/// Beside each file, container.log.times says when each chunk arrived (ContainerLogTimes, for
/// `logs -t`); the log itself stays the bytes as written, and a log without times still reads.
public struct ContainerLog {
    /// 1 MiB a file, as conmon's --log-size-max is often set; `silo run -d --log-max SIZE`.
    public static let defaultLimit = 1 << 20
    public static let fileName = "container.log"

    public let path: String
    public let limit: Int
    private var fd: Int32
    private var size: Int
    private var times: Int32
    private var timesSize: Int
    /// The time of the last entry written: a chunk within 1 ms of it shares it (below).
    private var stamped: Int64 = 0

    public static func path(in directory: String) -> String { directory + "/" + fileName }

    /// Opens (creates, 0600) the log of the container whose state directory is `directory`.
    public init(directory: String, limit: Int = ContainerLog.defaultLimit) throws(RuntimeError) {
        let path = Self.path(in: directory)
        self.path = path
        self.limit = max(limit, 4096)
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        if fd < 0 { throw RuntimeError(SyscallError.last("open", path)) }
        self.fd = fd
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        times = retryingEINTR { open(ContainerLogTimes.path(of: path), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        timesSize = times >= 0 && fstat(times, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Appends, rotating first when the bytes would not fit, so a file holds whole writes. A
    /// chunk larger than the cap (a pipe read is up to 64 KiB) is cut into pieces of the cap.
    /// A write error (the disk is full, the directory was removed by `rm -f`) drops the bytes:
    /// the container must never block on its log.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var start = 0
        let now = ContainerLogTimes.now()
        while start < bytes.count {
            let piece = min(bytes.count - start, limit)
            var entry = ContainerLogTimes.entry(offset: size, nanos: now)
            // The times count against the cap too: a container writing a byte at a time
            // would otherwise grow them past it.
            if (size > 0 && size + piece > limit) || timesSize + entry.count > limit {
                rotate()
                entry = ContainerLogTimes.entry(offset: 0, nanos: now)
            }
            // Before the bytes, so that a reader never sees bytes without their time. A chunk
            // within a millisecond of the last stamped one keeps that time: a chatty container
            // (a chunk per line) then adds at most 1000 entries a second, not one per line.
            if times >= 0 && (timesSize == 0 || now - stamped >= 1_000_000),
               retryingEINTR({ write(times, entry, entry.count) }) == entry.count {
                timesSize += entry.count
                stamped = now
            }
            var off = 0
            while off < piece {
                let n = retryingEINTR { write(fd, base + start + off, piece - off) }
                if n <= 0 { return }
                off += n
                size += n
            }
            start += piece
        }
    }

    private mutating func rotate() {
        let fresh = retryingEINTR { open(path + ".new", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fresh >= 0 else { return }
        rename(path, path + ".1")
        rename(path + ".new", path)
        Glibc.close(fd)
        fd = fresh
        size = 0
        let timesPath = ContainerLogTimes.path(of: path)
        rename(timesPath, ContainerLogTimes.path(of: path + ".1"))
        if times >= 0 { Glibc.close(times) }
        times = retryingEINTR { open(timesPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        timesSize = 0
    }

    public func closeFile() {
        _ = Glibc.close(fd)
        if times >= 0 { _ = Glibc.close(times) }
    }

    /// What `silo logs` prints: the rotated file then the current one; with `tail`, only the last
    /// `tail` lines (a last line without its newline counts as one); with `timestamps`, each
    /// line after the time its first byte arrived (ContainerLogTimes).
    public static func read(directory: String, tail: Int? = nil, timestamps: Bool = false) -> [UInt8] {
        let base = path(in: directory)
        let rotated = (try? RegularFile.read(base + ".1", limit: 64 << 20)) ?? []
        let current = (try? RegularFile.read(base, limit: 64 << 20)) ?? []
        let bytes = rotated + current
        var i = 0
        if let tail {
            if tail <= 0 { return [] }
            var newlines = 0
            i = bytes.count
            if bytes.last == 0x0A { i -= 1 }
            while i > 0 {
                if bytes[i - 1] == 0x0A {
                    newlines += 1
                    if newlines == tail { break }
                }
                i -= 1
            }
        }
        guard timestamps else { return Array(bytes[i...]) }
        var out: [UInt8] = []
        if i < rotated.count {
            var stamper = ContainerLogTimes.Stamper(times: ContainerLogTimes.load(base + ".1"))
            out += stamper.stamp(rotated[i...], at: i)
        }
        var stamper = ContainerLogTimes.Stamper(times: ContainerLogTimes.load(base))
        let from = max(0, i - rotated.count)
        out += stamper.stamp(current[from...], at: from)
        return out
    }

    /// `logs -f`: after `read`, the bytes appended since, as they come, until `stillRunning`
    /// says the writer is gone and nothing is left to read. Follows a rotation: a new file at
    /// the path is read from its start.
    /// With `timestamps`, each line as `read` stamps it (the times reloaded with each new chunk:
    /// the monitor writes a chunk's time before its bytes).
    public static func follow(directory: String, from offset: Int, output: Int32, timestamps: Bool = false,
                              stillRunning: () -> Bool) {
        let base = path(in: directory)
        var fd: Int32 = -1
        var inode: ino_t = 0
        var position = offset
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var stamper = ContainerLogTimes.Stamper(times: [])
        defer { if fd >= 0 { Glibc.close(fd) } }
        func copy(_ n: Int) -> Bool {
            var chunk = Array(buffer[0..<n])
            if timestamps {
                stamper.times = ContainerLogTimes.load(base)
                chunk = stamper.stamp(chunk[...], at: position)
            }
            position += n
            return (try? FileIO.writeAll(fd: output, chunk)) != nil
        }
        while true {
            var st = stat()
            if stat(base, &st) == 0, st.st_ino != inode {
                // First open, or a rotation: the old file's tail was read to its end below.
                if fd >= 0 { Glibc.close(fd); position = 0 }
                fd = open(base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                inode = st.st_ino
                if fd >= 0 { lseek(fd, off_t(position), SEEK_SET) }
            }
            var got = 0
            if fd >= 0 {
                while true {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    got += n
                    if !copy(n) { return }  // the reader went away (a closed pipe)
                }
            }
            if got == 0 {
                if !stillRunning() && fd >= 0 {
                    // One last read: what the monitor wrote between our read and its exit.
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if n > 0 { _ = copy(n); continue }
                    return
                }
                if !stillRunning() { return }
                usleep(100_000)
            }
        }
    }

    /// The bytes of the log `read` sees, for `follow`'s starting point.
    public static func currentSize(directory: String) -> Int {
        var st = stat()
        return stat(path(in: directory), &st) == 0 ? Int(st.st_size) : 0
    }
}
