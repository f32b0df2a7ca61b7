import Testing
@testable import SiloKit

struct SignalNameTests {
    @Test(arguments: [("KILL", 9), ("SIGKILL", 9), ("9", 9), ("sigterm", 15), ("term", 15), ("Hup", 1), ("SIGCHLD", 17),
                      ("CLD", 17), ("IOT", 6), ("WINCH", 28), ("SYS", 31), ("0", 0), ("64", 64), ("RTMIN", 34),
                      ("SIGRTMIN+3", 37), ("rtmin+30", 64), ("RTMAX", 64), ("RTMAX-1", 63), ("SIGRTMAX-30", 34)] as [(String, Int32)])
    func known(_ text: String, _ number: Int32) throws {
        #expect(try SignalName.parse(text) == number)
    }

    @Test(arguments: ["", "FOO", "SIG", "65", "-1", "RTMIN+", "RTMIN+31", "RTMAX-31", "RTMIN+-1", "RTMIN+x", "9x", "SIGSIGKILL"])
    func unknown(_ text: String) {
        let e = #expect(throws: RuntimeError.self) { try SignalName.parse(text) }
        #expect(e?.message == "unknown signal \"\(text)\"")
    }

    @Test func namesForMessages() {
        #expect(SignalName.name(of: 9) == "KILL")
        #expect(SignalName.name(of: 36) == "RTMIN+2")
        #expect(SignalName.name(of: 0) == nil)
        #expect(SignalName.name(of: 65) == nil)
    }
}
