import Testing
import SiloKit
@testable import SiloCLI

/// runc's global flags before the verb, and the --log line format engines read back.
@Suite struct GlobalOptionsTests {
    @Test func bothSpellingsAndAnyOrder() throws {
        let a = try GlobalOptions.parse(["--root", "/r", "--log", "/l.json", "--log-format", "json", "--debug", "kill", "c1", "9"])
        let b = try GlobalOptions.parse(["--log-format=json", "--debug", "--log=/l.json", "--root=/r", "kill", "c1", "9"])
        let want = GlobalOptions(root: "/r", logPath: "/l.json", logFormat: .json, debug: true)
        #expect(a.options == want)
        #expect(b.options == want)
        #expect(a.rest == ["kill", "c1", "9"])
        #expect(b.rest == ["kill", "c1", "9"])
    }

    @Test func theVerbsOwnFlagsAreNotGlobal() throws {
        // containerd: `--root R --log F --log-format json delete --force ID`.
        let p = try GlobalOptions.parse(["--root", "/r", "delete", "--force", "c1"])
        #expect(p.options.root == "/r")
        #expect(p.rest == ["delete", "--force", "c1"])
    }

    @Test func noFlagsLeavesArgvAlone() throws {
        let p = try GlobalOptions.parse(["run", "--rootfs", "/x", "--", "sh"])
        #expect(p.options == GlobalOptions())
        #expect(p.rest == ["run", "--rootfs", "/x", "--", "sh"])
    }

    @Test func versionAndHelpEndTheFlags() throws {
        #expect(try GlobalOptions.parse(["--root", "/r", "--version"]).rest == ["--version"])
        #expect(try GlobalOptions.parse(["--help"]).rest == ["--help"])
    }

    @Test func rootlessTakesAutoTrueFalseAndIsIgnored() throws {
        for v in ["auto", "true", "false"] {
            #expect(try GlobalOptions.parse(["--rootless", v, "state", "x"]).rest == ["state", "x"])
            #expect(try GlobalOptions.parse(["--rootless=\(v)", "state", "x"]).options == GlobalOptions())
        }
        #expect(throws: RuntimeError.self) { try GlobalOptions.parse(["--rootless", "maybe", "state", "x"]) }
    }

    @Test(arguments: [
        (["--systemd-cgroup", "create", "x"], "--systemd-cgroup: not supported, silo manages cgroupfs directly"),
        (["--root"], "option --root needs a value (see silo --help)"),
        (["--log-format", "xml", "state", "x"], "--log-format: unknown format \"xml\" (text or json)"),
        (["--frobnicate", "state", "x"], "unknown global option --frobnicate (see silo --help)"),
        (["--debug=maybe", "state", "x"], "option --debug takes true or false, not `maybe`"),
        (["--root=", "state", "x"], "--root: needs a directory"),
    ])
    func errorsNameTheFlag(args: [String], message: String) {
        #expect {
            try GlobalOptions.parse(args)
        } throws: { ($0 as? RuntimeError)?.message == message }
    }

    @Test func aBadFlagStillLeavesTheLogForTheErrorLine() {
        var o = GlobalOptions()
        #expect(throws: RuntimeError.self) {
            try GlobalOptions.parse(["--systemd-cgroup", "--log", "/l", "--log-format=json", "create", "x"], into: &o)
        }
        #expect(o.logPath == "/l")
        #expect(o.logFormat == .json)
    }

    @Test func systemdCgroupFalseIsAccepted() throws {
        #expect(try GlobalOptions.parse(["--systemd-cgroup=false", "state", "x"]).rest == ["state", "x"])
    }

    @Test func theVerbIsFoundPastFlagValues() {
        #expect(GlobalOptions.verb(in: ["--root", "/r", "--systemd-cgroup", "create", "x"]) == "create")
        #expect(GlobalOptions.verb(in: ["--log=/l", "kill"]) == "kill")
        #expect(GlobalOptions.verb(in: ["--root"]) == nil)
    }

    @Test func jsonLogLineIsLogrusShape() {
        let line = RuntimeLog.line(level: "error", message: "container \"c1\" does not exist\nsecond line",
                                   format: .json, time: "2026-12-04T22:06:18Z")
        #expect(line == #"{"level":"error","msg":"container \"c1\" does not exist\nsecond line","time":"2026-12-04T22:06:18Z"}"# + "\n")
    }

    @Test func textLogLineIsLogrusShape() {
        let line = RuntimeLog.line(level: "error", message: "container not running", format: .text, time: "2026-12-04T22:06:18Z")
        #expect(line == #"time="2026-12-04T22:06:18Z" level=error msg="container not running""# + "\n")
    }

    @Test func logTimeIsRFC3339ToTheSecondInUTC() {
        let t = RuntimeLog.now()
        #expect(t.count == 20)
        #expect(t.hasSuffix("Z"))
        #expect(Array(t)[10] == "T")
    }

    @Test func tableColumnsAreAsWideAsTabwriterMakesThem() {
        let out = OCIStateCommands.table([["ID", "PID", "STATUS"], ["a-long-container-id", "1", "running"]])
        // 19 characters + 3 of padding; "PID" is below the minimum of 12.
        #expect(out == "ID                    PID         STATUS\na-long-container-id   1           running\n")
    }
}
