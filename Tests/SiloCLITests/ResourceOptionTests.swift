import Testing
@testable import SiloCLI
@testable import SiloKit
import SiloSys

/// docker's resource options on `silo run`, parsed by the cgroup layer.
@Suite struct ResourceOptionTests {
    func parse(_ args: [String]) throws -> RunConfig { try #require(try RunCommand.parse(args + ["true"])) }

    @Test func theOptionsReachTheLimits() throws {
        let c = try parse(["--memory", "64m", "--memory-swap=128m", "--pids-limit", "32", "--cpus", "0.5",
                           "--cpu-shares", "512", "--cpuset-cpus", "0", "--blkio-weight", "300", "--oom-score-adj", "500"])
        #expect(c.limits.memory == 64 << 20 && c.limits.memorySwap == 128 << 20)
        #expect(c.limits.pidsLimit == 32 && !c.limits.pidsLimitIsDefault)
        #expect(c.limits.cpuQuota == 50_000 && c.limits.cpuPeriod == 100_000 && c.limits.cpuShares == 512)
        #expect(c.limits.cpusetCpus == "0" && c.limits.blkioWeight == 300 && c.limits.oomScoreAdj == 500)
        #expect(try parse(["-m", "1g"]).limits.memory == 1 << 30)
    }

    @Test func pidsLimitZeroLiftsTheDefault() throws {
        #expect(try parse(["--pids-limit", "0"]).limits.withDefaults().pidsLimit == -1)
        #expect(try parse(["--pids-limit", "-1"]).limits.withDefaults().pidsLimit == -1)
        let d = try parse([]).limits.withDefaults()
        #expect(d.pidsLimit == 2048 && d.pidsLimitIsDefault)
    }

    @Test(arguments: [
        (["--memory", "lots"], "--memory lots: invalid size"),
        (["--memory", "1m"], "--memory 1m: below the minimum of 6m"),
        (["--pids-limit", "x"], "--pids-limit x: not a number"),
        (["--cpus", "-1"], "--cpus -1: not a positive number"),
        (["--cpuset-cpus", "3-1"], "--cpuset-cpus 3-1: not a list"),
        (["--memory-swap", "64m"], "--memory-swap 67108864: needs --memory"),
        (["--cpu-shares", "2", "--cpu-weight", "5"], "--cpu-shares and --cpu-weight"),
        (["--oom-score-adj", "2000"], "--oom-score-adj 2000: not a number in -1000...1000"),
        (["--device-read-bps", "/nonexistent:1mb"], "--device-read-bps /nonexistent:1mb: /nonexistent"),
    ])
    func badValuesAreUsageErrors(args: [String], message: String) {
        do {
            _ = try RunCommand.parse(args + ["true"])
            Issue.record("\(args) was accepted")
        } catch {
            #expect(error.code == .usage && ExitStatus.of(error) == 125)
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }

    @Test func theOptionsSurviveTheCommandLine() throws {
        let c = try parse(["--memory", "64m", "--pids-limit", "0", "--cpus", "1.5"])
        let back = try #require(try RunCommand.parse(c.commandLine))
        #expect(back.limits == c.limits && back.commandLine == c.commandLine)
    }

    @Test func theReportSaysOOMAndExits137() {
        var r = ResourceReport()
        #expect(RunCommand.report(r, status: 3) == 3)
        r.outOfMemory = true
        r.memoryLimit = 64 << 20
        #expect(RunCommand.report(r, status: 0) == 137)
        #expect(RunCommand.mebibytes(64 << 20) == "64 MiB")
    }
}
