import Foundation
import Testing

/// Runs the built `silo` (SILO_BIN, else .build/debug/silo or .build/release/silo next to this
/// package) and collects its output. Integration tests need real root: they create namespaces,
/// mounts and network devices, and check from inside the container what the kernel did.
enum Silo {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["SILO_BIN"], !b.isEmpty { return b }
        for config in ["debug", "release"] {
            let p = packageRoot.appendingPathComponent(".build/\(config)/silo").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return "silo"
    }

    static var rootfs: String {
        ProcessInfo.processInfo.environment["SILO_TEST_ROOTFS"] ?? "/var/lib/silo/rootfs/busybox"
    }

    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "status \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// `silo ARGS...`, waiting at most `timeout` seconds (then SIGKILL and status -1).
    @discardableResult
    static func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:], timeout: Double = 60) throws -> Result {
        try exec(binary, args, stdin: stdin, env: env, timeout: timeout)
    }

    /// `silo run --rootfs TESTROOTFS ARGS...`
    @discardableResult
    static func container(_ args: [String], stdin: String? = nil, timeout: Double = 60) throws -> Result {
        try run(["run", "--rootfs", rootfs] + args, stdin: stdin, timeout: timeout)
    }

    static func exec(_ path: String, _ args: [String], stdin: String? = nil, env: [String: String] = [:], timeout: Double = 60) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inp
        try p.run()
        // Read both pipes to the end on their own threads so a chatty child cannot block, and
        // before stdin is written: a child may write more than a pipe holds before it reads.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let stdin {
            writeIgnoringEPIPE(inp.fileHandleForWriting.fileDescriptor, Array(stdin.utf8))
            try? inp.fileHandleForWriting.close()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(2000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            _ = group.wait(timeout: .now() + 5)
            return Result(status: -1, stdout: String(decoding: outData, as: UTF8.self), stderr: "timed out")
        }
        p.waitUntilExit()
        group.wait()
        // Closed here rather than whenever Dispatch releases the reading blocks, so a run leaves
        // this process with the descriptors it had before.
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
        return Result(status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Writes all of `bytes` unless the reader has gone: a command that exits without reading
    /// its stdin is not the test's failure. FileHandle.write traps on EPIPE, and the SIGPIPE
    /// would end the whole test process; so write(2) with SIGPIPE blocked in this thread, and a
    /// SIGPIPE the write raised taken off the thread's pending set before the mask is restored
    /// (the process's disposition stays as it was: RunTests checks it).
    static func writeIgnoringEPIPE(_ fd: Int32, _ bytes: [UInt8]) {
        var pipeSignal = sigset_t(), old = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EPIPE {
                var none = timespec()
                _ = sigtimedwait(&pipeSignal, nil, &none)
            }
            return
        }
    }

    /// Starts silo with `args` (output discarded), kills it with SIGKILL after `delay` µs and
    /// reaps it: what a crash at that point of its work leaves is the test's to look at.
    static func killAfter(_ args: [String], delay: UInt32) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        usleep(delay)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// A host command (sh -c), for setting up and inspecting host state.
    @discardableResult
    static func host(_ script: String, timeout: Double = 60) throws -> Result {
        try exec("/bin/sh", ["-c", script], timeout: timeout)
    }
}

enum Host {
    static let hasTimeNamespaces = FileManager.default.fileExists(atPath: "/proc/self/ns/time")

    /// Real root in the initial user namespace, with the test rootfs present.
    static let canRunContainers: Bool = {
        guard geteuid() == 0, let map = try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8) else { return false }
        let f = map.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return f == ["0", "0", "4294967295"] && FileManager.default.fileExists(atPath: Silo.rootfs + "/bin/busybox")
    }()

    static func nsInode(_ kind: String, pid: String = "self") -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")) ?? ""
    }

    /// Host-wide state that a container must not leave behind.
    struct Snapshot: Equatable {
        var mounts: [String]
        var netns: [String]
        var veths: [String]
        var children: [String]

        static func take() -> Snapshot {
            let mi = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
            let mounts = mi.split(separator: "\n").map { l -> String in
                let f = l.split(separator: " ")
                return f.count > 4 ? String(f[4]) : String(l)
            }.sorted()
            let netns = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).sorted()
            let veths = (try? Silo.host("ip -o link show type veth | cut -d: -f2"))?.stdout
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.sorted() ?? []
            let me = getpid()
            let kids = (try? Silo.host("ps -o pid=,comm= --ppid \(me)"))?.stdout.split(separator: "\n")
                .map { String($0) }.filter { !$0.contains(" ps") && !$0.contains(" sh") } ?? []
            return Snapshot(mounts: mounts, netns: netns, veths: veths, children: kids)
        }
    }
}

/// Serializes tests that look at or change host-wide state.
actor HostLock {
    static let shared = HostLock()
}
