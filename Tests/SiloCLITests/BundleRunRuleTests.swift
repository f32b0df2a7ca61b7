import Testing
@testable import SiloCLI

/// The rule that tells `silo run --bundle DIR ID` from `silo run [OPTIONS] [--] CMD`.
struct BundleRunRuleTests {
    @Test(arguments: [["--bundle", "/b", "id"], ["--bundle=/b", "id"], ["-b", "/b", "id"], ["-b/b", "id"],
                      ["--pid-file", "/p", "--bundle", "/b", "id"]])
    func bundleBeforeTheCommandIsAnOCIRun(_ args: [String]) {
        #expect(BundleRunCommand.applies(args))
    }

    @Test(arguments: [["--", "sh", "-b"], ["sh", "--bundle", "x"], ["--rootfs", "-b", "sh"], ["--hostname=x", "--", "-b"], [], ["-e", "--bundle", "sh"]])
    func anythingElseIsSilosOwnRun(_ args: [String]) {
        #expect(!BundleRunCommand.applies(args))
    }
}
