import Testing
@testable import SiloCLI
@testable import SiloKit
import SiloSys

/// `RunConfig.commandLine` is how `Container.run` hands a configuration to the `silo` executable:
/// every field must survive `RunCommand.parse` of it.
@Suite struct RunConfigRoundTripTests {
    static func everyField() throws -> RunConfig {
        var c = RunConfig(argv: ["sh", "-c", "echo hi"])
        c.rootfs = "/r"
        c.env = ["A=1"]
        c.envFiles = ["/e"]
        c.hostname = "h"
        c.workdir = "/w"
        c.user = "1000:1000"
        c.volumes = [.init(source: "/a", target: "/b", readOnly: true), .init(source: "/c", target: "/d", readOnly: false)]
        c.tmpfs = ["/t:size=1m"]
        c.rootfsSize = "512m"
        c.uidMaps = [try IDMapping(parsing: "0:100000:65536")]
        c.gidMaps = [try IDMapping(parsing: "0:200000:65536", option: "--gid-map")]
        c.useInit = true
        c.timeOffset = (5, 5)
        c.network = .bridge("br1")
        c.capAdd = ["NET_ADMIN"]
        c.capDrop = ["CHOWN"]
        c.seccomp = .profile(path: "/p.json")
        c.noNewPrivileges = false
        c.ulimits = ["nofile=10:20"]
        c.share = [.uts, .ipc]
        c.tty = true
        c.interactive = true
        return c
    }

    @Test func everyFieldSurvivesTheCommandLine() throws {
        let c = try Self.everyField()
        let back = try #require(try RunCommand.parse(c.commandLine))
        #expect(back.commandLine == c.commandLine)
        #expect(back.rootfsSize == c.rootfsSize)
        #expect(back.share == c.share && back.volumes == c.volumes && back.network == c.network)
        #expect(back.timeOffset == c.timeOffset && back.seccomp == c.seccomp && !back.noNewPrivileges)
        #expect(back.tty && back.interactive)
    }

    @Test func theReadOnlyAndReadWriteRootsSurviveToo() throws {
        var ro = RunConfig(argv: ["true"])
        ro.readOnly = true
        #expect(try RunCommand.parse(ro.commandLine)?.readOnly == true)
        var rw = RunConfig(argv: ["true"])
        rw.rootfsReadWrite = true
        rw.seccomp = .unconfined
        #expect(try RunCommand.parse(rw.commandLine)?.rootfsReadWrite == true)
        #expect(try RunCommand.parse(rw.commandLine)?.seccomp == .unconfined)
    }
}

/// `-it`: short flags written together, as docker users type them.
@Suite struct CombinedShortFlagTests {
    @Test func runAcceptsIt() throws {
        let c = try #require(try RunCommand.parse(["-it", "--", "sh"]))
        #expect(c.tty && c.interactive && c.argv == ["sh"])
        let t = try #require(try RunCommand.parse(["-t", "sh"]))
        #expect(t.tty && !t.interactive)
    }

    @Test func aValueOptionInTheGroupIsNotExpanded() {
        // -e takes a value, so `-ie` is no group of flags; and -i takes no value: refused.
        #expect(throws: RuntimeError.self) { try RunCommand.parse(["-ie", "sh"]) }
    }
}
