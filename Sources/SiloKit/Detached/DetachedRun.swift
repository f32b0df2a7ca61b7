#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `silo run -d`: the container runs under a monitor, a process of its own that outlives the
/// `silo` that started it (docs/containers.md, docs/architecture.md "Detached containers").
///
/// The front (`silo run -d`) claims the id and the name, forks the monitor and waits on a pipe
/// until the monitor says the command has started (or why it did not); then it prints the id
/// and exits. The monitor is `silo run` as ever, the container's parent: it holds the id slot,
/// cgroup and address locks, the container dies with it (PR_SET_PDEATHSIG), and it relays the
/// container's output into the capped log and records the exit status.
public enum DetachedRun {
    /// What the front tells the user: the id once the command runs, and the warnings.
    public struct Started: Sendable {
        public var id: String
        public var warnings: [String]
    }

    /// Starts the container and returns once its command has started (its execve succeeded).
    /// Must be called from a single-threaded process: the monitor is a fork of it.
    public static func start(_ config: RunConfig, _ options: DetachOptions,
                             store: ContainerStateStore) throws(RuntimeError) -> Started {
        if let name = options.name { try ContainerLookup.validate(name: name) }
        guard ProcessStatus.current().threads == 1 else {
            throw RuntimeError(.runtime, "run -d: silo must be single-threaded to fork the monitor (docs/architecture.md, \"The thread rule\")")
        }
        // The monitor's stdio is /dev/null: a pty made there would start at 0x0 until the
        // first attach. The caller's window, as docker's -dt gives the container.
        var config = config
        if config.tty && config.consoleSize == nil { config.consoleSize = TerminalMode.windowSize() }
        var record = ContainerRecord(id: ContainerLookup.newID(), status: .creating, bundle: "", rootfs: config.rootfs)
        record.kind = "run"
        record.name = options.name
        record.command = config.argv
        record.monitorPid = getpid()
        record.monitorStartTime = (try? ProcStat.read(getpid()))?.startTime
        try ContainerLookup.claim(record, in: store)

        let report: (read: Int32, write: Int32)
        do { report = try PipePair.make("monitor report") } catch {
            try? store.remove(id: record.id)
            throw RuntimeError(error)
        }
        // Until the monitor has its own session, a ^C, ^Z or hangup of the caller's terminal
        // is sent to its process group, the monitor's too: held back here, dropped there.
        let previous = NewSession.blockTerminalSignals()
        let pid = fork()
        let forkError = SyscallError.last("fork", "monitor")  // read before anything else can set errno
        if pid == 0 {
            close(report.read)
            DetachedMonitor.main(config, options, record: record, store: store, report: report.write, mask: previous)
        }
        NewSession.restore(previous)
        if pid < 0 {
            let e = forkError
            try? store.remove(id: record.id)
            throw RuntimeError(e)
        }
        close(report.write)
        let answer = readReport(report.read)
        close(report.read)
        return try outcome(of: answer, id: record.id, store: store)
    }

    /// Reads up to the report's last line, not to EOF: with --init the container's PID 1 is a
    /// copy of the monitor that keeps the pipe's end open for as long as it runs.
    static func readReport(_ fd: Int32) -> [UInt8] {
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return answer }
            answer += chunk[0..<n]
            guard answer.last == 0x0A else { continue }
            let lines = answer.split(separator: 0x0A)
            if let last = lines.last, last.elementsEqual("OK".utf8) || last.starts(with: "E ".utf8) { return answer }
        }
    }

    /// The monitor's report: lines "W text" (warnings), then "OK" or "E code text".
    static func outcome(of answer: [UInt8], id: String, store: ContainerStateStore) throws(RuntimeError) -> Started {
        var warnings: [String] = []
        for line in String(decoding: answer, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("W ") { warnings.append(String(line.dropFirst(2))) }
            if line == "OK" { return Started(id: id, warnings: warnings) }
            if line.hasPrefix("E ") {
                let rest = line.dropFirst(2)
                let code = rest.prefix { $0 != " " }
                let message = String(rest.dropFirst(code.count + 1))
                throw RuntimeError(RuntimeError.Code(raw: Int(code) ?? 2), message)
            }
        }
        // The monitor died before its report (killed, or out of memory): nothing runs.
        try? store.remove(id: id)
        throw RuntimeError(.runtime, "run -d: the monitor exited before the container started")
    }
}
