#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SiloKit

/// What `-t` and `-i` put in the child's plan before clone (RunTerminal.make).
@Suite struct RunTerminalTests {
    static func plan() -> ContainerPlan {
        var p = ContainerPlan(mounts: MountPlan(newRoot: "/r"), argv: ["sh"], env: ["PATH=/bin"], searchPath: ["/bin"])
        p.newSession = false
        return p
    }

    @Test func ttyGivesTheChildAConsoleSocketASessionAndTERM() throws {
        var config = RunConfig(argv: ["sh"])
        config.tty = true
        var plan = Self.plan()
        var t = try RunTerminal.make(config, plan: &plan)
        defer { t.close() }
        #expect(plan.consoleSocket >= 0 && plan.consoleSocket == t.childEnd && t.parentEnd >= 0)
        #expect(fcntl(t.parentEnd, F_GETFD) & FD_CLOEXEC != 0 && fcntl(t.childEnd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(plan.newSession && !plan.stdinFromNull)
        #expect(plan.env.contains("TERM=xterm"))
        t.closeChildEnd()
        #expect(t.childEnd == -1 && t.parentEnd >= 0)
    }

    @Test func aGivenTERMIsKept() throws {
        var config = RunConfig(argv: ["sh"])
        config.tty = true
        var plan = Self.plan()
        plan.env.append("TERM=vt100")
        var t = try RunTerminal.make(config, plan: &plan)
        t.close()
        #expect(plan.env.filter { $0.hasPrefix("TERM=") } == ["TERM=vt100"])
    }

    /// The test's stdin decides: a terminal is replaced (and the session is new), a pipe is not.
    @Test func withoutIOrTOnlyATerminalIsReplaced() throws {
        var plan = Self.plan()
        var t = try RunTerminal.make(RunConfig(argv: ["sh"]), plan: &plan)
        t.close()
        let onTerminal = isatty(0) != 0
        #expect(plan.consoleSocket == -1 && plan.stdinFromNull == onTerminal && plan.newSession == onTerminal)
        var interactive = RunConfig(argv: ["sh"])
        interactive.interactive = true
        var p2 = Self.plan()
        var t2 = try RunTerminal.make(interactive, plan: &p2)
        t2.close()
        #expect(!p2.stdinFromNull && !p2.newSession && p2.consoleSocket == -1)
    }
}
