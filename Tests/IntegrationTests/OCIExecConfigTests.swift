import Foundation
import Testing
import SiloKit
import SiloSpec

/// What an exec'd process takes from its container (docs/oci.md, "exec"): the container's own
/// seccomp filter, whether the command line gives a process.json or not (it has no seccomp
/// member), and without one the config's process (cwd, env, user, capabilities), as runc's exec.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct OCIExecConfigTests {
    typealias Bundle = OCILifecycleTests.Bundle
    static let ready = "echo END >/out/result; exec sleep 1000"
    static let probe = "pwd; echo ${FOO:-unset}; mkdir /tmp/x$$ 2>/dev/null; echo mkdir=$?; grep -E \"^(Seccomp|CapEff):\" /proc/self/status"

    /// The bundle's config written, the container created and started, its process ready.
    static func run(_ b: Bundle, _ id: String) throws {
        try b.write()
        #expect(try b.silo(["create", id]).status == 0)
        #expect(try b.silo(["start", id]).status == 0)
        #expect(b.result() != nil)
    }

    @Test func execGetsTheConfigsFilterAndProcess() throws {
        let b = try Bundle(script: Self.ready)
        defer { try? b.destroy(["e1"]) }
        b.spec.process!.cwd = "/tmp"
        b.spec.process!.env = ["PATH=/bin:/usr/bin", "FOO=from-config"]
        var c = OCISpec.Capabilities()
        c.bounding = ["CAP_KILL"]; c.effective = ["CAP_KILL"]; c.permitted = ["CAP_KILL"]
        b.spec.process!.capabilities = c
        var deny = OCISpec.Seccomp(defaultAction: "SCMP_ACT_ALLOW")
        deny.syscalls = [OCISpec.Syscall(names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1)]
        b.spec.linux!.seccomp = deny
        try Self.run(b, "e1")
        #expect(try b.record("e1")?.seccomp == .stored)
        #expect(FileManager.default.fileExists(atPath: b.root + "/e1/seccomp.bpf"))

        // ARGS: the config's cwd, env and capabilities, and its filter (mkdir refused).
        let plain = try b.silo(["exec", "e1", "sh", "-c", Self.probe])
        #expect(plain.status == 0, "\(plain)")
        #expect(plain.stdout.split(separator: "\n") == ["/tmp", "from-config", "mkdir=1", "CapEff:\t0000000000000020", "Seccomp:\t2"], "\(plain)")
        // The command line's flags win over the config's.
        let flags = try b.silo(["exec", "--cwd", "/", "--env", "FOO=flag", "e1", "sh", "-c", "pwd; echo $FOO"])
        #expect(flags.stdout == "/\nflag\n", "\(flags)")
        // --process: the file's process, the container's filter all the same.
        let file = b.dir + "/process.json"
        try #"{"args": ["sh", "-c", "mkdir /tmp/y 2>/dev/null; echo mkdir=$?"], "cwd": "/", "apparmorProfile": "p1"}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let viaFile = try b.silo(["exec", "--process", file, "e1"])
        #expect(viaFile.stdout == "mkdir=1\n", "\(viaFile)")
        // What the file asks and silo cannot apply is said, as create says it of the config.
        #expect(viaFile.stderr.contains("warning:") && viaFile.stderr.contains("AppArmor") && viaFile.stderr.contains("\"p1\""), "\(viaFile)")
    }

    @Test func aContainerWithoutAFilterExecsWithoutOne() throws {
        let b = try Bundle(script: Self.ready)
        defer { try? b.destroy(["e2"]) }
        b.spec.linux!.seccomp = nil
        try Self.run(b, "e2")
        #expect(try b.record("e2")?.seccomp == .unconfined)
        #expect(!FileManager.default.fileExists(atPath: b.root + "/e2/seccomp.bpf"))
        let r = try b.silo(["exec", "e2", "sh", "-c", "mkdir /tmp/z && echo made; grep ^Seccomp: /proc/self/status"])
        #expect(r.status == 0 && r.stdout == "made\nSeccomp:\t0\n", "\(r)")
    }
}
