import Testing

@testable import SiloKit

@Suite struct RlimitsTests {
    @Test func softAndHard() throws {
        #expect(try Rlimits.parse("nofile=1024:2048") == Rlimit(resource: 7, name: "nofile", soft: 1024, hard: 2048))
        #expect(try Rlimits.parse("nproc=50") == Rlimit(resource: 6, name: "nproc", soft: 50, hard: 50))
        #expect(try Rlimits.parse("core=0:unlimited") == Rlimit(resource: 4, name: "core", soft: 0, hard: .max))
        #expect(try Rlimits.parse("CPU=-1") == Rlimit(resource: 0, name: "cpu", soft: .max, hard: .max))
    }

    @Test(arguments: [("cpu", 0), ("fsize", 1), ("data", 2), ("stack", 3), ("core", 4), ("nproc", 6), ("nofile", 7),
                      ("memlock", 8), ("as", 9), ("locks", 10), ("sigpending", 11), ("msgqueue", 12), ("nice", 13),
                      ("rtprio", 14), ("rttime", 15)])
    func names(_ name: String, _ resource: Int32) throws {
        #expect(try Rlimits.parse("\(name)=1").resource == resource)
    }

    @Test func errors() {
        func message(_ spec: String) -> String? {
            do { _ = try Rlimits.parse(spec); return nil } catch { return error.message }
        }
        #expect(message("nofile") == "ulimit nofile: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048")
        #expect(message("files=10")?.hasPrefix("ulimit files=10: unknown limit `files` (expected one of cpu, fsize,") == true)
        #expect(message("nofile=ten") == "ulimit nofile=ten: `ten` is not a number (or `unlimited`)")
        #expect(message("nofile=") == "ulimit nofile=: `` is not a number (or `unlimited`)")
        #expect(message("nofile=1:2:3") == "ulimit nofile=1:2:3: expected NAME=SOFT[:HARD]")
        #expect(message("nofile=2048:1024") == "ulimit nofile=2048:1024: the soft limit is above the hard limit")
    }

    @Test func onlyLowered() throws {
        let current: (Int32) -> (soft: UInt64, hard: UInt64)? = { _ in (1024, 524_288) }
        #expect(try Rlimits.plan(["nofile=512:4096"], current: current).count == 1)
        #expect(try Rlimits.plan(["nofile=524288"], current: current).first?.hard == 524_288)
        do {
            _ = try Rlimits.plan(["nofile=1024:1048576"], current: current)
            Issue.record("no error")
        } catch {
            #expect(error.message == "ulimit nofile=1024:1048576: cannot raise the hard limit above 524288 without CAP_SYS_RESOURCE (the container's user namespace never has it)")
        }
        #expect(throws: RuntimeError.self) { try Rlimits.plan(["core=unlimited"], current: current) }
        #expect(try Rlimits.plan(["core=unlimited"], current: { _ in (0, .max) }).first?.hard == .max)
    }

    @Test func laterWins() throws {
        let plan = try Rlimits.plan(["nofile=10", "nproc=5", "nofile=20:30"], current: { _ in (.max, .max) })
        #expect(plan == [Rlimit(resource: 6, name: "nproc", soft: 5, hard: 5), Rlimit(resource: 7, name: "nofile", soft: 20, hard: 30)])
    }
}
