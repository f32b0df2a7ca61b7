import Testing
@testable import SiloCLI
@testable import SiloKit
import SiloSpec
import SiloSys

/// Arguments `silo netns` refuses before touching the system, with iproute2 6.1's exit statuses
/// (measured on Debian 12: `ip netns add a/b` → 255, `ip netns delete nope` → 1); and `run --network`.
@Suite struct NetnsCommandTests {
    func status(_ args: [String]) -> Int32? {
        do { _ = try NetnsCommand.dispatch(args); return nil } catch { return error.status }
    }

    @Test func badNamesExit255BeforeAnythingIsMade() {
        for sub in ["add", "delete", "pids", "up"] {
            for bad in ["", ".", "..", "a/b", String(repeating: "x", count: 256)] {
                #expect(status([sub, bad]) == 255, "\(sub) \(bad)")
            }
        }
        #expect(status(["exec", "a/b", "true"]) == 255)
        #expect(status(["attach", "..", "1"]) == 255)
        #expect(status(["link", "a/b", "red"]) == 255)
    }

    @Test func missingArgumentsExit1() {
        #expect(status(["add"]) == 1)
        #expect(status(["delete"]) == 1)
        #expect(status(["exec"]) == 1)
        #expect(status(["exec", "red"]) == 1)
        #expect(status(["exec", "red", "--"]) == 1)
        #expect(status(["attach", "red"]) == 1)
        #expect(status(["attach", "red", "abc"]) == 1)
        #expect(status(["attach", "red", "0"]) == 1)
        #expect(status(["identify", "abc"]) == 1)
        #expect(status(["identify", "1", "2"]) == 1)
        #expect(status(["pids", "a", "b"]) == 1)
        #expect(status(["add", "--bogus", "x"]) == 1)
        #expect(status(["link", "red"]) == 1)
        #expect(status(["link", "red", "red"]) == 1)
        #expect(status(["link", "red", "blue", "--addr", "green=10.200.0.1/24"]) == 1)
        #expect(status(["link", "red", "blue", "--addr", "red=10.200.0.300/24"]) == 1)
        #expect(status(["link", "red", "blue", "--dev", "red=much-too-long-name"]) == 1)
    }

    @Test func unknownSubcommandExits255() {
        #expect(status(["bogus"]) == 255)
    }

    @Test func runNetworkOption() throws {
        #expect(try RunCommand.parse(["--network", "netns:red", "true"])?.network == .netns("red"))
        #expect(try RunCommand.parse(["--network", "bridge", "true"])?.network == .bridge("silo0"))
        #expect(try RunCommand.parse(["--network", "bridge:br1", "true"])?.network == .bridge("br1"))
        #expect(throws: RuntimeError.self) { try RunCommand.parse(["--network", "host", "true"]) }
    }

    @Test func jsonStrings() {
        #expect(JSON.string("a\"b\\c\nd\u{1}").encoded() == "\"a\\\"b\\\\c\\nd\\u0001\"")
    }
}
