import Testing
@testable import SiloCLI
@testable import SiloKit
import SiloSys

/// `silo run --share`: the kinds it takes, and the two it refuses with a reason.
@Suite struct RunShareOptionTests {
    /// run shares what leaves a container: not the mount namespace (the command would run on
    /// the host's file system) nor the user namespace (root inside would be the host's root).
    @Test(arguments: ["mnt", "user"])
    func runRefusesWhatGivesUpTheContainer(kind: String) {
        do {
            _ = try RunCommand.parse(["--share", kind, "sh"])
            Issue.record("run --share \(kind) accepted")
        } catch {
            #expect(error.code == .usage)
            #expect(error.message.hasPrefix("--share \(kind): "))
        }
    }

    @Test func runSharesTheOtherKinds() throws {
        for k in ["cgroup", "ipc", "net", "pid", "time", "uts"] {
            #expect(try RunCommand.parse(["--share", k, "sh"])?.share == [NamespaceKind(rawValue: k)!])
        }
        #expect(try RunCommand.parse(["--share", "uts", "--share", "ipc", "sh"])?.share == [.uts, .ipc])
        #expect(throws: RuntimeError.self) { try RunCommand.parse(["--share", "bogus", "sh"]) }
    }
}
