#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// IPC: a System V shared-memory segment and a POSIX message queue made on the host, looked for
/// inside; a message queue made inside, looked for on the host.
enum DemoIPC {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .ipc, title: l.t("IPC namespace: shared memory and message queues", "IPC 命名空间：共享内存和消息队列"), cloneFlag: "CLONE_NEWIPC",
            since: l.t("2.6.19 (2006); POSIX message queues since 2.6.30", "2.6.19 (2006)；POSIX 消息队列自 2.6.30 起"),
            text: l.t("The IPC namespace isolates System V IPC objects (shared memory segments, semaphore sets and message queues, found by numeric key) and POSIX message queues (found by name). Two processes can share memory this way only when they are in the same IPC namespace.",
                      "IPC 命名空间隔离 System V IPC 对象（共享内存段、信号量集、消息队列，按数字键查找）和 POSIX 消息队列（按名字查找）。两个进程只有在同一个 IPC 命名空间里，才能用这些办法共享内存。"))
    }

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
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.ipc), lang: l)
        let hostQueue = ctx.tag + "-host"
        let insideQueue = ctx.tag + "-inside"
        let queues: HostQueues
        do { queues = try HostQueues() } catch {
            s.fail(l.t("cannot open the host's message queues: ", "打不开主机的消息队列：") + "\(error)")
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
            s.fail(l.t("cannot make a shared memory segment on the host: ", "没法在主机上建共享内存段：") + "\(error)")
            return s
        }
        defer { SysVSharedMemory.remove(id: shm.id) }
        do { try queues.create(hostQueue) } catch {
            s.fail(l.t("cannot make a message queue on the host: ", "没法在主机上建消息队列：") + "\(error)")
            return s
        }

        let script = self.script(insideQueue: insideQueue)

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

        let present = l.t("present", "有"), absent = l.t("absent", "没有"), none = l.t("(none)", "（无）")
        let refusal = (b["mkqueue"] ?? []).joined(separator: " ")
        s.identityRows(r)
        s.row("shm_keys", l.t("SysV shm keys", "SysV 共享内存键"),
              host: DemoValue.numbers(hostKeys, shown: hostKeys.isEmpty ? [none] : hostKeys.map(hex)),
              container: DemoValue.numbers(keysInside, shown: keysInside.isEmpty ? [none] : keysInside.map(hex)))
        s.row("host_shm", l.t("shm \(hex(key)) made on host", "主机上建的共享内存 \(hex(key))"), host: l.t("present (shmid \(shm.id))", "有（shmid \(shm.id)）"), container: keysInside.contains(key) ? present : absent)
        s.row("mqueues", l.t("POSIX message queues", "POSIX 消息队列"),
              host: DemoValue(lines: hostQueues.isEmpty ? [none] : hostQueues.map { "/" + $0 }, json: .strings(hostQueues.map { "/" + $0 })),
              container: DemoValue(lines: queuesInside.isEmpty ? [none] : queuesInside.map { "/" + $0 }, json: .strings(queuesInside.map { "/" + $0 })))
        s.row("host_mqueue", l.t("mqueue made on host", "主机上建的消息队列"), host: "/\(hostQueue): " + present, container: queuesInside.contains(hostQueue) ? present : absent)
        s.row("inside_mqueue", l.t("mqueue made inside", "里面建的消息队列"), host: "/\(insideQueue): " + (insideOnHost ? present : absent),
              container: made ? l.t("present (made with touch)", "有（用 touch 建的）") : l.t("not made: ", "没建成：") + refusal)

        let evidence: DemoSection.Evidence
        var what: [String] = []
        if keysInside.contains(key) { what.append(l.t("the host's segment \(hex(key))", "主机的共享内存段 \(hex(key))")) }
        if queuesInside.contains(hostQueue) { what.append(l.t("the host's queue /\(hostQueue)", "主机的队列 /\(hostQueue)")) }
        if insideOnHost { what.append(l.t("the container's queue reached the host", "容器建的队列出现在主机上")) }
        if !what.isEmpty {
            evidence = .shared(l.t("the container sees ", "容器看得到") + what.joined(separator: l.t(" and ", "，以及")))
            s.why = l.t("In one IPC namespace a System V key or a queue name finds the same object for every process.",
                        "在同一个 IPC 命名空间里，同一个 System V 键、同一个队列名，对所有进程指向同一个对象。")
        } else if made {
            evidence = .isolated(l.t("neither the host's segment \(hex(key)) nor its queue is visible inside, and the queue made inside is absent on the host",
                                     "里面既看不到主机的共享内存段 \(hex(key))，也看不到它的队列；里面建的队列在主机上也没有"))
            s.why = l.t("System V keys and POSIX queue names are looked up in the caller's IPC namespace only; the container's mqueue file system is an instance of its own namespace.",
                        "System V 键和 POSIX 队列名只在调用者所在的 IPC 命名空间里查找；容器里的 mqueue 文件系统是它自己命名空间的实例。")
        } else {
            evidence = .failed(l.t("the container could not make a message queue: ", "容器建不了消息队列：") + refusal)
        }
        s.decide(hostNamespace: ProcFS.namespace("ipc"), containerNamespace: b.first("ns"), evidence)
        return s
    }

    static func script(insideQueue: String) -> DemoScript {
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/ipc")
        script.block("shm", "cat /proc/sysvipc/shm")
        script.block("mqueue", "ls /dev/mqueue")
        script.block("mkqueue", "touch /dev/mqueue/\(insideQueue) && echo ok")
        script.waitForHost()
        return script
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
