import Testing
@testable import SiloCLI
@testable import SiloKit
import SiloSys

@Suite struct RunOptionTests {
    @Test func parsesTheOptionsUsersKnow() throws {
        let c = try #require(try RunCommand.parse(["--rootfs", "/r", "--hostname=web", "-e", "FOO=bar", "-eX=1", "-w", "/srv",
                                                   "-v", "/data:/data:ro", "--read-only", "--tmpfs", "/tmp", "--init",
                                                   "--uid-map", "0:100000:1000", "--user", "1000:100", "--", "sh", "-c", "echo"]))
        #expect(c.rootfs == "/r" && c.hostname == "web" && c.env == ["FOO=bar", "X=1"] && c.workdir == "/srv")
        #expect(c.volumes == [.init(source: "/data", target: "/data", readOnly: true)])
        #expect(c.readOnly && c.useInit && c.tmpfs == ["/tmp"] && c.user == "1000:100")
        #expect(c.uidMaps == [IDMapping(container: 0, host: 100000, size: 1000)])
        #expect(c.argv == ["sh", "-c", "echo"])
    }

    @Test func theFirstPositionalStartsTheCommandAndItsOptionsAreItsOwn() throws {
        let c = try #require(try RunCommand.parse(["ls", "-la", "--rootfs", "x"]))
        #expect(c.argv == ["ls", "-la", "--rootfs", "x"] && c.rootfs == RunConfig.defaultRootfs)
        #expect(try RunCommand.parse(["--help"]) == nil)
    }

    @Test(arguments: [["--bogus", "sh"], ["--hostname"], [], ["-v", "/a", "sh"], ["-v", "/a:/b:rx", "sh"],
                      ["--read-only", "--rootfs-rw", "sh"], ["--network", "wifi", "sh"], ["--uid-map", "1:2", "sh"],
                      ["--init=maybe", "sh"], ["--time-offset", "soon", "sh"]])
    func badInputIsAUsageError(_ args: [String]) {
        #expect(throws: RuntimeError.self) { try RunCommand.parse(args) }
    }

    @Test func usersResolveAgainstTheRootfsFiles() throws {
        let passwd = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:u:/home/user:/bin/sh\n"
        let group = "root:x:0:\nusers:x:100:user\nuser:x:1000:\n"
        #expect(try UserSpec.resolve("user", passwd: passwd, group: group) == UserSpec(uid: 1000, gid: 1000, groups: [100], home: "/home/user"))
        #expect(try UserSpec.resolve("1000:users", passwd: passwd, group: group).gid == 100)
        #expect(try UserSpec.resolve("4242", passwd: passwd, group: group) == UserSpec(uid: 4242, gid: 0, groups: [], home: "/"))
        #expect(throws: RuntimeError.self) { try UserSpec.resolve("nobody", passwd: passwd, group: group) }
        #expect(throws: RuntimeError.self) { try UserSpec.resolve("user:wheel", passwd: passwd, group: group) }
    }

    @Test func errorRecordsSurviveTheTripAndMapToExitStatuses() {
        let r = ErrorRecord(stage: .exec, error: SyscallError("exec", errno: Errno.noSuchFile, object: "nosuch"))
        #expect(ErrorRecord.decode(r.encode()) == r)
        #expect(r.runtimeError.code == .notFound)
        #expect(ErrorRecord(stage: .exec, error: SyscallError("exec", errno: Errno.permissionDenied, object: "/etc/passwd")).runtimeError.code == .cannotExecute)
        let m = ErrorRecord(stage: .mountProc, error: SyscallError("mount", errno: Errno.notPermitted, object: "proc on /proc")).runtimeError
        #expect([.usage, .runtime].contains(m.code) && m.message.contains("proc on /proc: Operation not permitted"))
        #expect(ErrorRecord.decode([1, 2, 3]) == nil)
    }

    @Test func rootfsSizeIsParsedAndChecked() throws {
        #expect(try RunCommand.parse(["--rootfs-size", "512m", "sh"])?.rootfsSize == "512m")
        for bad in ["", "m", "12x", "-1g", "0", "1.5g"] {
            #expect(throws: RuntimeError.self) { try RunCommand.parse(["--rootfs-size", bad, "sh"]) }
        }
        #expect(throws: RuntimeError.self) { try RunCommand.parse(["--rootfs-size", "1g", "--read-only", "sh"]) }
    }

    @Test func theRootfsHintIsForAMissingDefaultRootfsOnly() throws {
        let c = RunConfig(argv: ["true"])
        let rootfs = RuntimeError(.runtime, "rootfs \(c.rootfs): No such file or directory",
                                  cause: SyscallError("realpath", errno: Errno.noSuchFile, object: c.rootfs))
        #expect(RunCommand.message(rootfs, c).hasSuffix(" (make it with rootfs-scripts/busybox.sh)"))
        let volume = RuntimeError(.runtime, "volume /nonexist: No such file or directory",
                                  cause: SyscallError("realpath", errno: Errno.noSuchFile, object: "/nonexist"))
        #expect(RunCommand.message(volume, c) == volume.message)
        var other = c
        other.rootfs = "/elsewhere"
        #expect(RunCommand.message(rootfs, other) == rootfs.message)
    }
}
