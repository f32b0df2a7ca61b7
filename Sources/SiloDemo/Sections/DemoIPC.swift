#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// IPC: a System V shared-memory segment and a POSIX message queue made on the host, looked for
/// inside; a message queue made inside, looked for on the host.
enum DemoIPC {
    static let about = DemoSection.About(
        kind: .ipc, title: "IPC namespace: shared memory and message queues", cloneFlag: "CLONE_NEWIPC", since: "2.6.19 (2006); POSIX message queues since 2.6.30",
        text: "The IPC namespace isolates System V IPC objects (shared memory segments, semaphore sets and message queues, found by numeric key) and POSIX message queues (found by name). Two processes can share memory this way only when they are in the same IPC namespace.")

    /// The host's message queues through an mqueue instance of the demo's own IPC namespace,
    /// mounted nowhere (the host need not have /dev/mqueue): create, look and unlink by name.
    struct HostQueues {
        let fd: Int32

        init() throws(SyscallError) { fd = try DetachedTree.fresh("mqueue", attributes: [.nosuid, .nodev, .noexec]) }

        func create(_ name: String) throws(SyscallError) {
            let q = openat(fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if q < 0 { throw SyscallError.last("mq_open", "/" + name) }
            Glibc.close(q)
        }

        func exists(_ name: String) -> Bool {
            var st = stat()
            return fstatat(fd, name, &st, 0) == 0
        }

        func names() -> [String] { ((try? FileIO.list("/proc/self/fd/\(fd)")) ?? []).sorted() }

        func remove(_ name: String) { _ = unlinkat(fd, name, 0) }

        func close() { Glibc.close(fd) }
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        var s = DemoSection(about, shared: ctx.shared.contains(.ipc))
        let hostQueue = ctx.tag + "-host"
        let insideQueue = ctx.tag + "-inside"
        let queues: HostQueues
        do { queues = try HostQueues() } catch {
            s.fail("cannot open the host's message queues: \(error)")
            return s
        }
        defer {
            queues.remove(hostQueue)
            queues.remove(insideQueue)
            queues.close()
        }
        let shm: (key: Int32, id: Int32)
        switch hostSegment() {
        case .success(let made): shm = made
        case .failure(let error):
            s.fail("cannot make a shared memory segment on the host: \(error)")
            return s
        }
        defer { SysVSharedMemory.remove(id: shm.id) }
        do { try queues.create(hostQueue) } catch {
            s.fail("cannot make a message queue on the host: \(error)")
            return s
        }

        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/ipc")
        script.block("shm", "cat /proc/sysvipc/shm")
        script.block("mqueue", "ls /dev/mqueue")
        script.block("mkqueue", "touch /dev/mqueue/\(insideQueue) && echo ok")
        script.waitForHost()

        var insideOnHost = false
        var hostKeys: [Int64] = []
        var hostQueues: [String] = []
        guard let r = ctx.run(&s, script, whileRunning: { _, _ in
            insideOnHost = queues.exists(insideQueue)
            hostKeys = SysVSharedMemory.keys()
            hostQueues = queues.names()
        }) else { return s }
        let b = r.blocks
        let keysInside = (b["shm"] ?? []).dropFirst().compactMap { $0.split(separator: " ").first.flatMap { Int64($0) } }
        let queuesInside = (b["mqueue"] ?? []).map { $0.strippingBlanks() }.filter { !$0.isEmpty }
        let made = b.first("mkqueue") == "ok"
        let key = Int64(shm.key)
        func hex(_ k: Int64) -> String { "0x" + String(UInt32(truncatingIfNeeded: k), radix: 16) }

        s.identityRows(r)
        s.row("shm_keys", "SysV shm keys", host: hostKeys.isEmpty ? ["(none)"] : hostKeys.map(hex), container: keysInside.isEmpty ? ["(none)"] : keysInside.map(hex))
        s.row("host_shm", "shm \(hex(key)) made on host", host: "present (shmid \(shm.id))", container: keysInside.contains(key) ? "present" : "absent")
        s.row("mqueues", "POSIX message queues", host: hostQueues.isEmpty ? ["(none)"] : hostQueues.map { "/" + $0 }, container: queuesInside.isEmpty ? ["(none)"] : queuesInside.map { "/" + $0 })
        s.row("host_mqueue", "mqueue made on host", host: "/\(hostQueue): present", container: queuesInside.contains(hostQueue) ? "present" : "absent")
        s.row("inside_mqueue", "mqueue made inside", host: "/\(insideQueue): " + (insideOnHost ? "present" : "absent"),
              container: made ? "present (made with touch)" : "not made: " + (b["mkqueue"] ?? []).joined(separator: " "))

        let evidence: DemoSection.Evidence
        var what: [String] = []
        if keysInside.contains(key) { what.append("the host's segment \(hex(key))") }
        if queuesInside.contains(hostQueue) { what.append("the host's queue /\(hostQueue)") }
        if insideOnHost { what.append("the container's queue reached the host") }
        if !what.isEmpty {
            evidence = .shared("the container sees " + what.joined(separator: " and "))
        } else if made {
            evidence = .isolated("neither the host's segment \(hex(key)) nor its queue is visible inside, and the queue made inside is absent on the host")
        } else {
            evidence = .failed("the container could not make a message queue: \((b["mkqueue"] ?? []).joined(separator: " "))")
        }
        s.decide(hostNamespace: ProcFS.namespace("ipc"), containerNamespace: b.first("ns"), evidence)
        return s
    }

    /// A shared memory segment under a key of our own: 0x5110 then the low bits of the PID,
    /// the next free one if taken.
    static func hostSegment() -> Result<(key: Int32, id: Int32), SyscallError> {
        var lastError = SyscallError("shmget", errno: Errno.fileExists)
        for i in 0..<64 {
            let key = Int32(bitPattern: 0x5110_0000 | UInt32((Int(getpid()) + i) & 0xFFFF))
            do { return .success((key, try SysVSharedMemory.create(key: key))) } catch { lastError = error }
        }
        return .failure(lastError)
    }
}
