#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The monitor of a detached container: `silo run`'s parent, turned into a daemon. It starts the
/// container as `silo run` does, reports to the front, then sleeps in poll(2) on the output pipe
/// and the command's pidfd: no timer, no wake-up while the container is quiet. When the command
/// exits it drains the pipe, removes the cgroup (Launcher), records the status, and exits,
/// releasing the id slot and address locks with its fds.
enum DetachedMonitor {
    static func main(_ config: RunConfig, _ options: DetachOptions, record: ContainerRecord,
                     store: ContainerStateStore, report: Int32, mask: sigset_t) -> Never {
        // A session of its own, as conmon's: no controlling terminal, no process group a
        // terminal signals, so closing the caller's terminal or ssh session (SIGHUP), ^C or ^Z
        // there never reach the monitor. What the caller's group got before this is dropped.
        NewSession.begin(restoring: mask)
        signal(SIGPIPE, SIG_IGN)  // the front may be gone; its pipe must not kill the container
        // A daemon keeps none of its caller's files: an inherited pipe end would keep the
        // caller's reader waiting for an EOF as long as the container runs.
        for name in (try? FileIO.list("/proc/self/fd")) ?? [] {
            if let fd = Int32(name), fd > 2, fd != report { close(fd) }
        }
        var record = record
        record.monitorPid = getpid()
        record.monitorStartTime = (try? ProcStat.read(getpid()))?.startTime
        func fail(_ e: RuntimeError) -> Never {
            send("E \(e.code.raw) \(e.message)\n", to: report)
            try? store.remove(id: record.id)
            Exit.now(125)
        }
        var output: (read: Int32, write: Int32) = (-1, -1)
        var log: ContainerLog
        var attach: AttachServer?
        do throws(RuntimeError) {
            try store.save(record)
            log = try ContainerLog(directory: store.directory(of: record.id), limit: options.logLimit)
            if config.tty { attach = try AttachServer(directory: store.directory(of: record.id), interactive: config.interactive) }
            do { output = try PipePair.make("container output") } catch { throw RuntimeError(error) }
        } catch { fail(error) }
        // The container's stdio: no stdin, stdout and stderr into one pipe, so the log keeps
        // the order in which they were written.
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        dup2(null, 0)
        dup2(output.write, 1)
        dup2(output.write, 2)
        close(output.write)

        var launcher = Launcher(config, childMemory: .shared)
        var prepared: Preparation
        do { prepared = try launcher.prepare() } catch { fail(error) }
        do {
            record.seccomp = try store.saveSeccomp(prepared.plan.seccompFilter, builtIn: config.seccomp == .default, id: record.id)
            try store.saveProcess(of: prepared.plan, id: record.id)
        } catch {
            prepared.closeAll()
            fail(error)
        }
        _ = chdir("/")  // the front's directory may be unmounted while the container runs
        for w in prepared.warnings { send("W \(w.message)\n", to: report) }
        let facts = Facts(prepared)
        launcher.supervise = { pid, master in
            started(pid: pid, record: &record, facts: facts, store: store)
            send("OK\n", to: report)
            close(report)
            // From here only the container holds the pipe's write end: its EOF is their exit.
            dup2(null, 1)
            dup2(null, 2)
            guard let master, attach != nil else {
                attach?.abandon()
                return relay(pid: pid, output: output.read, log: &log)
            }
            close(output.read)  // with -t the container writes to its pty, not to the pipe
            return attach!.relay(pid: pid, master: master, log: &log)
        }
        var status: Int32
        do { status = try launcher.run(&prepared) } catch { fail(error) }
        if prepared.resources?.outOfMemory == true { status = 137 }
        log.closeFile()
        finished(id: record.id, status: status, store: store, remove: options.removeOnExit)
        attach?.sendExit(status)
        Exit.now(0)
    }

    /// What the record keeps of the preparation, for inspect, exec and rm.
    struct Facts {
        var cgroupPaths: [String: String] = [:]
        var network: [String: String] = [:]

        init(_ p: Preparation) {
            for place in p.cgroup.cgroup?.places ?? [] {
                cgroupPaths[place.hierarchy.version == 2 ? "" : place.hierarchy.controllers.joined(separator: ",")] = place.directory
            }
            if let a = p.network.address { network["address"] = "\(a)" }
            if !p.network.hostDevice.isEmpty { network["veth"] = p.network.hostDevice }
            if let b = p.network.bridge { network["bridge"] = b.name }
        }
    }

    /// The command runs: record its pid (with its start time), cgroup, network and namespaces.
    static func started(pid: pid_t, record: inout ContainerRecord, facts: Facts, store: ContainerStateStore) {
        record.pid = pid
        record.pidStartTime = (try? ProcStat.read(pid))?.startTime
        record.status = .running
        record.started = ContainerRecord.timestamp()
        record.cgroupPaths = facts.cgroupPaths
        record.network = facts.network
        // The kinds whose namespace differs from the monitor's are the container's own (exec joins them).
        record.namespaces = NamespaceKind.allCases.map(\.rawValue).filter { kind in
            let mine = ProcFS.namespace(kind), theirs = ProcFS.namespace(kind, of: "\(pid)")
            return theirs != nil && theirs != mine
        }
        _ = try? store.withLock(id: record.id) { () throws(RuntimeError) in try store.save(record) }
    }

    /// Copies the container's output into the log until the command exits, then drains what
    /// its last processes wrote (they die with the PID namespace's init) and reaps it.
    static func relay(pid: pid_t, output: Int32, log: inout ContainerLog) -> Int32 {
        let command = try? Pidfd.open(pid)
        var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: command?.fd ?? -1, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        func pump() -> Bool {
            let n = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n > 0 { buffer.withUnsafeBytes { log.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
            return n > 0 || (n < 0 && errno == EINTR)
        }
        // Last before the idle loop, so that little code runs (and maps back pages) after it.
        ProcessMappings.dropCleanFilePages()
        while command != nil {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; break }
            if fds[0].revents != 0 && !pump() { fds[0].fd = -1 }
            if fds[1].revents != 0 { break }
        }
        let status = ProcessWait.status(of: pid)
        var last = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        while poll(&last, 1, 2000) > 0 && pump() {}
        close(output)
        return status
    }

    /// Records the exit (status "stopped", its code and time), or removes the state for --rm.
    /// A container `rm -f` removed meanwhile has nothing left to record.
    static func finished(id: String, status: Int32, store: ContainerStateStore, remove: Bool) {
        _ = try? store.withLock(id: id) { () throws(RuntimeError) in
            if remove { try store.remove(id: id); return }
            guard var r = try store.load(id: id) else { return }
            r.status = .stopped
            r.exitStatus = status
            r.finished = ContainerRecord.timestamp()
            try store.save(r)
        }
    }

    static func send(_ text: String, to fd: Int32) {
        _ = try? FileIO.writeAll(fd: fd, Array(text.utf8))
    }
}
