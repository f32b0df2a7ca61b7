import Foundation
import Testing

/// Files given to options that read them (`--env-file`, `--seccomp`): read whole or refused with
/// a message naming the option, the file and the cause; never cut, never a hang.
@Suite(.serialized) final class AdversarialInputTests {
    static let dir = "/tmp/sec-inputs-adv-\(getpid())"

    init() throws {
        try FileManager.default.createDirectory(atPath: Self.dir, withIntermediateDirectories: true)
    }

    deinit { rmdir(Self.dir) }

    /// silo with a short timeout: a hang shows up as status -1.
    func silo(_ args: [String]) throws -> Silo.Result {
        try Silo.container(args, timeout: 10)
    }

    @Test(.enabled(if: Host.canRunContainers), arguments: ["--env-file", "--seccomp"])
    func nonRegularFilesAreRefused(_ option: String) throws {
        let fifo = Self.dir + "/fifo-\(option.dropFirst(2))"
        unlink(fifo)
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        for (path, kind) in [(fifo, "a FIFO"), (Self.dir, "a directory"), ("/dev/zero", "a character device")] {
            let r = try silo([option, path, "--", "true"])
            #expect(r.status == 125, "\(option) \(path): \(r)")
            #expect(r.stderr == "silo: \(option) \(path): \(kind), not a regular file\n", "\(r)")
        }
        #expect(Host.Snapshot.take().children.isEmpty)
    }

    /// Sixteen variables of 64 KiB (one may be at most 128 KiB for execve), the last one
    /// ending `extra` bytes past 1 MiB.
    func envFile(extra: Int) -> (text: String, last: Int) {
        let limit = 1 << 20
        var text = ""
        for i in 0..<15 { text += "V\(i)=" + String(repeating: "x", count: 65536 - 5 - "\(i)".utf8.count) + "\n" }
        let last = limit + extra - text.utf8.count - "V15=\n".utf8.count
        text += "V15=" + String(repeating: "y", count: last) + "\n"
        return (text, last)
    }

    @Test(.enabled(if: Host.canRunContainers))
    func envFileAtTheLimitIsReadWhole() throws {
        let (body, last) = envFile(extra: 0)
        #expect(body.utf8.count == 1 << 20)
        let path = Self.dir + "/env-limit"
        try body.write(toFile: path, atomically: false, encoding: .utf8)
        defer { unlink(path) }
        let r = try silo(["--env-file", path, "--", "sh", "-c", "echo ${#V0} ${#V15}"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "\(65536 - 6) \(last)\n")
    }

    @Test(.enabled(if: Host.canRunContainers))
    func envFileOverTheLimitIsRefused() throws {
        // The last variable crosses the limit: silo used to cut it there and exit 0.
        let (body, _) = envFile(extra: 100)
        let path = Self.dir + "/env-big"
        try body.write(toFile: path, atomically: false, encoding: .utf8)
        defer { unlink(path) }
        let r = try silo(["--env-file", path, "--", "sh", "-c", "echo ${#V15}"])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr == "silo: --env-file \(path): larger than 1 MiB, the limit\n")
        #expect(r.stdout.isEmpty)
    }

    /// A valid profile padded with spaces to `size` bytes.
    func profile(size: Int) -> String {
        let json = #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chroot"],"action":"SCMP_ACT_ERRNO"}]}"#
        return json + String(repeating: " ", count: size - json.utf8.count)
    }

    @Test(.enabled(if: Host.canRunContainers))
    func seccompProfileAtTheLimitLoadsAndOverItIsRefused() throws {
        let limit = 4 << 20
        let path = Self.dir + "/profile.json"
        defer { unlink(path) }
        try profile(size: limit).write(toFile: path, atomically: false, encoding: .utf8)
        let ok = try silo(["--seccomp", path, "--", "true"])
        #expect(ok.status == 0, "\(ok)")
        try profile(size: limit + 1).write(toFile: path, atomically: false, encoding: .utf8)
        let big = try silo(["--seccomp", path, "--", "true"])
        #expect(big.status == 125, "\(big)")
        #expect(big.stderr == "silo: --seccomp \(path): larger than 4 MiB, the limit\n", "\(big)")
        // The JSON text that used to be cut mid-string, now refused for its size, not its syntax.
        let string = #"{"defaultAction":"SCMP_ACT_ALLOW","x":""# + String(repeating: "z", count: limit) + #""}"#
        try string.write(toFile: path, atomically: false, encoding: .utf8)
        let cut = try silo(["--seccomp", path, "--", "true"])
        #expect(cut.stderr == "silo: --seccomp \(path): larger than 4 MiB, the limit\n", "\(cut)")
    }

    @Test(.enabled(if: Host.canRunContainers))
    func seccompProfileWithARepeatedKeyIsRefused() throws {
        let path = Self.dir + "/dup.json"
        defer { unlink(path) }
        try #"{"defaultAction":"SCMP_ACT_KILL","defaultAction":"SCMP_ACT_ALLOW"}"#.write(toFile: path, atomically: false, encoding: .utf8)
        let r = try silo(["--seccomp", path, "--", "true"])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.contains("duplicate key \"defaultAction\""), "\(r)")
        #expect(r.stderr.hasPrefix("silo: seccomp profile \(path): "), "\(r)")
    }
}
